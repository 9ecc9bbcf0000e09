import pytest

from civic_common.auth.partner_clients import (
    ScopeNotAllowed,
    granted_scopes,
    hash_secret,
    new_client_id,
    new_secret,
    verify_secret,
)

pytestmark = pytest.mark.unit


def test_a_hash_verifies_its_secret_only() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert secret not in stored and stored.startswith("scrypt$")
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret("", stored)


def test_salts_differ_so_equal_secrets_hash_differently() -> None:
    secret = new_secret()
    first, second = hash_secret(secret), hash_secret(secret)
    assert first != second
    assert verify_secret(secret, first) and verify_secret(secret, second)


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$a$b", "scrypt$x$8$1$AA$AA"])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not verify_secret("anything", stored)


def test_secrets_and_ids_are_random_and_long() -> None:
    assert len(new_secret()) >= 43 and new_secret() != new_secret()
    assert new_client_id().startswith("pc_") and new_client_id() != new_client_id()


def test_scope_defaults_to_all_allowed() -> None:
    allowed = frozenset({"requests:read", "requests:write"})
    assert granted_scopes(None, allowed) == allowed
    assert granted_scopes("  ", allowed) == allowed


def test_scope_subset_is_granted_and_superset_refused() -> None:
    allowed = frozenset({"requests:read", "requests:write"})
    assert granted_scopes("requests:read", allowed) == {"requests:read"}
    with pytest.raises(ScopeNotAllowed, match="reports:read"):
        granted_scopes("requests:read reports:read", allowed)
