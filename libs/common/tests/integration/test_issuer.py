"""The embedded partner token issuer on real Postgres: admin API, client credentials, rotation,
revocation, DPoP-bound tokens (RFC 9449), and its tokens at tolken's partner edge."""

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import httpx
import jwt
import pytest

from civic_common.auth.dpop import ProofKey
from civic_common.auth.issuer_app import IssuerSettings, build_issuer_app
from civic_common.auth.tokens import TokenValidator
from civic_common.testing.infra import Infra
from civic_common.testing.plugin import issuer_database
from civic_common.testing.server import serving

pytestmark = pytest.mark.integration

GRACE = 1.5  # seconds the previous secret keeps working after a rotation
TOKEN_URL = "http://issuer/oauth2/token"
KEY = ProofKey()  # the partner's DPoP key pair


@pytest.fixture(scope="module")
async def issuer_db(infra: Infra) -> AsyncIterator[str]:
    """This module's own issuer database, not the session's: the clients it registers (for
    ocmw-evergem among others) must not join the running system's organisations."""
    async with issuer_database(infra) as url:
        yield url


@pytest.fixture
async def issuer(issuer_db: str, jwt_keys: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = IssuerSettings(database_url=issuer_db, keys_dir=jwt_keys, rotation_grace=GRACE)
    app = build_issuer_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://issuer") as http:
            yield http


@pytest.fixture
def create_client(
    issuer: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> Callable[..., object]:
    async def create(**changes: object) -> dict[str, object]:
        body = {
            "display_name": "OCMW Evergem",
            "organisation": "ocmw-evergem",
            "municipality": "44019",
            "allowed_scopes": ["tolken.requests", "trajecten.updates"],
        } | changes
        response = await issuer.post(
            "/api/v1/partner-clients", json=body, headers=auth("admin", "ops@test")
        )
        assert response.status_code == 201, response.text
        return response.json()

    return create


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def token(
    issuer: httpx.AsyncClient,
    client_id: str,
    secret: str,
    key: ProofKey | None = KEY,
    **form: str,
) -> httpx.Response:
    """A token request, with a fresh DPoP proof of ``key`` unless it is None."""
    proof = {"DPoP": key.proof("POST", TOKEN_URL)} if key else {}
    return await issuer.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"} | form,
        headers=basic(client_id, secret) | proof,
    )


@pytest.fixture
async def tolken(runtime_for) -> AsyncIterator[httpx.AsyncClient]:
    from tolken.main import build_app

    transport = httpx.ASGITransport(app=build_app(runtime_for("tolken")))
    async with httpx.AsyncClient(transport=transport, base_url="http://tolken") as http:
        yield http


async def test_a_dpop_bound_token_is_accepted_at_the_tolken_partner_edge(
    issuer: httpx.AsyncClient, create_client, tolken: httpx.AsyncClient, jwt_keys: Path
) -> None:
    client = await create_client()
    assert client["sender_constrained"] is True, "new clients get sender-constrained tokens"
    response = await token(issuer, client["client_id"], client["client_secret"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP" and body["expires_in"] == 300
    assert body["scope"] == "tolken.requests trajecten.updates"
    assert response.headers["cache-control"] == "no-store"
    access_token = body["access_token"]

    principal = TokenValidator(str(jwt_keys / "jwks.json"), "civic-local", "civic").validate(
        access_token, KEY.thumbprint
    )
    assert principal.subject == client["client_id"]
    assert principal.roles == {"partner"}
    assert (principal.organisation, principal.municipality) == ("ocmw-evergem", "44019")
    assert principal.scopes == {"tolken.requests", "trajecten.updates"}

    url = "http://tolken/partners/v1/requests"
    accepted = await tolken.get(url, headers=KEY.headers("GET", url, access_token))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["items"] == []


async def test_a_captured_dpop_token_or_proof_is_useless(
    issuer: httpx.AsyncClient, create_client, tolken: httpx.AsyncClient
) -> None:
    """Replay protection: the token alone, the token with another key's proof, a proof used
    twice, or one made for another request are all refused."""
    client = await create_client()
    access_token = (await token(issuer, client["client_id"], client["client_secret"])).json()[
        "access_token"
    ]
    url = "http://tolken/partners/v1/requests"
    thief = ProofKey()
    captured = KEY.headers("GET", url, access_token)
    assert (await tolken.get(url, headers=captured)).status_code == 200
    attempts = {
        "as a bearer token": {"Authorization": f"Bearer {access_token}"},
        "without a proof": {"Authorization": f"DPoP {access_token}"},
        "with the thief's own proof": thief.headers("GET", url, access_token),
        "replaying the captured proof": captured,
        "with a proof for another URL": KEY.headers("GET", url + "/x", access_token),
        "with a proof for another method": KEY.headers("POST", url, access_token),
        "with a proof for another token": {
            "Authorization": f"DPoP {access_token}",
            "DPoP": KEY.proof("GET", url, "another-token"),
        },
    }
    for attempt, headers in attempts.items():
        refused = await tolken.get(url, headers=headers)
        assert refused.status_code == 401, attempt
        assert "DPoP" in refused.headers["www-authenticate"], attempt
        if attempt == "as a bearer token":  # the partner is told what to do instead
            assert "DPoP-bewijs" in refused.json()["detail"]


async def test_the_token_endpoint_wants_a_fresh_proof_from_a_sender_constrained_client(
    issuer: httpx.AsyncClient, create_client
) -> None:
    client = await create_client()
    credentials = basic(client["client_id"], client["client_secret"])
    form = {"grant_type": "client_credentials"}
    missing = await token(issuer, client["client_id"], client["client_secret"], key=None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_dpop_proof"
    proof = KEY.proof("POST", TOKEN_URL)
    first = await issuer.post("/oauth2/token", data=form, headers=credentials | {"DPoP": proof})
    assert first.status_code == 200, first.text
    replayed = await issuer.post("/oauth2/token", data=form, headers=credentials | {"DPoP": proof})
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_dpop_proof"
    elsewhere = KEY.proof("POST", "http://elsewhere/oauth2/token")
    wrong_url = await issuer.post(
        "/oauth2/token", data=form, headers=credentials | {"DPoP": elsewhere}
    )
    assert wrong_url.status_code == 400 and wrong_url.json()["error"] == "invalid_dpop_proof"


async def test_a_client_registered_for_bearer_tokens_gets_unbound_ones(
    issuer: httpx.AsyncClient, create_client, tolken: httpx.AsyncClient
) -> None:
    client = await create_client(sender_constrained=False)
    response = await token(issuer, client["client_id"], client["client_secret"], key=None)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await tolken.get("/partners/v1/requests", headers=bearer)).status_code == 200


async def test_form_authentication_and_a_narrower_scope(
    issuer: httpx.AsyncClient, create_client
) -> None:
    client = await create_client(municipality=None)
    response = await issuer.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "scope": "tolken.requests",
        },
        headers={"DPoP": KEY.proof("POST", TOKEN_URL)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "tolken.requests"


async def test_wrong_unknown_and_revoked_clients_get_the_same_invalid_client(
    issuer: httpx.AsyncClient, create_client, auth
) -> None:
    client = await create_client()
    revoked = await create_client()
    revocation = await issuer.post(
        f"/api/v1/partner-clients/{revoked['client_id']}/revocation", headers=auth("admin")
    )
    assert revocation.status_code == 200 and revocation.json()["revoked_at"]
    attempts = [
        (client["client_id"], "not-the-secret"),
        ("pc_unknown", client["client_secret"]),
        (revoked["client_id"], revoked["client_secret"]),
    ]
    for client_id, secret in attempts:
        response = await token(issuer, client_id, secret)
        assert response.status_code == 401, (client_id, response.text)
        assert response.json() == {"error": "invalid_client"}
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_scope_outside_the_allowed_set_and_bad_grants(
    issuer: httpx.AsyncClient, create_client
) -> None:
    client = await create_client()
    refused = await token(issuer, client["client_id"], client["client_secret"], scope="admin")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    wrong_grant = await issuer.post(
        "/oauth2/token",
        data={"grant_type": "password"},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    no_grant = await issuer.post(
        "/oauth2/token", headers=basic(client["client_id"], client["client_secret"])
    )
    assert no_grant.json()["error"] == "invalid_request"


async def test_rotation_keeps_the_old_secret_for_the_grace_period_only(
    issuer: httpx.AsyncClient, create_client, auth
) -> None:
    client = await create_client()
    old = client["client_secret"]
    rotated = await issuer.post(
        f"/api/v1/partner-clients/{client['client_id']}/rotation", headers=auth("admin")
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["client_secret"]
    assert new != old and rotated.json()["previous_secret_valid_until"]
    assert (await token(issuer, client["client_id"], new)).status_code == 200
    assert (await token(issuer, client["client_id"], old)).status_code == 200
    await asyncio.sleep(GRACE + 0.3)
    assert (await token(issuer, client["client_id"], new)).status_code == 200
    expired = await token(issuer, client["client_id"], old)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_client"


async def test_secrets_are_stored_only_as_hashes_and_changes_are_audited(
    issuer: httpx.AsyncClient, create_client, auth, issuer_db: str
) -> None:
    client = await create_client()
    rotated = await issuer.post(
        f"/api/v1/partner-clients/{client['client_id']}/rotation", headers=auth("admin", "ops@x")
    )
    await issuer.post(
        f"/api/v1/partner-clients/{client['client_id']}/revocation", headers=auth("admin", "ops@x")
    )
    conn = await asyncpg.connect(issuer_db.replace("postgresql+asyncpg", "postgresql"))
    try:
        dump = await conn.fetchval(
            "SELECT string_agg(c::text, ' ') FROM issuer.partner_clients c WHERE client_id = $1",
            client["client_id"],
        )
        trail = await conn.fetch(
            "SELECT actor, action FROM issuer.audit_trail WHERE client_id = $1 ORDER BY id",
            client["client_id"],
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM issuer.audit_trail")
    finally:
        await conn.close()
    assert "scrypt$" in dump
    assert client["client_secret"] not in dump
    assert rotated.json()["client_secret"] not in dump
    assert [tuple(r) for r in trail] == [
        ("ops@test", "create"),
        ("ops@x", "rotate"),
        ("ops@x", "revoke"),
    ]


async def test_only_admins_manage_clients(issuer: httpx.AsyncClient, create_client, auth) -> None:
    client = await create_client()
    partner = auth("partner", organisation="ocmw-evergem")
    paths = [
        ("GET", "/api/v1/partner-clients"),
        ("GET", f"/api/v1/partner-clients/{client['client_id']}"),
        ("POST", f"/api/v1/partner-clients/{client['client_id']}/rotation"),
        ("POST", f"/api/v1/partner-clients/{client['client_id']}/revocation"),
    ]
    for method, path in paths:
        assert (await issuer.request(method, path)).status_code == 401, path
        assert (await issuer.request(method, path, headers=partner)).status_code == 403, path
    listed = await issuer.get("/api/v1/partner-clients", headers=auth("admin"))
    assert client["client_id"] in {c["client_id"] for c in listed.json()}
    assert all("client_secret" not in c for c in listed.json())
    # still usable: the failed attempts changed nothing
    assert (await token(issuer, client["client_id"], client["client_secret"])).status_code == 200


async def test_jwks_and_health(issuer: httpx.AsyncClient, jwt_keys: Path) -> None:
    assert (await issuer.get("/healthz")).json() == {"status": "ok"}
    jwks = (await issuer.get("/.well-known/jwks.json")).json()
    assert jwks["keys"][0]["kty"] == "RSA" and "d" not in jwks["keys"][0]


async def test_introspection_tells_active_tokens_from_revoked_and_foreign_ones(
    issuer: httpx.AsyncClient, create_client, auth
) -> None:
    client = await create_client()
    access_token = (await token(issuer, client["client_id"], client["client_secret"])).json()[
        "access_token"
    ]

    async def introspect(value: str) -> dict:
        response = await issuer.post("/oauth2/introspect", data={"token": value})
        assert response.status_code == 200, response.text
        return response.json()

    active = await introspect(access_token)
    assert active["active"] is True and active["client_id"] == client["client_id"]
    assert active["token_type"] == "DPoP"
    staff = auth("admin")["Authorization"].removeprefix("Bearer ")
    assert await introspect(staff) == {"active": False}, "staff tokens are no client's"
    assert await introspect("not-a-token") == {"active": False}
    assert (await issuer.post("/oauth2/introspect", data={})).status_code == 400
    await issuer.post(
        f"/api/v1/partner-clients/{client['client_id']}/revocation", headers=auth("admin")
    )
    assert await introspect(access_token) == {"active": False}


async def test_a_service_refuses_a_revoked_clients_token_at_once(
    issuer_db: str, jwt_keys: Path, settings_for, migrate, auth
) -> None:
    """With introspection configured, revocation needs no token expiry; and when the issuer
    cannot answer, partner calls are refused (503), not let through."""
    from tolken.main import SERVICE, build_app

    migrate("tolken")
    issuer_app = build_issuer_app(IssuerSettings(database_url=issuer_db, keys_dir=jwt_keys))
    async with serving(issuer_app) as issuer_url, httpx.AsyncClient(base_url=issuer_url) as admin:
        created = await admin.post(
            "/api/v1/partner-clients",
            json={
                "display_name": "OCMW Evergem",
                "organisation": "ocmw-evergem",
                "allowed_scopes": ["tolken.requests"],
                "sender_constrained": False,
            },
            headers=auth("admin"),
        )
        client = created.json()
        granted = await admin.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
        )
        bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}
        settings = settings_for("tolken").model_copy(
            update={
                "jwt_introspection_url": f"{issuer_url}/oauth2/introspect",
                "jwt_introspection_cache_seconds": 0,
            }
        )
        app = build_app(SERVICE.runtime(settings))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tolken") as tolken:
                assert (
                    await tolken.get("/partners/v1/requests", headers=bearer)
                ).status_code == 200
                await admin.post(
                    f"/api/v1/partner-clients/{client['client_id']}/revocation",
                    headers=auth("admin"),
                )
                revoked = await tolken.get("/partners/v1/requests", headers=bearer)
                assert revoked.status_code == 401 and "ingetrokken" in revoked.json()["detail"]
                staff = await tolken.get("/api/v1/interpreters", headers=auth("interpreter_desk"))
                assert staff.status_code == 200, "staff tokens are not introspected"

    unreachable = settings.model_copy(update={"jwt_introspection_url": f"{issuer_url}/gone"})
    app = build_app(SERVICE.runtime(unreachable))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tolken") as tolken:
            refused = await tolken.get("/partners/v1/requests", headers=bearer)
    assert refused.status_code == 503 and refused.headers["retry-after"]


async def test_a_flood_of_wrong_secrets_is_throttled_before_the_secret_check(
    throttled_issuer, auth
) -> None:
    # The default burst, refilled slowly enough that a loaded machine cannot refill it mid-test.
    burst = IssuerSettings.model_fields["token_burst_per_client"].default
    async with throttled_issuer(token_rate_per_client=0.01) as at:
        issuer = at("198.51.100.20")
        client = await admin_client(issuer, auth)
        answers = [
            await token(issuer, client["client_id"], "wrong", key=None) for _ in range(burst + 2)
        ]
        assert [a.status_code for a in answers[:burst]] == [401] * burst
        throttled = answers[burst]
        assert throttled.status_code == 429, throttled.text
        assert throttled.json()["error"] == "slow_down"
        assert int(throttled.headers["retry-after"]) >= 1
        # The right secret waits too: the bucket is the client id's, whoever sends.
        right = await token(issuer, client["client_id"], client["client_secret"])
        assert right.status_code == 429


async def test_legal_bases_are_granted_by_an_admin_and_travel_in_the_token(
    issuer: httpx.AsyncClient, create_client, auth
) -> None:
    client = await create_client(legal_bases=["ocmw-maatschappelijke-integratie"])
    granted = await token(issuer, client["client_id"], client["client_secret"])
    claims = jwt.decode(granted.json()["access_token"], options={"verify_signature": False})
    assert claims["legal_bases"] == ["ocmw-maatschappelijke-integratie"]

    status = await issuer.post("/oauth2/client-status", data={"client_id": client["client_id"]})
    assert status.json() == {"active": True, "legal_bases": ["ocmw-maatschappelijke-integratie"]}
    changed = await issuer.put(
        f"/api/v1/partner-clients/{client['client_id']}/legal-bases",
        json={"legal_bases": []},
        headers=auth("admin", "dpo@agii"),
    )
    assert changed.status_code == 200 and changed.json()["legal_bases"] == []
    refused = await issuer.put(
        f"/api/v1/partner-clients/{client['client_id']}/legal-bases",
        json={"legal_bases": ["x"]},
        headers=auth("counsellor"),
    )
    assert refused.status_code == 403
    await issuer.post(
        f"/api/v1/partner-clients/{client['client_id']}/revocation", headers=auth("admin")
    )
    status = await issuer.post("/oauth2/client-status", data={"client_id": client["client_id"]})
    assert status.json() == {"active": False, "legal_bases": []}
    unknown = await issuer.post("/oauth2/client-status", data={"client_id": "pc_nobody"})
    assert unknown.json()["active"] is False


@pytest.fixture
def throttled_issuer(
    issuer_db: str, jwt_keys: Path
) -> Callable[..., contextlib.AbstractAsyncContextManager[Callable[[str], httpx.AsyncClient]]]:
    """An issuer with the given throttle settings; yields a function giving an HTTP client that
    calls it from a given source address."""

    @contextlib.asynccontextmanager
    async def run(**throttle: float) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
        settings = IssuerSettings(database_url=issuer_db, keys_dir=jwt_keys, **throttle)
        app = build_issuer_app(settings)
        async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as stack:

            def from_address(address: str) -> httpx.AsyncClient:
                transport = httpx.ASGITransport(app=app, client=(address, 40000))
                http = httpx.AsyncClient(transport=transport, base_url="http://issuer")
                stack.push_async_callback(http.aclose)
                return http

            yield from_address

    return run


async def admin_client(issuer: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> dict:
    body = {
        "display_name": "OCMW Evergem",
        "organisation": "ocmw-evergem",
        "allowed_scopes": ["tolken.requests"],
        "sender_constrained": False,
    }
    response = await issuer.post(
        "/api/v1/partner-clients", json=body, headers=auth("admin", "ops@test")
    )
    assert response.status_code == 201, response.text
    return response.json()


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "slow_down"
    assert int(response.headers["retry-after"]) >= 1


async def test_a_flooded_client_waits_from_every_address_and_other_clients_do_not(
    throttled_issuer, auth
) -> None:
    async with throttled_issuer(token_burst_per_client=3, token_rate_per_client=0.01) as at:
        attacker, other = at("198.51.100.7"), at("198.51.100.8")
        victim = await admin_client(attacker, auth)
        bystander = await admin_client(attacker, auth)
        for _ in range(3):
            wrong = await token(attacker, victim["client_id"], "not-the-secret", key=None)
            assert wrong.status_code == 401
        # refused before scrypt: even the right secret, from another address, now waits
        assert_throttled(await token(other, victim["client_id"], victim["client_secret"], key=None))
        # other clients are not held up by the flood
        served = await token(attacker, bystander["client_id"], bystander["client_secret"], key=None)
        assert served.status_code == 200, served.text


async def test_a_flood_from_one_source_address_is_throttled_whatever_client_it_names(
    throttled_issuer, auth
) -> None:
    async with throttled_issuer(token_burst_per_address=3, token_rate_per_address=0.01) as at:
        flooder, partner = at("203.0.113.9"), at("192.0.2.44")
        client = await admin_client(partner, auth)
        for n in range(3):
            guessed = await token(flooder, f"guessed-{n}", "guess", key=None)
            assert guessed.status_code == 401
        assert_throttled(
            await token(flooder, client["client_id"], client["client_secret"], key=None)
        )
        served = await token(partner, client["client_id"], client["client_secret"], key=None)
        assert served.status_code == 200, served.text
