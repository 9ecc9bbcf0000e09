"""Webhook secrets sealed at rest with AES-256-GCM under an operator's keyring.

HMAC signing needs the secret itself, so it cannot be hashed; it is encrypted instead. The
keyring comes from ``CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS``: ``kid:base64-of-32-bytes`` entries,
comma-separated. The first key seals; every listed key opens, so an operator rotates by
prepending a new key, re-sealing (``python -m trajecten.reseal``) and then dropping the old one.

A sealed value is ``v1.<kid>.<nonce>.<ciphertext>`` (base64url, no padding; a random 96-bit
nonce; the ciphertext ends in GCM's tag). The subscription id is the associated data: a sealed
secret copied to another subscription's row does not open.
"""

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from trajecten.settings import TrajectenSettings

VARIABLE = "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS"
FORMAT = "v1"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class SealingNotConfigured(RuntimeError):
    """The keyring is missing or malformed: an operator's mistake, named with the variable."""


class UnsealError(ValueError):
    """A sealed value that does not open: unknown key id, tampered, or another subscription's."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Keyring:
    keys: tuple[tuple[str, bytes], ...]  # (key id, 32-byte key); the first seals

    @property
    def current(self) -> str:
        return self.keys[0][0]

    def seal(self, plain: str, subscription_id: UUID) -> str:
        kid, key = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plain.encode(), subscription_id.bytes)
        return ".".join((FORMAT, kid, _b64(nonce), _b64(sealed)))

    def open(self, sealed: str, subscription_id: UUID) -> str:
        parts = sealed.split(".")
        if len(parts) != 4 or parts[0] != FORMAT:
            raise UnsealError("not a sealed secret")
        _, kid, nonce, ciphertext = parts
        key = dict(self.keys).get(kid)
        if key is None:
            raise UnsealError(f"sealed under key {kid!r}, which is not in {VARIABLE}")
        try:
            plain = AESGCM(key).decrypt(_unb64(nonce), _unb64(ciphertext), subscription_id.bytes)
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise UnsealError("does not open: altered, or sealed for another subscription") from exc
        return plain.decode()

    @property
    def current_prefix(self) -> str:
        """How every value sealed under the key that seals now begins."""
        return f"{FORMAT}.{self.current}."

    def is_current(self, sealed: str) -> bool:
        return sealed.startswith(self.current_prefix)


def parse_keyring(text: str) -> Keyring:
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    if not entries:
        raise SealingNotConfigured(
            f"{VARIABLE} is not set: webhook secrets are sealed at rest and need a keyring"
            " (kid:base64-of-32-bytes, comma-separated, the first seals)"
        )
    keys: list[tuple[str, bytes]] = []
    for entry in entries:
        kid, _, encoded = entry.partition(":")
        if not _KEY_ID.fullmatch(kid):
            raise SealingNotConfigured(f"{VARIABLE}: key id {kid!r} is not 1-32 of [A-Za-z0-9_-]")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 32:
            raise SealingNotConfigured(f"{VARIABLE}: key {kid!r} is not base64 of 32 bytes")
        if kid in dict(keys):
            raise SealingNotConfigured(f"{VARIABLE}: key id {kid!r} is listed twice")
        keys.append((kid, key))
    return Keyring(tuple(keys))


_parsed = lru_cache(maxsize=4)(parse_keyring)


def parsed_keyring(text: str) -> Keyring:
    """The keyring in ``text`` (``kid:base64`` entries), parsed once per text."""
    return _parsed(text)


def keyring(settings: TrajectenSettings | None = None) -> Keyring:
    """The configured keyring, read on first use: processes that never touch a webhook secret
    start without one."""
    return _parsed((settings or TrajectenSettings()).webhook_secret_keys.get_secret_value())
