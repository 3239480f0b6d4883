"""Stage 5: reminders through ``enqueue_message`` and ``run_notifications`` against the fake Twilio (R1–R6)."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import User
from bench.seed import Dataset
from consent.models import Scope
from notifications.models import OutboxMessage, SmsPhone
from notifications.services import enqueue_message
from notifications.worker import DONE_STATES as DONE
from tests.support.procs import Child, ProcessRegistry, wait_until


def waking_zone() -> str:
    hour = datetime.now(UTC).hour
    offset = (12 - hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class Fake:
    """Control and statistics of the bench.fake_twilio child."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def _call(self, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(payload or {}).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method="POST" if data else "GET")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def configure(self, **knobs: float) -> None:
        self._call("/_bench/reset", {})
        self._call("/_bench/config", knobs)

    def stats(self) -> dict[str, Any]:
        return self._call("/_bench/stats")


def prepare_recipients(data: Dataset) -> tuple[list[tuple[User, User]], list[tuple[User, User]]]:
    """(member, patient) pairs with a confirmed, opted-in phone, daytime profile zone: allowed and ended."""
    zone = waking_zone()
    now = timezone.now()
    allowed = [(m, f.patient) for f in data.families for m in f.members]
    ended = [(m, f.patient) for f in data.families for m in f.ended]
    users = [m for m, _ in allowed + ended]
    User.objects.filter(pk__in=[u.pk for u in users]).update(time_zone=zone)
    SmsPhone.objects.bulk_create(
        [
            SmsPhone(user=u, e164=f"+1555{u.pk:07d}", verified_at=now, opted_in_at=now, opt_in_text="bench")
            for u in users
        ],
        ignore_conflicts=True,
    )
    return allowed, ended


def _row(member: User, patient: User, tag: str, n: int, send_after: datetime) -> OutboxMessage:
    return OutboxMessage(
        channel=OutboxMessage.Channel.SMS,
        recipient=member,
        template_key="session_reminder",
        idempotency_key=f"bench:{tag}:{n}:{uuid.uuid4().hex[:8]}",
        context={
            "when": "tomorrow at 6:00 PM",
            "link": f"https://portal.example.org/s/{tag}{n}",
            "starts_at": (send_after + timedelta(days=1)).isoformat(),
        },
        send_after=send_after,
        patient=patient,
        scope=Scope.SCHEDULE,
        subject=f"bench:{tag}",
    )


def enqueue_cost(pairs: list[tuple[User, User]], count: int) -> dict[str, Any]:
    """R6: ``enqueue_message`` one per call (what a request pays), then ``bulk_create`` of a day's batch."""
    later = timezone.now() + timedelta(days=3)
    samples = []
    for n in range(count):
        member, patient = pairs[n % len(pairs)]
        t0 = time.perf_counter()
        enqueue_message(
            recipient=member,
            template_key="session_reminder",
            idempotency_key=f"bench:r6:{n}:{uuid.uuid4().hex}",
            context={"when": "tomorrow at 6:00 PM", "link": "https://portal.example.org/s/x"},
            send_after=later,
            patient=patient,
            scope=Scope.SCHEDULE,
            subject="bench:r6",
        )
        samples.append(time.perf_counter() - t0)
    rows = [_row(m, p, "r6bulk", n, later) for n, (m, p) in enumerate((pairs * 10)[:1000])]
    t0 = time.perf_counter()
    OutboxMessage.objects.bulk_create(rows, batch_size=500)
    bulk_s = time.perf_counter() - t0
    OutboxMessage.objects.filter(subject__in=["bench:r6", "bench:r6bulk"]).delete()
    return {"per_call_ms": round(statistics.median(samples) * 1000, 3), "bulk_1000_s": round(bulk_s, 3)}


