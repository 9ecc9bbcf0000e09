"""Access tokens of the staff sign-in provider (Keycloak) beside the local issuer's: chosen by
their issuer, only the platform's staff roles count, and only access tokens open the APIs. The
provider's keys are a second local key pair here; tests/e2e/test_single_sign_in.py uses Keycloak."""

import json
import time
from pathlib import Path

import jwt
import pytest
from starlette.requests import Request

from civic_common.auth.issuer import PRIVATE_KEY, ensure_keys, mint
from civic_common.auth.tokens import InvalidToken, StaffIssuer, TokenValidator
from civic_common.web.oidc import staff_principal
from civic_common.web.security import content_security_policy, same_origin

pytestmark = pytest.mark.unit

PROVIDER = "http://127.0.0.1:8180/realms/civic"


class LocalStaffIssuer(StaffIssuer):
    """The provider's JWKS from a file instead of its discovery document."""

    def __init__(self, keys: Path) -> None:
        super().__init__(PROVIDER, "civic")
        self._jwks = jwt.PyJWKSet.from_dict(json.loads((keys / "jwks.json").read_text()))

    def key(self, token: str) -> jwt.PyJWK:
        return self._jwks.keys[0]


@pytest.fixture
def local(tmp_path: Path) -> Path:
    ensure_keys(tmp_path / "local")
    return tmp_path / "local"


@pytest.fixture
def provider(tmp_path: Path) -> Path:
    ensure_keys(tmp_path / "provider")
    return tmp_path / "provider"


def provider_token(keys: Path, **claims: object) -> str:
    now = int(time.time())
    body = {
        "iss": PROVIDER,
        "aud": ["civic", "account"],
        "sub": "5b0c3f1e",
        "iat": now,
        "exp": now + 300,
        "typ": "Bearer",
        "roles": ["counter", "default-roles-civic", "offline_access", "partner"],
        "org": "agii",
    } | claims
    kid = json.loads((keys / "jwks.json").read_text())["keys"][0]["kid"]
    return jwt.encode(
        body, (keys / PRIVATE_KEY).read_text(), algorithm="RS256", headers={"kid": kid}
    )


def validator(local: Path, provider: Path) -> TokenValidator:
    return TokenValidator(
        str(local / "jwks.json"), "civic-local", "civic", LocalStaffIssuer(provider)
    )


def test_a_providers_access_token_names_a_staff_member_with_staff_roles_only(local, provider):
    principal = validator(local, provider).validate(provider_token(provider))
    assert principal.subject == "5b0c3f1e"
    assert principal.roles == {"counter"}  # never partner, never the provider's own roles
    assert principal.organisation == "agii"


def test_the_local_issuers_tokens_still_hold_beside_the_provider(local, provider):
    token = mint(local, ["analyst"], "an@agii", organisation="agii")
    assert validator(local, provider).validate(token).roles == {"analyst"}


@pytest.mark.parametrize(
    "claims",
    [
        {"typ": "ID", "aud": "civic-pages"},  # an ID token is no API credential
        {"typ": "Refresh"},
        {"aud": "account"},  # not meant for the platform
        {"exp": int(time.time()) - 60},
    ],
)
def test_other_tokens_of_the_provider_are_refused(local, provider, claims):
    with pytest.raises(InvalidToken):
        validator(local, provider).validate(provider_token(provider, **claims))


def test_a_token_claiming_the_provider_but_signed_by_another_key_is_refused(local, provider):
    forged = provider_token(local)  # the local issuer's key, the provider's name
    with pytest.raises(InvalidToken):
        validator(local, provider).validate(forged)


def test_id_token_claims_give_the_same_staff_principal():
    principal = staff_principal(
        {"sub": "s", "roles": ["admin", "uma_authorization", 3], "org": "atlas"}
    )
    assert principal.roles == {"admin"} and principal.organisation == "atlas"


def test_a_partner_organisations_staff_member_signs_in_for_that_organisation_only():
    partner = staff_principal({"sub": "p", "roles": ["partner"], "org": "ocmw-evergem"})
    assert partner.roles == {"partner"} and partner.organisation == "ocmw-evergem"
    # Without an organisation the role means nothing; beside a staff role it is not taken.
    assert staff_principal({"sub": "p", "roles": ["partner"]}).roles == frozenset()
    both = staff_principal({"sub": "p", "roles": ["partner", "counsellor"], "org": "agii"})
    assert both.roles == {"counsellor"}


def test_a_signed_in_partner_is_accepted_only_where_asked_for(local, provider):
    token = provider_token(provider, roles=["partner"], org="ocmw-evergem")
    checker = validator(local, provider)
    assert checker.validate(token).roles == frozenset(), "never a partner client on the APIs"
    assert checker.signed_in_partner(token).organisation == "ocmw-evergem"
    with pytest.raises(InvalidToken):
        checker.signed_in_partner(provider_token(provider, roles=["counsellor"], org="agii"))
    with pytest.raises(InvalidToken):
        checker.signed_in_partner(provider_token(local, roles=["partner"], org="x"))


def test_forms_may_post_here_and_to_the_provider_only():
    policy = content_security_policy(["http://127.0.0.1:8180"])
    assert "form-action 'self' http://127.0.0.1:8180;" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy


def _request(**headers: str) -> Request:
    raw = [(b"host", b"127.0.0.1:8001")] + [
        (k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()
    ]
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "path": "/x",
            "headers": raw,
            "query_string": b"",
        }
    )


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"origin": "http://127.0.0.1:8001"}, True),
        ({"origin": "http://127.0.0.1:8002"}, False),  # another service: same site, not origin
        ({"origin": "null"}, False),
        ({"sec_fetch_site": "same-origin"}, True),
        ({"sec_fetch_site": "same-site"}, False),
        ({"referer": "http://127.0.0.1:8001/personen"}, True),
        ({"referer": "http://127.0.0.1:8003/"}, False),
        ({}, False),
    ],
)
def test_only_this_origins_own_pages_may_post(headers: dict[str, str], allowed: bool):
    assert same_origin(_request(**headers)) is allowed


class CountingStaffIssuer(StaffIssuer):
    """The provider's discovery and JWKS answered from a file, counting the fetches."""

    def __init__(self, keys: Path) -> None:
        super().__init__(PROVIDER, "civic")
        self.fetches: list[str] = []
        self._jwks = json.loads((keys / "jwks.json").read_text())

    def _get(self, url: str) -> dict:
        self.fetches.append(url)
        if url.endswith("openid-configuration"):
            return {"issuer": PROVIDER, "jwks_uri": f"{PROVIDER}/certs"}
        return self._jwks


def test_the_providers_keys_are_fetched_once_and_unknown_keys_do_not_refetch_each_time(
    local, provider
):
    staff = CountingStaffIssuer(provider)
    tokens = TokenValidator(str(local / "jwks.json"), "civic-local", "civic", staff)
    assert tokens.validate(provider_token(provider)).roles == {"counter"}
    assert tokens.validate(provider_token(provider)).roles == {"counter"}
    assert len(staff.fetches) == 2  # discovery and JWKS, once
    unknown = jwt.encode(
        {"iss": PROVIDER}, (provider / PRIVATE_KEY).read_text(), "RS256", headers={"kid": "x"}
    )
    for _ in range(5):
        with pytest.raises(InvalidToken):
            tokens.validate(unknown)
    assert len(staff.fetches) == 2  # within REFRESH_SECONDS of the last fetch
