"""The per-sender token bucket (R3): never more than MPS sends in any sliding 1-second window, long-run rate
0.9–1.0 × MPS, shared across workers. A fake clock and sleeper: no real sleeping."""

from __future__ import annotations

import os

import pytest

from notifications.ratelimit import HEADROOM, LocalBucketStore, RateLimiter, RedisBucketStore


class FakeClock:
    """``now()`` and ``sleep()`` for one simulated timeline (sleeping advances it)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.t += seconds


def _max_in_any_window(times: list[float], width: float = 1.0) -> int:
    """Most sends inside any half-open window [t, t + width) — how a strict provider counts."""
    times = sorted(times)
    best, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= width:
            left += 1
        best = max(best, right - left + 1)
    return best


def _drive(limiters: list[RateLimiter], clock: FakeClock, seconds: float) -> list[float]:
    """Round-robin senders (as worker processes would) until ``seconds`` of simulated time have passed."""
    sent: list[float] = []
    end = clock.now() + seconds
    while clock.now() < end:
        for limiter in limiters:
            limiter.wait("MG-sender")
            sent.append(clock.now())
    return [t for t in sent if t < end]


@pytest.mark.parametrize("mps", [1.0, 3.0, 10.0, 30.0])
def test_one_worker_never_exceeds_mps_in_any_sliding_second(mps: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(mps, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    sent = _drive([limiter], clock, 10.0)
    assert _max_in_any_window(sent) <= mps
    assert 0.9 * mps <= len(sent) / 10.0 <= 1.0 * mps


@pytest.mark.parametrize("mps", [1.0, 3.0])
def test_workers_sharing_a_bucket_stay_under_mps_together(mps: float) -> None:
    clock = FakeClock()
    store = LocalBucketStore()
    workers = [RateLimiter(mps, clock=clock.now, sleep=clock.sleep, store=store) for _ in range(3)]
    sent = _drive(workers, clock, 10.0)
    assert _max_in_any_window(sent) <= mps
    assert 0.9 * mps <= len(sent) / 10.0 <= 1.0 * mps


def test_sender_that_was_idle_sends_at_once_but_never_bursts() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    clock.sleep(60)
    limiter.wait("MG-sender")
    first = clock.now()
    limiter.wait("MG-sender")
    assert clock.now() - first == pytest.approx(1 / (3.0 * HEADROOM))


def test_senders_have_separate_buckets() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    limiter.wait("+15005550006")
    limiter.wait("+15005550007")
    assert clock.now() == 1_000_000.0


def test_clock_stepped_back_does_not_stall_the_sender() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    limiter.wait("MG-sender")
    clock.t -= 86_400  # e.g. an NTP step, or a test that travelled in time
    before = clock.now()
    limiter.wait("MG-sender")
    assert clock.now() == before


def test_zero_mps_means_no_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    for _ in range(100):
        limiter.wait("MG-sender")
    assert clock.now() == 1_000_000.0


def test_broken_shared_store_falls_back_to_this_process() -> None:
    class Broken:
        def reserve(self, key: str, now: float, interval: float) -> float:
            raise ConnectionError("redis down")

    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock.now, sleep=clock.sleep, store=Broken())
    sent = []
    for _ in range(10):
        limiter.wait("MG-fallback")
        sent.append(clock.now())
    assert _max_in_any_window(sent) <= 3


@pytest.mark.redis
def test_redis_bucket_is_shared_by_workers() -> None:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    import redis

    client = redis.Redis.from_url(url)
    client.delete("notifications:next-send:MG-redis-test")
    clock = FakeClock(start=2_000_000.0)
    workers = [
        RateLimiter(3.0, clock=clock.now, sleep=clock.sleep, store=RedisBucketStore(redis.Redis.from_url(url)))
        for _ in range(2)
    ]
    sent: list[float] = []
    for _ in range(15):
        for limiter in workers:
            limiter.wait("MG-redis-test")
            sent.append(clock.now())
    client.delete("notifications:next-send:MG-redis-test")
    assert _max_in_any_window(sent) <= 3
    rate = 3.0 * HEADROOM
    assert len(sent) / (sent[-1] - sent[0] + 1 / rate) == pytest.approx(rate, rel=0.01)


def test_redis_bucket_outlives_every_slot_it_handed_out() -> None:
    """Senders reserve ahead (several threads, each a lead before its slot): the key must not expire while a handed-out
    slot is still to come, or the next reservation would start at "now" on top of it (a 429)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    import redis

    client = redis.Redis.from_url(url)
    key = "notifications:next-send:MG-redis-ttl"
    client.delete(key)
    store, now, interval = RedisBucketStore(client), 3_000_000.0, 1 / (3.0 * HEADROOM)
    last = max(store.reserve(key, now, interval) for _ in range(12))
    ttl_s = client.pttl(key) / 1000
    client.delete(key)
    assert last - now == pytest.approx(11 * interval)
    assert ttl_s > last + interval - now


def test_work_done_before_a_reserved_slot_does_not_move_the_send() -> None:
    """The worker reserves a slot, does its database work a little before it, then sleeps to it (SEND_LEAD_S):
    however long that work takes within the lead, sends stay on their slots and inside the limit."""
    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    sent = [limiter.reserve("MG-sender")]  # a send in progress: every slot below is at least 0.35 s ahead
    for n in range(30):
        slot = limiter.reserve("MG-sender")
        limiter.sleep_until(slot - 0.25)
        clock.sleep(0.2 if n % 3 else 0.01)  # a reload or a slow commit on some sends
        limiter.sleep_until(slot)
        assert clock.now() == slot
        sent.append(clock.now())
    assert _max_in_any_window(sent) <= 3


class OversleepingClock(FakeClock):
    """A loaded host: every ``overshoot_every``-th sleep wakes ``overshoot`` seconds late."""

    def __init__(self, overshoot: float, overshoot_every: int) -> None:
        super().__init__()
        self.overshoot, self.every, self.sleeps = overshoot, overshoot_every, 0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        super().sleep(seconds + (self.overshoot if self.sleeps % self.every == 0 else 0.0))


@pytest.mark.parametrize("mps", [1.0, 3.0, 10.0])
@pytest.mark.parametrize("overshoot", [0.01, 0.06, 0.3])
def test_a_send_woken_late_takes_a_fresh_slot_instead_of_crowding_the_next(mps: float, overshoot: float) -> None:
    clock = OversleepingClock(overshoot, overshoot_every=5)
    limiter = RateLimiter(mps, clock=clock.now, sleep=clock.sleep, store=LocalBucketStore())
    sent = _drive([limiter], clock, 20.0)
    assert _max_in_any_window(sent) <= mps
    assert len(sent) / 20.0 >= 0.5 * mps  # a late wake-up costs a slot, not the limit
