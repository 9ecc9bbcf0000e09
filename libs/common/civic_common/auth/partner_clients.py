"""Partner client credentials: secret generation, scrypt hashing, constant-time checks, scopes.

Pure functions; the issuer (``issuer_app``) stores only the hashes these produce.
"""

import base64
import hashlib
import hmac
import secrets

# scrypt cost: ~16 MiB and tens of milliseconds per check, cheap for a token request, dear for
# an attacker with a stolen table. The parameters travel with each hash so they can be raised.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32


class ScopeNotAllowed(ValueError):
    """A requested scope the client may not have."""


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    return f"pc_{secrets.token_hex(12)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=_KEY_BYTES
    )


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$key`` with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = _scrypt(secret, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, _unb64(key))


# Checked against when the client is unknown, so an unknown id costs as much as a wrong secret.
DUMMY_HASH = hash_secret(new_secret())


def parse_scope(scope: str | None) -> frozenset[str]:
    return frozenset((scope or "").split())


def granted_scopes(requested: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """RFC 6749 §3.3: no scope asked means all the client may have; more than that is refused."""
    asked = parse_scope(requested)
    if not asked:
        return allowed
    if not asked <= allowed:
        raise ScopeNotAllowed(" ".join(sorted(asked - allowed)))
    return asked
