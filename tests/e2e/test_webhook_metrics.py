"""trajecten's running worker tells Prometheus about partner webhooks (the alert rules in
deploy/observability/alerts.yml watch these): failed attempts are counted, and a subscription the
worker disabled shows in the status gauge it samples from the database."""

import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "11016"  # Essen: no other e2e test uses it
TYPES = ["trajecten.trajectory.opened.v1"]
SCOPES = "trajecten.subscriptions:write trajecten.feed:read events:trajecten.trajectory.opened.v1"


async def sample(http: httpx.AsyncClient, url: str, name: str, **labels: str) -> float:
    text = (await http.get(url)).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and set(labels.items()) <= set(s.labels.items())
    )


async def test_failed_attempts_and_a_disabled_subscription_show_in_the_workers_metrics(
    system, auth, partner_token, webhook_receiver
):
    metrics = system.metrics["trajecten-worker-1"]
    trajecten = system.urls["trajecten"]
    ocmw = await partner_token("ocmw-essen", SCOPES, municipality=NIS)
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    async with httpx.AsyncClient(timeout=15) as http:
        failed_before = await sample(
            http, metrics, "civic_webhook_attempts_total", outcome="failed"
        )
        disabled_before = await sample(
            http, metrics, "civic_webhook_subscriptions", status="disabled"
        )
        created = await http.post(  # a receiver never listening: every attempt fails
            f"{trajecten}/partners/v1/subscriptions",
            json={
                "endpoint_url": webhook_receiver.url,
                "event_types": TYPES,
                "legal_basis": "ocmw-maatschappelijke-integratie",
            },
            headers=ocmw,
        )
        assert created.status_code == 201, created.text
        sub = created.json()
        policy = await http.put(
            f"{trajecten}/partners/v1/subscriptions/{sub['id']}/retry-policy",
            json={"retry_seconds": [0.5, 0.5, 0.5], "disable_after_failures": 2},
            headers=ocmw,
        )
        assert policy.status_code == 200, policy.text
        opened = await http.post(
            f"{trajecten}/api/v1/trajectories",
            json={
                "person_id": str(uuid.uuid4()),
                "template_version": "2024.1",
                "municipality_nis": NIS,
                "target_group": "obligated",
                "job_seeker": False,
            },
            headers=counsellor,
        )
        assert opened.status_code == 201, opened.text

        async def disabled() -> bool:
            got = await http.get(f"{trajecten}/partners/v1/subscriptions/{sub['id']}", headers=ocmw)
            return got.json()["status"] == "disabled"

        assert await eventually(disabled, within=60)
        failed = await sample(http, metrics, "civic_webhook_attempts_total", outcome="failed")
        assert failed >= failed_before + 2

        async def gauge_moved() -> float:
            now = await sample(http, metrics, "civic_webhook_subscriptions", status="disabled")
            return now if now >= disabled_before + 1 else 0

        await eventually(gauge_moved, within=45)  # sampled every 15 s
