"""A token bucket per partner: a steady rate with bursts. Pure; the caller passes the clock.

``require_partner_scope`` takes a token per request at every partner edge (429 with
Retry-After when empty); the buckets live on ``app.state.partner_buckets`` (``create_app``)."""

from dataclasses import dataclass, field


@dataclass
class TokenBuckets:
    rate: float  # tokens added per second
    burst: int  # bucket size
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)

    def take(self, key: str, now: float) -> float:
        """0 when a request may pass (and takes a token), else the seconds until one may."""
        tokens, at = self._state.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._state[key] = (tokens - 1, now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1 - tokens) / self.rate
