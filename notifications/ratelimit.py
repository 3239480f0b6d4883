"""Per-sender send rate: a token bucket of capacity 1 (GCRA) so a strict provider never sees more than MPS (plan §7.5).

Each sender has a "next allowed send" time. ``RateLimiter.wait`` atomically reserves the later of *now* and that
time, moves it on by ``1 / (HEADROOM × MPS)`` and sleeps until the reserved moment. Reservations never overlap, so
consecutive sends are at least one interval apart and any 1-second window holds at most ``floor(0.95·MPS) + 1 ≤ MPS``
sends (the fake Twilio and Twilio itself count a sliding window). The long-run rate is ``0.95 × MPS``.

The reservation lives in Redis (one Lua script: read, advance, write) when the Django cache is Redis, so every
worker process and thread shares one bucket per sender; otherwise it is process-local (shared by the threads of
this process). If Redis fails the limiter falls back to the process-local bucket (JOB-06: Redis trouble must not
stop texts). Times come from the caller's clock, so worker hosts need NTP (skew eats into the 5% headroom).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

HEADROOM = 0.95  # aim under the provider's limit so timing jitter never tips a send over it
LATE_TOLERANCE_S = 0.02
"""How late after its slot a send may still go, in seconds. MPS + 1 consecutive slots span MPS / (0.95 × MPS)
≈ 1.053 s, so sends at most 20 ms late keep any 1-second window at ≤ MPS with ~30 ms to spare for what happens
between this check and the provider's clock (building the request, thread switches, the network); a send woken
later than this (a loaded host) takes a fresh slot instead of crowding the next one."""
KEY_PREFIX = "notifications:next-send"

_RESERVE_LUA = """
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if next_at > now + tonumber(ARGV[4]) then next_at = now end
local start = math.max(now, next_at)
redis.call('SET', KEYS[1], string.format('%.6f', start + tonumber(ARGV[2])), 'PX', tonumber(ARGV[3]))
return string.format('%.6f', start)
"""


class BucketStore(Protocol):
    def reserve(self, key: str, now: float, interval: float) -> float:
        """Atomically take the next slot for ``key``: return its start (≥ now) and move the next slot on.

        A next slot more than ``horizon(interval)`` ahead means the clock stepped back: start again from now."""
        ...


def horizon(interval: float) -> float:
    """How far ahead a next slot may legitimately be (many waiting senders); beyond it the clock was stepped back."""
    return max(5.0, 100 * interval)


class LocalBucketStore:
    """Next-allowed times in this process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def reserve(self, key: str, now: float, interval: float) -> float:
        with self._lock:
            next_at = self._next.get(key, 0.0)
            start = now if next_at > now + horizon(interval) else max(now, next_at)
            self._next[key] = start + interval
            return start


class RedisBucketStore:
    """Next-allowed times in Redis, shared by every worker process; one round trip per reservation."""

    def __init__(self, client: Any) -> None:
        self._script = client.register_script(_RESERVE_LUA)

    def reserve(self, key: str, now: float, interval: float) -> float:
        # The key must outlive every slot already handed out (up to the horizon ahead); it only expires for tidiness.
        ttl_ms = int((horizon(interval) + interval) * 1000) + 1000
        return float(self._script(keys=[key], args=[repr(now), repr(interval), ttl_ms, repr(horizon(interval))]))


_local_store = LocalBucketStore()


def default_store() -> BucketStore:
    """Redis when the default cache is Redis (shared across processes), else this process's bucket."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        try:
            return RedisBucketStore(cache._cache.get_client(write=True))
        except Exception:
            logger.warning("rate limiter: Redis unavailable, limiting within this process", exc_info=True)
    return _local_store


class RateLimiter:
    """At most ``mps`` sends in any 1-second window per sender (aiming at 0.95 × mps). ``mps <= 0`` → no limit.

    ``clock`` and ``sleep`` are injectable (tests use a fake clock); ``store`` defaults to ``default_store()``.
    """

    def __init__(
        self,
        mps: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        store: BucketStore | None = None,
    ) -> None:
        self.mps = mps
        self.interval = 1.0 / (mps * HEADROOM) if mps > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.store = store if store is not None else (default_store() if self.interval else _local_store)

    def wait(self, sender: str, stopping: threading.Event | None = None) -> None:
        """Block until this sender may send once more. A reserved slot is always waited for in full, even when
        ``stopping`` is set: the caller sends right after, and leaving early would break the limit."""
        self.sleep_until_slot(sender, self.reserve(sender))

    def reserve(self, sender: str) -> float:
        """Take this sender's next slot and return its start on ``clock`` (now, or later when others hold the
        slots before it). The caller must not send before it; ``sleep_until`` waits for it."""
        now = self.clock()
        if not self.interval:
            return now
        key = f"{KEY_PREFIX}:{sender}"
        try:
            return self.store.reserve(key, now, self.interval)
        except Exception:
            logger.warning("rate limiter: shared bucket failed, limiting within this process", exc_info=True)
            return _local_store.reserve(key, now, self.interval)

    def sleep_until_slot(self, sender: str, slot: float) -> float:
        """Sleep to ``slot`` and return the slot to send on: ``slot`` itself, or — when the sleep overshot by more
        than ``LATE_TOLERANCE_S`` — a freshly reserved one, slept to in turn. Never early, never crowding."""
        while True:
            self.sleep_until(slot)
            if not self.interval or self.clock() - slot <= LATE_TOLERANCE_S:
                return slot
            slot = self.reserve(sender)

    def sleep_until(self, at: float) -> None:
        """Sleep until ``at`` on ``clock`` (not at all if it has passed)."""
        delay = at - self.clock()
        if delay > 0:
            self.sleep(delay)
