import time

import jwt
import pytest

from civic_common.auth.issuer import PRIVATE_KEY, ensure_keys, mint
from civic_common.auth.tokens import InvalidToken, TokenValidator

pytestmark = pytest.mark.unit


@pytest.fixture
def keys(tmp_path):
    ensure_keys(tmp_path)
    return tmp_path


def validator(keys) -> TokenValidator:
    return TokenValidator(str(keys / "jwks.json"), "civic-local", "civic")


def test_a_token_of_the_local_issuer_yields_its_principal(keys):
    token = mint(keys, ["counter"], "an@agii", organisation="agii", municipality="44021")
    principal = validator(keys).validate(token)
    assert principal.subject == "an@agii"
    assert principal.roles == {"counter"}
    assert (principal.organisation, principal.municipality) == ("agii", "44021")


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 10},
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
    ],
)
def test_expired_or_foreign_tokens_are_refused(keys, claims):
    base = {
        "sub": "x",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "iss": "civic-local",
        "aud": "civic",
        "roles": ["admin"],
    }
    kid = jwt.get_unverified_header(mint(keys, ["admin"], "x"))["kid"]
    token = jwt.encode(
        base | claims, (keys / PRIVATE_KEY).read_bytes(), "RS256", headers={"kid": kid}
    )
    with pytest.raises(InvalidToken):
        validator(keys).validate(token)


def test_a_token_signed_by_another_key_is_refused(keys, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    with pytest.raises(InvalidToken):
        validator(keys).validate(mint(other, ["admin"], "mallory"))


def test_the_issuer_keeps_its_key_across_calls(keys):
    first = (keys / "jwks.json").read_text()
    ensure_keys(keys)
    assert (keys / "jwks.json").read_text() == first


def test_a_partner_token_carries_its_scopes(keys):
    token = mint(
        keys,
        ["partner"],
        "client-ocmw-gent",
        organisation="ocmw-gent",
        municipality="44021",
        scope="trajecten.events:read feed:read",
    )
    principal = validator(keys).validate(token)
    assert principal.scopes == {"trajecten.events:read", "feed:read"}
    assert principal.roles == {"partner"}


def test_a_remembered_token_is_refused_once_it_expires(keys):
    """Validation remembers a valid token (no signature check each request), never past its
    expiry."""
    tokens = validator(keys)
    token = mint(keys, ["counter"], "an@agii", organisation="agii", ttl=2)
    assert tokens.validate(token).subject == "an@agii"
    assert tokens.validate(token).subject == "an@agii"  # remembered
    time.sleep(2.1)
    with pytest.raises(InvalidToken):
        tokens.validate(token)


def test_a_token_remembered_as_bearer_still_needs_its_proof_when_bound(keys):
    """Remembered per (token, proof key): what passed one way is not taken another way."""
    tokens = validator(keys)
    bound = mint(keys, ["partner"], "client-1", key_thumbprint="thumb-a")
    assert tokens.validate(bound, "thumb-a").subject == "client-1"
    with pytest.raises(InvalidToken):
        tokens.validate(bound)
    with pytest.raises(InvalidToken):
        tokens.validate(bound, "thumb-b")
