"""A partner edge admits partner tokens only with the API's scope, and no staff token at all."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from civic_common.api.problems import install_problem_handlers
from civic_common.api.ratelimit import TokenBuckets
from civic_common.auth.issuer import ensure_keys, mint
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import TokenValidator, require_partner_scope

pytestmark = pytest.mark.unit


@pytest.fixture
async def call(tmp_path):
    jwks = ensure_keys(tmp_path)
    app = FastAPI()
    app.state.token_validator = TokenValidator(str(jwks), "civic-local", "civic")
    app.state.partner_buckets = TokenBuckets(rate=0.01, burst=5)
    install_problem_handlers(app)
    edge = require_partner_scope("tolken.requests")

    @app.get("/partners/v1/requests")
    async def requests(who: Annotated[Principal, Depends(edge)]) -> dict[str, str]:
        return {"org": who.organisation or ""}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:

        async def as_(
            role: str, scope: str | None = None, organisation: str = "ocmw-gent"
        ) -> httpx.Response:
            token = mint(tmp_path, [role], f"{role}-client", organisation=organisation, scope=scope)
            return await http.get(
                "/partners/v1/requests", headers={"Authorization": f"Bearer {token}"}
            )

        yield as_


async def test_a_partner_needs_the_scope_of_the_api(call):
    assert (await call("partner", "tolken.requests trajecten.updates")).status_code == 200
    refused = await call("partner", "trajecten.updates")
    assert refused.status_code == 403
    assert "tolken.requests" in refused.json()["detail"]
    assert (await call("partner")).status_code == 403


async def test_staff_do_not_pass_a_partner_edge_whatever_their_scopes(call):
    for role in ("interpreter_desk", "admin", "counter"):
        refused = await call(role, "tolken.requests")
        assert refused.status_code == 403, role
        assert "partner" in refused.json()["detail"]


async def test_a_partner_over_its_rate_gets_429_with_retry_after_others_pass(call):
    scope = "tolken.requests"
    codes = [(await call("partner", scope, "ocmw-a")).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = await call("partner", scope, "ocmw-a")
    assert int(refused.headers["retry-after"]) >= 1
    assert (await call("partner", scope, "ocmw-b")).status_code == 200, "per organisation"


def test_the_openapi_document_offers_both_token_schemes(tmp_path):
    app = FastAPI()
    app.state.token_validator = TokenValidator(str(ensure_keys(tmp_path)), "civic-local", "civic")

    @app.get("/partners/v1/requests")
    async def requests(who: Annotated[Principal, Depends(require_partner_scope("x"))]) -> None:
        return None

    document = app.openapi()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "DPoP"}
    assert document["paths"]["/partners/v1/requests"]["get"]["security"] == [
        {"bearer": []},
        {"DPoP": []},
    ]
