"""A partner organisation end to end over real HTTP: an admin registers its client at the token
issuer, the partner gets a DPoP-bound token and reads its feed from the running trajecten
service; a captured token or proof gets nothing, and once the client is revoked its token is
refused at once (introspection) and it gets no new one."""

import asyncio
import uuid

import httpx
import pytest

from civic_common.auth.dpop import ProofKey
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "44085"  # Lievegem: no other e2e opens trajectories there
BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"


async def test_a_partner_onboards_and_reads_its_feed_with_a_sender_constrained_token(
    system, auth
) -> None:
    issuer, trajecten = system.urls["issuer"], system.urls["trajecten"]
    async with httpx.AsyncClient(timeout=15) as http:
        registered = await http.post(
            f"{issuer}/api/v1/partner-clients",
            json={
                "display_name": "OCMW Lievegem",
                "organisation": "ocmw-lievegem",
                "municipality": NIS,
                "allowed_scopes": ["trajecten.feed:read", f"events:{OPENED}"],
                "legal_bases": ["ocmw-maatschappelijke-integratie"],
            },
            headers=auth("admin", "ops@agii"),
        )
        assert registered.status_code == 201, registered.text
        client = registered.json()

        opened = await http.post(
            f"{trajecten}/api/v1/trajectories",
            json={
                "person_id": str(uuid.uuid4()),
                "template_version": "2024.1",
                "municipality_nis": NIS,
                "target_group": "obligated",
                "job_seeker": False,
            },
            headers=auth("counsellor", "els@agii", organisation="agii"),
        )
        assert opened.status_code == 201, opened.text

        # The partner's side: its own key pair, a proof with the token request and every call.
        key = ProofKey()
        token_url = f"{issuer}/oauth2/token"
        granted = await http.post(
            token_url,
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            headers={"DPoP": key.proof("POST", token_url)},
        )
        assert granted.status_code == 200, granted.text
        assert granted.json()["token_type"] == "DPoP"
        token = granted.json()["access_token"]

        feed_url = f"{trajecten}/partners/v1/feed"
        query = {"legal_basis": BASIS, "event_types": OPENED, "municipalities": NIS}
        captured: dict[str, str] = {}

        async def read_feed() -> list[dict]:
            captured.update(key.headers("GET", feed_url, token))
            response = await http.get(feed_url, params=query, headers=captured)
            assert response.status_code == 200, response.text
            return [
                i for i in response.json()["items"] if i["trajectory_id"] == opened.json()["id"]
            ]

        [event] = await eventually(read_feed, within=60)
        assert event["type"] == OPENED
        assert set(event["data"]) == {
            "trajectory_id",
            "person_id",
            "opened_at",
        }, "the thin notification's fields only"
        assert event["data"]["person_id"] == opened.json()["person_id"], "the person to fetch"

        replayed = await http.get(feed_url, params=query, headers=captured)
        as_bearer = await http.get(
            feed_url, params=query, headers={"Authorization": f"Bearer {token}"}
        )
        stolen = await http.get(
            feed_url, params=query, headers=ProofKey().headers("GET", feed_url, token)
        )
        assert [replayed.status_code, as_bearer.status_code, stolen.status_code] == [401] * 3

        revoked = await http.post(
            f"{issuer}/api/v1/partner-clients/{client['client_id']}/revocation",
            headers=auth("admin", "ops@agii"),
        )
        assert revoked.status_code == 200
        await asyncio.sleep(system.introspection_cache_seconds + 0.5)
        cut_off = await http.get(
            feed_url, params=query, headers=key.headers("GET", feed_url, token)
        )
        assert cut_off.status_code == 401, "a revoked client's live token is refused at once"
        refused = await http.post(
            token_url,
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            headers={"DPoP": key.proof("POST", token_url)},
        )
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
