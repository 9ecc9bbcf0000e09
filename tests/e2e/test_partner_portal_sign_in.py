"""A partner organisation's staff sign in at Keycloak's real login page (the same OpenID provider
as the agency's staff, code + PKCE) with the partner role and their organisation as claim, and
the Dutch portal acts for that organisation only: it creates a subscription, sends a test event
to a local receiver and finds it in the delivery log, shows the organisation's legal bases and
client, and rotates the client's secret, shown once and accepted by the issuer (issue 20)."""

import uuid

import httpx
import pytest
from standardwebhooks import Webhook

from civic_common.testing.keycloak import (
    DEMO_PARTNER_USER,
    ensure_realm_user,
    keycloak_tokens,
    sign_in_at_keycloak,
)
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

ORGANISATION = (
    "ocmw-evergem"  # the demo partner user's org claim (deploy/keycloak/realm-civic.json)
)
NIS = "44019"
BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"
SCOPES = f"trajecten.subscriptions:write trajecten.feed:read events:{OPENED}"


async def _now(value: object) -> object:
    return value


async def test_partner_staff_sign_in_at_keycloak_and_manage_their_organisations_webhooks(
    system, browser, keycloak, partner_token, auth, repo_root, webhook_receiver
):
    await ensure_realm_user(
        keycloak, repo_root / "deploy" / "keycloak" / "realm-civic.json", DEMO_PARTNER_USER
    )
    issuer, trajecten = system.urls["issuer"], system.urls["trajecten"]
    # The organisation's client, as an admin registers it: what its staff may do in the portal.
    api = await partner_token(ORGANISATION, SCOPES, municipality=NIS)
    async with httpx.AsyncClient(timeout=15) as http:
        listed = await http.get(
            f"{issuer}/api/v1/partner-clients", headers=auth("admin", "ops@agii")
        )
    client = [c for c in listed.json() if c["organisation"] == ORGANISATION][-1]  # the newest

    hooks = webhook_receiver  # verified here, with the secret the portal shows
    context = await browser.new_context(locale="nl-BE")
    try:
        page = await context.new_page()
        await page.goto(f"{trajecten}/partner")
        assert page.url.startswith(keycloak.issuer), "an anonymous visit goes to Keycloak"
        await sign_in_at_keycloak(page, DEMO_PARTNER_USER)
        await page.wait_for_url(f"{trajecten}/partner")
        assert ORGANISATION in await page.inner_text("h1")
        bases = await page.inner_text("#rechtsgrondenlijst")
        assert BASIS in bases and "vdab-arbeidsmarktactivering" not in bases
        assert client["client_id"] in await page.inner_text("#clientlijst")

        async with hooks.listening():
            await page.get_by_label("Eindpunt (https-URL)").fill(hooks.url)
            await page.get_by_label(OPENED).check()
            await page.get_by_role("button", name="Abonnement aanmaken").click()
            await page.wait_for_selector("#geheim")
            secret = await page.inner_text("#geheimwaarde")
            assert secret.startswith("whsec_")
            await page.get_by_role("button", name="Testbericht versturen").click()
            await page.wait_for_selector("#melding")
            detail_url = page.url.split("?")[0]  # back on the subscription's page
            assert "/partner/abonnementen/" in detail_url

            # The running worker delivers it, signed with the subscription's secret.
            [(headers, body)] = await eventually(lambda: _now(hooks.arrivals), within=60)
            verified = Webhook(secret).verify(body, headers)
            assert headers["webhook-test"] == "true" and verified["type"] == OPENED

            async def logged() -> bool:
                await page.goto(detail_url)
                log = await page.inner_text("#afleveringen")
                return "(test)" in log and "afgeleverd" in log and "204" in log

            assert await eventually(logged, within=30)

        # The portal acted for the organisation: its API client sees the same subscription.
        async with httpx.AsyncClient(timeout=15) as http:
            own = await http.get(f"{trajecten}/partners/v1/subscriptions", headers=api)
        assert [s["endpoint_url"] for s in own.json()["items"]] == [hooks.url]

        # The client's secret, rotated here, shown once, and accepted by the issuer.
        await page.goto(f"{trajecten}/partner")
        await page.get_by_role("button", name=f"Nieuw geheim voor {client['client_id']}").click()
        await page.wait_for_selector("#clientgeheim")
        new_secret = await page.inner_text("#clientgeheimwaarde")
        async with httpx.AsyncClient(timeout=15) as http:
            granted = await http.post(
                f"{issuer}/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], new_secret),
            )
        assert granted.status_code == 200, granted.text
        await page.goto(f"{trajecten}/partner")
        assert await page.locator("#clientgeheim").count() == 0, "shown once"

        # The subscription belongs to the organisation's client: revoking that client stops it
        # at its next delivery (as for one the client's software made), and the portal, with
        # no active client left, grants its staff nothing.
        admin = auth("admin", "ops@agii")
        counsellor = auth("counsellor", "els@agii", organisation="agii")
        async with httpx.AsyncClient(timeout=15) as http:
            revoked = await http.post(
                f"{issuer}/api/v1/partner-clients/{client['client_id']}/revocation", headers=admin
            )
            assert revoked.status_code == 200, revoked.text
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

            async def stopped() -> bool:
                found = await http.get(
                    f"{trajecten}/api/v1/partner-subscriptions",
                    params={"organisation": ORGANISATION},
                    headers=admin,
                )
                return [s["status"] for s in found.json()["items"]] == ["revoked"]

            # At the next delivery attempt, after the worker took the event in: behind whatever
            # the session's earlier tests left it to consume (90 s once in CI).
            assert await eventually(stopped, within=240)
        refused = await page.goto(f"{trajecten}/partner")
        assert refused is not None and refused.status == 403

        # A partner's staff member is no agency staff: the staff pages stay closed.
        staff_page = await page.goto(f"{trajecten}/")
        assert staff_page is not None and staff_page.status == 403
    finally:
        await context.close()


