"""Is a partner's token still active? Asked of the issuer (RFC 7662 token introspection), so a
revoked partner client is refused within seconds, not when its last token expires.

Answers are cached per token for a short while (and never past the token's expiry): one call
to the issuer per token per ``ttl`` seconds, not one per request. When the issuer cannot be
reached the answer is "unknown", and callers refuse (fail-closed).
"""

import hashlib
import time

import httpx
import jwt

MAX_CACHED = 10_000


class IntrospectionUnavailable(Exception):
    """The issuer did not answer; whether the token is active is unknown."""


class Introspector:
    def __init__(self, url: str, ttl: float, timeout: float = 5.0) -> None:
        self._url, self._ttl = url, ttl
        self._http = httpx.AsyncClient(timeout=timeout)
        self._cache: dict[str, tuple[bool, float]] = {}  # token hash -> (active, until)

    async def active(self, token: str) -> bool:
        """For a token already validated (signature, expiry) by the caller."""
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            response = await self._http.post(self._url, data={"token": token})
            response.raise_for_status()
            answer = response.json().get("active") is True
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise IntrospectionUnavailable(str(exc)) from exc
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
        left = max(0.0, float(expires_at) - time.time())
        self._cache[key] = (answer, now + min(self._ttl, left))
        return answer

    async def close(self) -> None:
        await self._http.aclose()
