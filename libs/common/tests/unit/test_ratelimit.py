"""The per-partner token bucket behind every partner edge's 429."""

import pytest

from civic_common.api.ratelimit import TokenBuckets

pytestmark = pytest.mark.unit


def test_token_bucket_allows_bursts_then_says_how_long_to_wait() -> None:
    buckets = TokenBuckets(rate=2.0, burst=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 0.0) == pytest.approx(0.5)
    assert buckets.take("b", 0.0) == 0.0  # per partner
    assert buckets.take("a", 0.5) == 0.0
