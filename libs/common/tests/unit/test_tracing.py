"""One trace from the HTTP request through the outbox and Kafka headers to the consumer and the
events it publishes in turn, recorded with the SDK's in-memory exporter (the running processes
are traced in tests/e2e/test_tracing.py)."""

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from civic_common import tracing
from civic_common.api.app import _Observe
from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts.intake import PersonRegistered
from civic_common.events.envelope import Envelope
from civic_common.logging import current_traceparent

pytestmark = pytest.mark.unit

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert tracing.configure_tracing(
        "test", tracing.TracingSettings(), processor=SimpleSpanProcessor(exporter)
    )
    try:
        yield exporter
    finally:
        tracing.shutdown_tracing()


def registered(traceparent: str | None) -> Envelope:
    """What ``UnitOfWork.publish`` writes into an outbox row: the current traceparent with it."""
    event = PersonRegistered(
        person_id=uuid.uuid4(), registered_at=datetime.now(UTC), municipality_nis="44021"
    )
    return Envelope(
        type=event.event_type,
        source="/civic/intake",
        partitionkey=str(event.person_id),
        sequence=1,
        traceparent=traceparent,
        data=event.model_dump(mode="json"),
    )


def intake_api(outbox: list[Envelope]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/persons/{person_id}/corrections")
    async def correct(person_id: str) -> dict[str, str]:
        outbox.append(registered(current_traceparent()))
        return {"ok": person_id}

    app.add_middleware(_Observe)
    return app


class FakeUnitOfWork:
    """The consumer's unit of work without a database: what the handler publishes is kept."""

    def __init__(self, published: list[Envelope]) -> None:
        self.published = published

    async def __aenter__(self) -> "FakeUnitOfWork":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def record_inbox(self, *_: object) -> bool:
        return True

    async def commit(self) -> None:
        return None


def record_of(envelope: Envelope, offset: int = 7) -> Record:
    return Record(
        topic="t1.intake.persons",
        partition=2,
        offset=offset,
        key=envelope.partitionkey.encode(),
        value=envelope.value(),
        headers={k: v.encode() for k, v in envelope.headers().items()},
    )


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, list[Envelope]]]:
    outbox: list[Envelope] = []
    transport = httpx.ASGITransport(app=intake_api(outbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http, outbox


async def test_one_trace_runs_from_the_request_through_the_outbox_to_the_next_outbox(
    spans: InMemorySpanExporter, client: tuple[httpx.AsyncClient, list[Envelope]]
) -> None:
    http, outbox = client
    person = uuid.uuid4()
    answer = await http.post(
        f"/api/v1/persons/{person}/corrections?family_name=Haddad",
        headers={"traceparent": CALLER},
    )
    assert answer.status_code == 200
    [stored] = outbox

    # The relay sends the row: a producer span under the span that stored it.
    with tracing.publishing([("intake.persons", stored.headers(), stored.id)]):
        pass

    # trajecten's consumer handles the record; its handler publishes the next event.
    next_outbox: list[Envelope] = []

    async def handler(uow: FakeUnitOfWork, event: PersonRegistered, envelope: Envelope) -> None:
        uow.published.append(registered(current_traceparent()))

    consumer = InboxConsumer(
        "trajecten",
        lambda: FakeUnitOfWork(next_outbox),  # type: ignore[arg-type,return-value]
        {PersonRegistered: handler},  # type: ignore[dict-item]
        topic_prefix="t1.",
    )
    assert await consumer.handle(record_of(stored)) == "applied"
    [following] = next_outbox
    with tracing.publishing([("trajecten.trajectories", following.headers(), following.id)]):
        pass

    found = by_name(spans)
    request = found["POST /api/v1/persons/{person_id}/corrections"]
    sent = found["intake.persons publish"]
    processed = found["intake.persons process"]
    onward = found["trajecten.trajectories publish"]
    caller_trace = int(CALLER.split("-")[1], 16)
    assert {s.context.trace_id for s in (request, sent, processed, onward)} == {caller_trace}
    assert request.parent is not None and request.parent.span_id == int(CALLER.split("-")[2], 16)
    assert request.kind is SpanKind.SERVER
    # The stored row, and with it the Kafka record, carry the request span's context.
    assert stored.traceparent == tracing.traceparent_of_context(request.context)
    assert answer.headers["traceparent"] == stored.traceparent
    assert sent.parent is not None and sent.parent.span_id == request.context.span_id
    assert sent.kind is SpanKind.PRODUCER
    assert processed.parent is not None and processed.parent.span_id == request.context.span_id
    assert processed.kind is SpanKind.CONSUMER
    assert processed.attributes is not None
    assert processed.attributes["civic.outcome"] == "applied"
    assert processed.attributes["messaging.destination.name"] == "intake.persons"
    assert processed.attributes["messaging.kafka.offset"] == 7
    # What the consumer published is a child of its span, and so is its relay's send.
    assert following.traceparent == tracing.traceparent_of_context(processed.context)
    assert onward.parent is not None and onward.parent.span_id == processed.context.span_id


async def test_spans_hold_route_templates_and_no_personal_data(
    spans: InMemorySpanExporter, client: tuple[httpx.AsyncClient, list[Envelope]]
) -> None:
    http, outbox = client
    person = uuid.uuid4()
    await http.post(f"/api/v1/persons/{person}/corrections?family_name=Haddad")
    await http.get(f"/nowhere/{person}?family_name=Haddad")
    await http.get("/metrics")  # a probe or a scrape: no span
    stored = outbox[0]
    with tracing.publishing([("intake.persons", stored.headers(), stored.id)]):
        pass
    consumer = InboxConsumer("trajecten", lambda: None, {}, topic_prefix="t1.")  # type: ignore[arg-type,return-value]
    assert await consumer.handle(record_of(stored)) == "ignored"

    finished = spans.get_finished_spans()
    assert {s.name for s in finished} == {
        "POST /api/v1/persons/{person_id}/corrections",
        "GET unmatched",
        "intake.persons publish",
        "intake.persons process",
    }
    assert [s.name for s in finished].count("GET unmatched") == 1  # /nowhere; not /metrics
    for span in finished:
        text = f"{span.name} {dict(span.attributes or {})}"
        assert str(person) not in text, span.name
        assert "Haddad" not in text, span.name
        assert stored.partitionkey not in text, span.name  # the aggregate (a person's id)
    unmatched = next(s for s in finished if s.name == "GET unmatched")
    assert unmatched.attributes is not None
    assert unmatched.attributes["http.response.status_code"] == 404


async def test_a_record_that_cannot_be_read_is_a_failed_span_of_its_own_trace(
    spans: InMemorySpanExporter,
) -> None:
    parked: list[Envelope] = []

    class Parking(FakeUnitOfWork):
        async def publish_raw(self, *args: object) -> None:
            parked.append(registered(current_traceparent()))

    consumer = InboxConsumer("trajecten", lambda: Parking(parked), {}, topic_prefix="t1.")  # type: ignore[arg-type,return-value]
    poison = Record("t1.intake.persons", 0, 3, b"k", b"not json", {})
    assert await consumer.handle(poison) == "deadlettered"
    [span] = spans.get_finished_spans()
    assert span.name == "intake.persons process"
    assert span.parent is None  # no ce_traceparent: a trace of its own
    assert span.status.status_code is StatusCode.ERROR
    assert len(parked) == 1


def test_off_by_default_and_then_only_the_traceparent_is_adopted() -> None:
    assert not tracing.configure_tracing("test", tracing.TracingSettings())
    assert not tracing.configure_tracing(
        "test",
        tracing.TracingSettings(exporter_otlp_endpoint="http://collector:4318", sdk_disabled=True),
    )
    assert not tracing.configure_tracing(
        "test",
        tracing.TracingSettings(
            exporter_otlp_endpoint="http://collector:4318", traces_exporter="none"
        ),
    )
    assert not tracing.enabled()
    with tracing.span("x", parent=CALLER) as span:
        assert span is None
        assert current_traceparent() == CALLER
    settings = tracing.TracingSettings(exporter_otlp_endpoint="http://collector:4318/")
    assert settings.traces_url == "http://collector:4318/v1/traces"
