"""Token buckets for incoming socket frames: per connection (in memory) and per user (in the shared cache, so
every process of a scaled-out site counts together) (WS-07, ASVS 2.4.1).

A refused frame adds to a leaky penalty counter; when refusals keep coming faster than it drains, the connection is
flooding and the consumer closes it with 4429. The per-user bucket is read-modify-write in the cache: concurrent
processes may let a few extra frames through, which is acceptable for a flood guard.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.cache import cache

logger = logging.getLogger(__name__)

CONNECTION_BURST = 10
CONNECTION_RATE = 1.0  # frames per second, refilled continuously
USER_BURST = 20
USER_RATE = 2.0
FLOOD_PENALTY = 10  # refusals beyond what drains at FLOOD_DRAIN per second
FLOOD_DRAIN = 1.0


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    rate: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, capacity: float, rate: float, now: float) -> TokenBucket:
        return cls(capacity=capacity, rate=rate, tokens=capacity, updated=now)

    def take(self, now: float, cost: float = 1.0) -> bool:
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class FrameLimiter:
    """Decide, frame by frame, whether a connection may go on. One per socket, so slotted (issue #17, W5)."""

    __slots__ = ("connection", "penalty", "penalty_at", "user_key")

    def __init__(self, user_id: int) -> None:
        now = time.time()
        self.user_key = f"messaging:ws-rate:{user_id}"
        self.connection = TokenBucket.full(CONNECTION_BURST, CONNECTION_RATE, now)
        self.penalty = 0.0
        self.penalty_at = now

    async def allow(self) -> bool:
        now = time.time()
        allowed = self.connection.take(now) and await self._take_user_token(now)
        self.penalty = max(0.0, self.penalty - (now - self.penalty_at) * FLOOD_DRAIN)
        self.penalty_at = now
        if not allowed:
            self.penalty += 1
        return allowed

    @property
    def flooding(self) -> bool:
        return self.penalty > FLOOD_PENALTY

    async def _take_user_token(self, now: float) -> bool:
        """One hop to a worker thread for the read and the write (the cache's own ``aget``/``aset`` would be two,
        each through the process's one thread-sensitive thread, queued behind every other socket's calls)."""
        return await sync_to_async(self._take_user_token_now, thread_sensitive=False)(now)

    def _take_user_token_now(self, now: float) -> bool:
        try:
            stored = cache.get(self.user_key)
            bucket = (
                TokenBucket(USER_BURST, USER_RATE, *stored) if stored else TokenBucket.full(USER_BURST, USER_RATE, now)
            )
            allowed = bucket.take(now)
            cache.set(self.user_key, (bucket.tokens, bucket.updated), timeout=120)
            return allowed
        except Exception as exc:  # cache down: the per-connection bucket still applies
            logger.warning("rate-limit cache unavailable: %s", type(exc).__name__)
            return True
