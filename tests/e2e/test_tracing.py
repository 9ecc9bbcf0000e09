"""Traces from the running processes: a registration at intake's api, intake's outbox relay, and
trajecten's (and tolken's and rapportage's) consumers with trajecten's outbox relay after them,
all in one trace, exported over OTLP/HTTP to a receiver this test hosts (as the compose file's
collector receives them). The processes are told where by the standard OTEL_* variables."""

import gzip
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from civic_common.testing.infra import Infra
from civic_common.testing.plugin import isolated_environment
from civic_common.testing.server import serving
from civic_common.testing.system import System, running_system
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PERSON = {
    "given_name": "Yusuf",
    "family_name": "Traceur",
    "birth_date": "1987-09-14",
    "municipality_nis": "44021",
    "languages": ["tr"],
    "contact_language": "tr",
    "interpreter_language": "tr",
    "confirm_new_person": True,
}
SERVER, CONSUMER, PRODUCER = 2, 5, 4  # opentelemetry.proto Span.SpanKind


@dataclass
class ReceivedSpan:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: int
    attributes: dict[str, object]


@dataclass
class Receiver:
    """An OTLP/HTTP trace receiver (protobuf, optionally gzipped), keeping what it was sent."""

    spans: list[ReceivedSpan] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/traces")
        async def traces(request: Request) -> Response:
            body = await request.body()
            if request.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            export = ExportTraceServiceRequest.FromString(body)
            for resource in export.resource_spans:
                attrs = {a.key: a.value for a in resource.resource.attributes}
                service = attrs["service.name"].string_value
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        self.spans.append(
                            ReceivedSpan(
                                service=service,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_id=span.parent_span_id.hex(),
                                name=span.name,
                                kind=span.kind,
                                attributes={
                                    a.key: getattr(a.value, a.value.WhichOneof("value"))
                                    for a in span.attributes
                                },
                            )
                        )
            return Response(
                ExportTraceServiceResponse().SerializeToString(),
                media_type="application/x-protobuf",
            )

        return app

    def of_trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.trace_id == trace_id]


@pytest_asyncio.fixture(scope="module")
async def traced(
    infra: Infra, jwt_keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[System, Receiver]]:
    receiver = Receiver()
    logs = tmp_path_factory.mktemp("traced-logs")
    async with (
        serving(receiver.app()) as collector,
        isolated_environment(infra) as (db, prefix),
        running_system(
            infra,
            db,
            prefix,
            jwt_keys,
            logs,
            extra_environment={
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector,
                "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms; spans leave soon after they end
                "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS": "e2e:" + "A" * 43 + "=",
            },
        ) as system,
    ):
        try:
            yield system, receiver
        except BaseException:
            print(system.log_tails(), file=sys.stderr)
            raise


async def test_one_trace_runs_from_intake_post_to_trajecten_consumer_and_its_outbox(
    traced: tuple[System, Receiver], auth
) -> None:
    system, receiver = traced
    trace_id = secrets.token_hex(16)
    async with httpx.AsyncClient(timeout=15) as http:
        answer = await http.post(
            f"{system.urls['intake']}/api/v1/persons",
            json=PERSON,
            headers=auth("counter") | {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        )
    assert answer.status_code == 201, answer.text
    person_id = answer.json()["id"]
    assert answer.headers["traceparent"].split("-")[1] == trace_id

    def find(spans: list[ReceivedSpan], service: str, name: str) -> ReceivedSpan | None:
        return next((s for s in spans if s.service == service and s.name == name), None)

    async def whole_chain() -> dict[str, ReceivedSpan] | None:
        spans = receiver.of_trace(trace_id)
        processed = find(spans, "trajecten-worker", "intake.persons process")
        onward = processed and next(
            (
                s
                for s in spans
                if s.service == "trajecten-worker"
                and s.kind == PRODUCER
                and s.parent_id == processed.span_id
            ),
            None,
        )
        chain = {
            "request": find(spans, "intake-api", "POST /api/v1/persons"),
            "sent": find(spans, "intake-worker", "intake.persons publish"),
            "trajecten": processed,
            "onward": onward,
            "tolken": find(spans, "tolken-worker", "intake.persons process"),
            "rapportage": find(spans, "rapportage-worker", "intake.persons process"),
        }
        return chain if all(chain.values()) else None  # type: ignore[return-value]

    chain = await eventually(whole_chain, within=90)
    request, sent = chain["request"], chain["sent"]
    assert request.kind == SERVER
    assert request.attributes["http.route"] == "/api/v1/persons"
    assert request.attributes["http.response.status_code"] == 201
    # The outbox row kept the request span's context; Kafka carried it to every consumer.
    assert sent.kind == PRODUCER and sent.parent_id == request.span_id
    for service in ("trajecten", "tolken", "rapportage"):
        consumed = chain[service]
        assert consumed.kind == CONSUMER and consumed.parent_id == request.span_id, service
        assert consumed.attributes["civic.outcome"] == "applied", service
        assert consumed.attributes["messaging.destination.name"] == "intake.persons"
    # trajecten's handler opened a trajectory; its event left trajecten's outbox in this trace.
    onward = chain["onward"]
    assert onward.name == "trajecten.trajectories publish"
    assert onward.attributes["cloudevents.event_type"].startswith("trajecten.trajectory.")

    # No personal data on any span of the trace.
    for span in receiver.of_trace(trace_id):
        text = f"{span.name} {span.attributes}"
        for personal in (person_id, PERSON["family_name"], PERSON["birth_date"]):
            assert personal not in text, (span.service, span.name)
