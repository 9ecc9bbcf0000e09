"""The workers are not dark: each running worker serves Prometheus metrics on its own port
(CIVIC_WORKER_METRICS_PORT) saying what its consumer did with each record, how far behind it is,
and what its outbox still holds."""

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "44083"  # Deinze: no other e2e test registers people there


async def scrape(http: httpx.AsyncClient, url: str) -> dict[tuple[str, frozenset], float]:
    text = (await http.get(url)).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


async def test_the_running_workers_count_outcomes_lag_and_backlog(system, auth, infra):
    trajecten_worker = system.metrics["trajecten-worker-1"]
    intake_worker = system.metrics["intake-worker-1"]
    async with httpx.AsyncClient(timeout=10) as http:
        before = await scrape(http, trajecten_worker)
        applied = "civic_consumer_events_total"
        labels = {"service": "trajecten", "topic": "intake.persons"}
        applied_before = value(before, applied, outcome="applied", **labels)
        dead_before = value(before, applied, outcome="deadlettered", **labels)

        registered = await http.post(
            f"{system.urls['intake']}/api/v1/persons",
            json={
                "given_name": "Samir",
                "family_name": "Haddou",
                "birth_date": "1990-02-11",
                "municipality_nis": NIS,
                "languages": ["ar"],
            },
            headers=auth("counter"),
        )
        assert registered.status_code == 201, registered.text

        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                f"{system.topic_prefix}intake.persons", b"not an event", key=b"poison-metrics"
            )
        finally:
            await producer.stop()

        async def counted() -> dict | None:
            now = await scrape(http, trajecten_worker)
            moved = (
                value(now, applied, outcome="applied", **labels) > applied_before
                and value(now, applied, outcome="deadlettered", **labels) > dead_before
            )
            return now if moved else None

        now = await eventually(counted, within=60)
        lags = [
            v
            for (n, ls), v in now.items()
            if n == "civic_consumer_lag" and ("topic", "intake.persons") in ls
        ]
        assert lags and all(lag >= 0 for lag in lags)
        assert ("civic_outbox_backlog", frozenset({("service", "trajecten")})) in now

        relayed = await scrape(http, intake_worker)
        assert value(relayed, "civic_outbox_published_total", service="intake") >= 1
        assert value(relayed, "civic_outbox_listening", service="intake") == 1
        assert ("civic_outbox_oldest_age_seconds", frozenset({("service", "intake")})) in relayed
