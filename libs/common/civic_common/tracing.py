"""OpenTelemetry traces: a request, the events it causes and what their consumers do, as one trace.

The W3C ``traceparent`` already travels everywhere: the api adopts the caller's (or starts one),
``UnitOfWork.publish`` stores the current one in the outbox row's headers (``ce_traceparent``),
the relay sends those headers with the record, and the consumer adopts the record's before it
applies it, so the events its handler publishes carry it on. This module makes spans along that
path when tracing is configured:

- ``<METHOD> <route template>`` (server) for every api request;
- ``<topic> publish`` (producer) for every outbox row the relay sends, a child of the span that
  stored the row;
- ``<topic> process`` (consumer) for every record a worker handles, a child of the span that
  published it; the span adopted as the current ``traceparent``, so the consumer's own outbox
  rows (and their ``publish`` spans) are its children.

Spans carry no personal data: route templates (never a path with its ids, never a query
string), topics, partitions, offsets, event types and ids, outcomes and statuses.

Off unless an OTLP endpoint is configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); ``OTEL_SDK_DISABLED=true`` or
``OTEL_TRACES_EXPORTER=none`` turn it off again. Off, every helper here is one check of a module
global and does what the code did before tracing existed: adopt the ``traceparent``. The SDK
reads its other standard variables itself (``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``,
``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_RESOURCE_ATTRIBUTES``).
"""

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from civic_common.logging import set_traceparent

log = logging.getLogger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer: Tracer | None = None  # None: tracing is off
_provider: TracerProvider | None = None

Attributes = Mapping[str, str | int | float | bool]


class TracingSettings(BaseSettings):
    """The standard OpenTelemetry variables this platform decides on (``OTEL_*``)."""

    model_config = SettingsConfigDict(env_prefix="OTEL_", extra="ignore")

    sdk_disabled: bool = Field(False, description="true: no traces whatever else is set")
    traces_exporter: str = Field("otlp", description="otlp, or none for no traces")
    exporter_otlp_endpoint: str | None = Field(
        None,
        description="Base URL of an OTLP/HTTP receiver (the collector, e.g. "
        "http://otel-collector:4318); traces go to <it>/v1/traces. Unset: no traces",
    )
    exporter_otlp_traces_endpoint: str | None = Field(
        None, description="Full URL for traces, over the base URL above"
    )
    service_name: str | None = Field(
        None, description="service.name of the spans (default: <service>-<process>)"
    )

    @property
    def traces_url(self) -> str | None:
        if self.sdk_disabled or self.traces_exporter.strip().lower() == "none":
            return None
        if self.exporter_otlp_traces_endpoint:
            return self.exporter_otlp_traces_endpoint
        if self.exporter_otlp_endpoint:
            return self.exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        return None


def configure_tracing(
    process: str, settings: TracingSettings, *, processor: SpanProcessor | None = None
) -> bool:
    """Set up tracing for this process (its composition root calls this once); returns whether
    it is on. ``processor`` replaces the OTLP export (tests: an in-memory exporter)."""
    global _tracer, _provider
    if processor is None:
        url = settings.traces_url
        if url is None:
            return False
        # Imported only when used: a process without tracing loads no exporter.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=url))
    resource = Resource.create(
        {"service.name": settings.service_name or process, "service.namespace": "civic"}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    _provider, _tracer = provider, provider.get_tracer("civic_common")
    log.info("tracing on", extra={"otel_service": settings.service_name or process})
    return True


def shutdown_tracing() -> None:
    """Send what is pending and switch tracing off again (process exit, tests)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


def enabled() -> bool:
    return _tracer is not None


def traceparent_of_context(ctx: SpanContext) -> str:
    """The W3C ``traceparent`` naming the span ``ctx`` as the parent."""
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def traceparent_of(span: Span) -> str:
    return traceparent_of_context(span.get_span_context())


def _parent(traceparent: str | None) -> Context:
    return _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else Context()


@contextlib.contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: str | None = None,
    attributes: Attributes | None = None,
    record: bool = True,
) -> Iterator[Span | None]:
    """A span under the ``traceparent`` ``parent`` (a new trace without one), adopted as the
    current ``traceparent`` for its duration, so the log lines and the outbox rows written
    inside it belong to it. Tracing off (or ``record`` false): adopts ``parent`` as before and
    yields None."""
    if _tracer is None or not record:
        set_traceparent(parent)
        yield None
        return
    # An exception's message may quote what it was given: only its type goes on the span.
    with _tracer.start_as_current_span(
        name,
        context=_parent(parent),
        kind=kind,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        set_traceparent(traceparent_of(current))
        try:
            yield current
        except BaseException as exc:
            current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def annotate(current: Span | None, attributes: Attributes, *, failed: bool = False) -> None:
    """Attributes learnt while the span ran (the route, the status, the outcome)."""
    if current is None:
        return
    current.set_attributes(attributes)
    if failed:
        current.set_status(Status(StatusCode.ERROR))


def rename(current: Span | None, name: str) -> None:
    if current is not None:
        current.update_name(name)


@contextlib.contextmanager
def publishing(records: Sequence[tuple[str, Mapping[str, str], Any]]) -> Iterator[None]:
    """Producer spans around sending outbox rows: ``(topic, headers, event id)`` each, every
    span a child of the row's stored ``ce_traceparent``. They end when the block does (Kafka
    acknowledged every send, or a send failed: then they are marked failed)."""
    if _tracer is None or not records:
        yield
        return
    spans = [
        _tracer.start_span(
            f"{topic} publish",
            context=_parent(headers.get("ce_traceparent")),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": topic,
                "messaging.message.id": str(event_id),
                "cloudevents.event_type": headers.get("ce_type", ""),
            },
        )
        for topic, headers, event_id in records
    ]
    try:
        yield
    except BaseException as exc:
        for sent in spans:
            sent.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        for sent in spans:
            sent.end()