def _queue(pairs: list[tuple[User, User]], tag: str, count: int) -> list[str]:
    now = timezone.now() - timedelta(seconds=1)
    rows = [_row(m, p, tag, n, now) for n, (m, p) in enumerate((pairs * (count // max(1, len(pairs)) + 1))[:count])]
    OutboxMessage.objects.bulk_create(rows, batch_size=500)
    return [str(r.pk) for r in rows]


def _states(tag: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in OutboxMessage.objects.filter(subject=f"bench:{tag}").values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    return counts


def _all_done(tag: str) -> bool:
    return not OutboxMessage.objects.filter(subject=f"bench:{tag}").exclude(state__in=DONE).exists()


def worker_env(fake_port: int, *, mps: float, lease_s: int = 60, poll_s: float | None = None) -> dict[str, str]:
    env = {
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "bench-token",
        "TWILIO_FROM_NUMBER": "+15550009999",
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{fake_port}",
        "TWILIO_MPS": str(mps),
        "PORTAL_OUTBOX_LEASE_S": str(lease_s),
        "PORTAL_LOG_LEVEL": "WARNING",
    }
    if poll_s is not None:
        env["PORTAL_OUTBOX_POLL_S"] = str(poll_s)
    return env


def start_worker(procs: ProcessRegistry, name: str, env: dict[str, str], cpu: int | None = 0) -> Child:
    command = [sys.executable, "manage.py", "run_notifications", "--worker-id", name, "--batch", "20"]
    if env.get("DATABASE_URL", os.environ.get("DATABASE_URL", "")).startswith("postgres"):
        command += ["--senders", "4"]  # parallel writers need PostgreSQL; SQLite locks the table
    return procs.start(name, command, env, cpu=cpu)


def _sent_times(tag: str) -> list[float]:
    return sorted(
        t.timestamp()
        for t in OutboxMessage.objects.filter(subject=f"bench:{tag}", state=OutboxMessage.State.SENT).values_list(
            "sent_at", flat=True
        )
        if t is not None
    )


def dispatch(procs: ProcessRegistry, fake: Fake, fake_port: int, allowed: list, ended: list, count: int) -> dict:
    """R1 (+ consent under load): drain ``count`` due reminders at 0 ms fake latency, no MPS cap."""
    fake.configure(latency_ms=0, mps=0, drop=0)
    mix = allowed[: max(1, count - count // 10)] + ended[: count // 10]
    ids = _queue(mix, "r1", count)
    worker = start_worker(procs, "bench-r1", worker_env(fake_port, mps=0))
    wait_until(lambda: _all_done("r1"), timeout=120, interval=0.2, what="R1 drain")
    procs.stop(worker)
    times = _sent_times("r1")
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None
    stats = fake.stats()
    ended_numbers = {f"+1555{m.pk:07d}" for m, _ in ended}
    leaked = sum(n for to, n in stats["per_to"].items() if to in ended_numbers)
    states = _states("r1")
    return {
        "rows": len(ids),
        "per_s": round(rate, 1) if rate else None,
        "states": states,
        "ended_rows": count // 10,
        "ended_sms": leaked,
        "duplicates": stats["duplicates"],
    }


def _first_send(worker: Child, tag: str) -> float:
    try:
        return wait_until(lambda: _sent_times(tag)[:1], timeout=120, interval=0.1, what=f"first {tag} send")[0]
    except Exception:
        print(f"[bench] worker output for {tag}:\n{worker.output()[-3000:]}", file=sys.stderr)
        raise


def slow_api(procs: ProcessRegistry, fake: Fake, fake_port: int, allowed: list, duration: float) -> dict:
    """R2: the fake answers after 100 ms; how many reminders per second does one worker get out?"""
    fake.configure(latency_ms=100, mps=0, drop=0)
    _queue(allowed, "r2", int(duration * 60))
    worker = start_worker(procs, "bench-r2", worker_env(fake_port, mps=0))
    first = _first_send(worker, "r2")
    wait_until(lambda: time.time() >= first + duration, timeout=duration + 60, interval=0.2, what="R2 window")
    procs.stop(worker)
    times = [t for t in _sent_times("r2") if t <= first + duration]
    OutboxMessage.objects.filter(subject="bench:r2").exclude(state__in=DONE).update(state="cancelled")
    return {"per_s": round(len(times) / duration, 1), "duration_s": duration}


def rate_limit(procs: ProcessRegistry, fake: Fake, fake_port: int, allowed: list, mps: float, duration: float) -> dict:
    """R3: the fake enforces ``mps`` per sender (429 above it); the worker's limiter must keep under it."""
    fake.configure(latency_ms=0, mps=mps, drop=0)
    _queue(allowed, "r3", int(duration * mps * 2))
    worker = start_worker(procs, "bench-r3", worker_env(fake_port, mps=mps))
    first = _first_send(worker, "r3")
    wait_until(lambda: time.time() >= first + duration, timeout=duration + 60, interval=0.2, what="R3 window")
    procs.stop(worker)
    stats = fake.stats()
    created = sorted(stats["created_at"])
    window = [t for t in created if created[0] <= t < created[0] + duration]
    OutboxMessage.objects.filter(subject="bench:r3").exclude(state__in=DONE).update(state="cancelled")
    return {"mps": mps, "rate": round(len(window) / duration, 3), "throttled_429": stats["throttled"]}


def _enqueue_due(member: User, patient: User, *, tag: str) -> uuid.UUID:
    """One reminder due now, written the way the app writes it (``enqueue_message``: wakes listening workers)."""
    row = enqueue_message(
        recipient=member,
        template_key="session_reminder",
        idempotency_key=f"bench:{tag}:{uuid.uuid4().hex[:8]}",
        context={
            "when": "tomorrow at 6:00 PM",
            "link": f"https://portal.example.org/s/{tag}",
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        patient=patient,
        scope=Scope.SCHEDULE,
        subject=f"bench:{tag}",
    )
    assert row is not None
    return row.pk


def pickup(procs: ProcessRegistry, fake: Fake, fake_port: int, allowed: list, singles: int) -> dict:
    """R4: an idle worker (production poll interval; LISTEN on PostgreSQL) and single reminders enqueued at random
    moments through ``enqueue_message``."""
    from django.conf import settings

    fake.configure(latency_ms=0, mps=0, drop=0)
    worker = start_worker(procs, "bench-r4", worker_env(fake_port, mps=0))
    rng = random.Random(4)
    time.sleep(3.0)  # bench only: let the worker start and reach its idle poll
    latencies = []
    for n in range(singles):
        time.sleep(rng.uniform(0.3, 1.5))  # bench only: arrivals at random moments (open loop)
        row_id = _enqueue_due(*allowed[n], tag=f"r4-{n}")
        row = wait_until(
            lambda row_id=row_id: (
                OutboxMessage.objects.filter(pk=row_id, state="sent").values("created_at", "sent_at").first()
            ),
            timeout=30,
            interval=0.02,
            what="R4 pickup",
        )
        latencies.append((row["sent_at"] - row["created_at"]).total_seconds())
    procs.stop(worker)
    return {
        "poll_s": float(settings.PORTAL_OUTBOX_POLL_S),
        "wake": "LISTEN/NOTIFY, poll as fallback" if connection.vendor == "postgresql" else "poll only",
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "count": singles,
    }


def crash(procs: ProcessRegistry, fake: Fake, fake_port: int, allowed: list, count: int) -> dict:
    """R5 (PostgreSQL): two workers with a short lease, one SIGKILLed mid-drain, 5% of responses dropped."""
    if connection.vendor != "postgresql":
        return {"skipped": "needs PostgreSQL (SKIP LOCKED)"}
    fake.configure(latency_ms=5, mps=0, drop=0.05)
    ids = _queue(allowed, "r5", count)
    env = worker_env(fake_port, mps=0, lease_s=3, poll_s=0.2)
    first = start_worker(procs, "bench-r5-a", env, cpu=None)
    start_worker(procs, "bench-r5-b", env, cpu=None)
    wait_until(lambda: fake.stats()["created"] >= count // 4, timeout=60, interval=0.05, what="R5 progress")
    procs.kill(first)
    wait_until(lambda: _all_done("r5"), timeout=120, interval=0.2, what="R5 drain")
    stats = fake.stats()
    states = _states("r5")
    stuck = OutboxMessage.objects.filter(subject="bench:r5", state="sending").count()
    return {
        "rows": len(ids),
        "posts": stats["posts"],
        "created": stats["created"],
        "dropped": stats["dropped"],
        "duplicates": stats["duplicates"],
        "states": states,
        "stuck_sending": stuck,
        "second_posts": stats["second_posts"],
        "second_post_outcomes": stats["second_post_outcomes"],
    }
