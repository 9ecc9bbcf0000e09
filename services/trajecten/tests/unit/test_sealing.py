"""Webhook secrets sealed with AES-256-GCM under a keyring: round trip, refusals, rotation."""

import base64
import secrets
import uuid

import pytest

from trajecten.adapters.sealing import (
    VARIABLE,
    SealingNotConfigured,
    UnsealError,
    keyring,
    parse_keyring,
)

pytestmark = pytest.mark.unit

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


K1, K2 = key("k1"), key("k2")


def test_a_sealed_secret_opens_for_its_subscription_and_shows_nothing_of_it() -> None:
    ring = parse_keyring(K1)
    subscription = uuid.uuid4()
    sealed = ring.seal(SECRET, subscription)
    version, kid, nonce, _ = sealed.split(".")
    assert (version, kid) == ("v1", "k1")
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12  # 96 bits
    assert SECRET not in sealed and SECRET.removeprefix("whsec_") not in sealed
    assert ring.open(sealed, subscription) == SECRET
    assert ring.seal(SECRET, subscription) != sealed  # a fresh nonce every time


def test_a_secret_copied_to_another_subscription_does_not_open() -> None:
    ring = parse_keyring(K1)
    sealed = ring.seal(SECRET, uuid.uuid4())
    with pytest.raises(UnsealError, match="another subscription"):
        ring.open(sealed, uuid.uuid4())


@pytest.mark.parametrize("part", [2, 3])
def test_an_altered_nonce_or_ciphertext_does_not_open(part: int) -> None:
    ring = parse_keyring(K1)
    subscription = uuid.uuid4()
    parts = ring.seal(SECRET, subscription).split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[part] + "=="))
    raw[0] ^= 1
    parts[part] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(UnsealError):
        ring.open(".".join(parts), subscription)


@pytest.mark.parametrize("sealed", ["", SECRET, "v2.k1.AAAA.AAAA", "v1.k1.AAAA"])
def test_what_is_not_a_sealed_value_does_not_open(sealed: str) -> None:
    with pytest.raises(UnsealError):
        parse_keyring(K1).open(sealed, uuid.uuid4())


def test_a_key_id_not_in_the_keyring_does_not_open_and_names_the_variable() -> None:
    subscription = uuid.uuid4()
    sealed = parse_keyring(K1).seal(SECRET, subscription)
    with pytest.raises(UnsealError, match=f"'k1'.*{VARIABLE}"):
        parse_keyring(K2).open(sealed, subscription)
    # The same id with another key is tampering as far as GCM can tell.
    with pytest.raises(UnsealError):
        parse_keyring(key("k1")).open(sealed, subscription)


def test_rotation_the_first_key_seals_every_key_opens() -> None:
    subscription = uuid.uuid4()
    old = parse_keyring(K1).seal(SECRET, subscription)
    rotated = parse_keyring(f"{K2}, {K1}")
    assert rotated.current == "k2" and not rotated.is_current(old)
    assert rotated.open(old, subscription) == SECRET
    resealed = rotated.seal(rotated.open(old, subscription), subscription)
    assert rotated.is_current(resealed) and resealed.startswith("v1.k2.")
    assert parse_keyring(K2).open(resealed, subscription) == SECRET  # k1 may now go


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "is not set"),
        (" , ", "is not set"),
        ("k1", "not base64 of 32 bytes"),
        (f"k1:{base64.b64encode(b'short').decode()}", "not base64 of 32 bytes"),
        ("k1:not base64!", "not base64 of 32 bytes"),
        (f":{K1.split(':')[1]}", "key id"),
        (f"k.1:{K1.split(':')[1]}", "key id"),
        (f"{K1},{K1}", "listed twice"),
    ],
)
def test_a_missing_or_malformed_keyring_is_a_configuration_error(text: str, complaint: str):
    with pytest.raises(SealingNotConfigured, match=complaint) as raised:
        parse_keyring(text)
    assert VARIABLE in str(raised.value)


def test_the_keyring_is_read_from_the_environment_on_first_use(monkeypatch) -> None:
    monkeypatch.setenv(VARIABLE, "")
    with pytest.raises(SealingNotConfigured, match=VARIABLE):
        keyring()
    monkeypatch.setenv(VARIABLE, f"{K2},{K1}")
    assert keyring().current == "k2"
