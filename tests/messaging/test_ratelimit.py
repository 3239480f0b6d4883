"""Token buckets for socket frames (WS-07), with a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync

from messaging.ratelimit import CONNECTION_BURST, USER_BURST, FrameLimiter, TokenBucket


def test_the_per_socket_limiter_keeps_no_instance_dict():
    """One limiter per open socket: slotted, so it keeps its four values and no ``__dict__`` (issue #17, W5)."""
    limiter = FrameLimiter(1)
    assert not hasattr(limiter, "__dict__") and not hasattr(limiter.connection, "__dict__")


def test_bucket_refills_at_its_rate():
    bucket = TokenBucket.full(capacity=2, rate=1.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(0.5) is False
    assert bucket.take(1.0) is True
    assert bucket.take(100.0) and bucket.take(100.0) and not bucket.take(100.0)  # never above capacity


@pytest.mark.django_db
def test_user_bucket_is_shared_by_all_of_a_users_connections(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"}}
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        first, second, third = FrameLimiter(7), FrameLimiter(7), FrameLimiter(7)
        allowed = [async_to_sync(limiter.allow)() for limiter in (first, second) for _ in range(CONNECTION_BURST)]
        assert all(allowed) and len(allowed) == USER_BURST
        assert async_to_sync(third.allow)() is False  # its own bucket is full, the user's is empty


def test_refusals_drain_so_a_short_burst_is_not_flooding(monkeypatch):
    monkeypatch.setattr(FrameLimiter, "_take_user_token", _always)  # a slotted limiter: patched on its class
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False) as clock:
        limiter = FrameLimiter(8)
        for _ in range(CONNECTION_BURST + 5):
            async_to_sync(limiter.allow)()
        assert not limiter.flooding
        clock.shift(timedelta(seconds=30))
        assert async_to_sync(limiter.allow)() is True


async def _always(limiter: FrameLimiter, now: float) -> bool:
    return True