async def test_the_issuer_keeps_partner_staff_to_their_own_organisations_clients(
    system, keycloak, partner_token, auth, repo_root
):
    """The self-service API the portal uses, with the staff member's own Keycloak token: their
    organisation's clients only, never a secret in a list, no rotation of another's client."""
    await ensure_realm_user(
        keycloak, repo_root / "deploy" / "keycloak" / "realm-civic.json", DEMO_PARTNER_USER
    )
    issuer = system.urls["issuer"]
    await partner_token(ORGANISATION, SCOPES, municipality=NIS)
    await partner_token("ocmw-elders", SCOPES, municipality="11002")
    tokens = await keycloak_tokens(
        keycloak, DEMO_PARTNER_USER, f"{system.urls['trajecten']}/auth/callback"
    )
    mine = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with httpx.AsyncClient(timeout=15) as http:
        own = await http.get(f"{issuer}/api/v1/own-partner-clients", headers=mine)
        everyone = await http.get(
            f"{issuer}/api/v1/partner-clients", headers=auth("admin", "ops@agii")
        )
        [other] = [c for c in everyone.json() if c["organisation"] == "ocmw-elders"]
        foreign = await http.post(
            f"{issuer}/api/v1/own-partner-clients/{other['client_id']}/rotation", headers=mine
        )
        as_admin_api = await http.get(f"{issuer}/api/v1/partner-clients", headers=mine)
        anonymous = await http.get(f"{issuer}/api/v1/own-partner-clients")
        staff = await keycloak_tokens(
            keycloak, "begeleider", f"{system.urls['trajecten']}/auth/callback"
        )
        counsellor = await http.get(
            f"{issuer}/api/v1/own-partner-clients",
            headers={"Authorization": f"Bearer {staff['access_token']}"},
        )
    assert own.status_code == 200, own.text
    assert {c["organisation"] for c in own.json()} == {ORGANISATION}
    assert all("client_secret" not in c for c in own.json())
    assert foreign.status_code == 404, "another organisation's client looks unknown"
    assert as_admin_api.status_code in (401, 403), "no admin API for partner staff"
    assert anonymous.status_code == 401 and counsellor.status_code == 401
