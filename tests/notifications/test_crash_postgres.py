"""Crash recovery on PostgreSQL (JOB-02, JOB-03, JOB-04, JOB-08): two real worker processes drain 200 due rows,
one is SIGKILLed mid-drain; after its 2 s lease expires the survivor reclaims its rows, reconciles any that reached
the fake Twilio, and every message is sent exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import OutboxMessage, SmsPhone, WorkerHeartbeat
from tests.notifications.conftest import AUTH_TOKEN, FROM_NUMBER
from tests.support.fake_twilio import FakeTwilio

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL (DATABASE_URL)"
    ),
    # The flush after this test drops the consent form version; tests/conftest.py puts it back for the next test.
    pytest.mark.django_db(transaction=True),
]

ROWS = 200
DEADLINE_S = 60.0  # a safety cap; the drain takes ~15-20 s on a laptop-class PostgreSQL


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(
    name: str, fake: FakeTwilio, log: Path, timeout_s: str = "1", senders: int | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "True",
        "DATABASE_URL": _database_url(),
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE_URL": fake.base_url,
        "TWILIO_MPS": "10000",
        "TWILIO_TIMEOUT_S": timeout_s,
        "PORTAL_OUTBOX_LEASE_S": "2",
        "PORTAL_OUTBOX_POLL_S": "0.1",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_notifications", "--worker-id", name, "--batch", "5"]
            + ([] if senders is None else ["--senders", str(senders)]),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for(condition: Callable[[], bool], what: str, deadline: float) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)  # polling another process; there is nothing to await


def _stopped_holding_rows(worker: subprocess.Popen[bytes], holding: Any, deadline: float) -> set[Any]:
    """Stop ``worker`` (SIGSTOP) at a moment it holds rows that none of its transactions is still changing, and
    return them: such rows stay as they are until the worker is killed and its lease runs out. Rows locked by an
    open transaction of the worker are skipped (its COMMIT may be on its way); when none is left, the worker goes
    on (SIGCONT) and we try again. Killing it right after ``holding.exists()`` raced with the worker finishing its
    batch: it had sometimes released every row by the time the signal landed."""
    while True:
        _wait_for(holding.exists, "worker A to hold rows", deadline)
        worker.send_signal(signal.SIGSTOP)
        with transaction.atomic():
            held = set(holding.select_for_update(skip_locked=True).values_list("pk", flat=True))
        if held:
            return held
        worker.send_signal(signal.SIGCONT)


def _seed() -> list[str]:
    numbers = [f"+1212555{1000 + i:04d}" for i in range(ROWS)]
    users = User.objects.bulk_create(
        [User(email=f"crash{i}@example.org", role=User.Role.FAMILY, password="!") for i in range(ROWS)]
    )
    SmsPhone.objects.bulk_create([SmsPhone(user=u, e164=n) for u, n in zip(users, numbers, strict=True)])
    due = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=OutboxMessage.Channel.SMS,
                recipient=u,
                to_address=n,
                template_key="phone_code",  # exempt from quiet hours, so the test runs at any time of day
                context={"code": f"{i:06d}", "minutes": 10},
                idempotency_key=f"crash:{i}",
                send_after=due,
            )
            for i, (u, n) in enumerate(zip(users, numbers, strict=True))
        ]
    )
    return numbers


def test_killed_worker_rows_are_reclaimed_and_every_row_is_sent_exactly_once(
    postgres_only: None, tmp_path: Path
) -> None:
    assert not OutboxMessage.objects.exists()
    fake = FakeTwilio()
    fake.start()
    numbers = _seed()
    workers = {name: _worker(name, fake, tmp_path / f"{name}.log") for name in ("A", "B")}
    deadline = time.monotonic() + DEADLINE_S
    try:
        holding = OutboxMessage.objects.filter(lease_owner="A", state=OutboxMessage.State.SENDING)
        _wait_for(lambda: len(fake.posts()) >= 20, "worker A to be mid-drain", deadline)
        orphaned = _stopped_holding_rows(workers["A"], holding, deadline)
        workers["A"].send_signal(signal.SIGKILL)
        workers["A"].wait(timeout=5)

        sent = OutboxMessage.objects.filter(idempotency_key__startswith="crash:", state=OutboxMessage.State.SENT)
        _wait_for(lambda: sent.count() == ROWS, "all rows to be sent", deadline)

        workers["B"].send_signal(signal.SIGTERM)  # graceful: finishes or releases, then exits 0
        assert workers["B"].wait(timeout=10) == 0
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        fake.stop()

    posts = Counter(r.get("To") for r in fake.posts())
    created = Counter(m.to for m in fake.created())
    assert set(created) == set(numbers)
    assert all(count == 1 for count in created.values()), created.most_common(3)
    assert all(count == 1 for count in posts.values()), posts.most_common(3)  # reconciled, never resent
    rows = {r.to_address: r for r in OutboxMessage.objects.all()}
    assert all(r.state == OutboxMessage.State.SENT and r.lease_owner == "" for r in rows.values())
    assert {m.sid for m in fake.created()} == {r.provider_message_id for r in rows.values()}
    assert orphaned, "worker A held rows when it was killed"
    assert set(OutboxMessage.objects.filter(pk__in=orphaned).values_list("state", flat=True)) == {"sent"}
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"A", "B"}
    assert not OutboxMessage.objects.filter(state=OutboxMessage.State.SENDING).exists()


def test_claim_query_uses_the_partial_indexes(postgres_only: None) -> None:
    from django.db import connection

    query = OutboxMessage.objects.due(timezone.now()).order_by("send_after").values("id")[:10].query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a near-empty table would otherwise be scanned
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "outbox_claimable" in plan and "outbox_leased" in plan, plan


@pytest.mark.parametrize("senders", [1, 2], ids=["one sender", "two sending threads"])
def test_sigterm_during_a_slow_send_finishes_it_and_releases_the_rest(
    postgres_only: None, tmp_path: Path, senders: int
) -> None:
    fake = FakeTwilio()
    fake.start()
    numbers = _seed_few(senders + 2)
    for number in numbers:
        fake.answer_always(number, ("slow", 1.5))  # recorded at once, answered after 1.5 s (timeout is 1 s → 5 s)
    worker = _worker("T", fake, tmp_path / "T.log", timeout_s="5", senders=senders)
    deadline = time.monotonic() + 30
    try:
        _wait_for(lambda: len(fake.posts()) == senders, "the first sends to be in flight", deadline)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        fake.stop()
    states = Counter(OutboxMessage.objects.values_list("state", flat=True))
    assert states["sent"] == senders  # the sends in flight were finished and recorded
    assert len(fake.posts()) == senders  # nothing new was started after SIGTERM
    now = timezone.now()
    for row in OutboxMessage.objects.exclude(state="sent"):
        assert row.lease_owner == "" and (row.lease_expires_at is None or row.lease_expires_at <= now)
    assert OutboxMessage.objects.due(now).count() == 2  # released rows are claimable at once


def _seed_few(count: int) -> list[str]:
    numbers = [f"+1212555{2000 + i:04d}" for i in range(count)]
    due = timezone.now() - timedelta(seconds=1)
    for i, number in enumerate(numbers):
        user = User.objects.create(email=f"term{i}@example.org", role=User.Role.FAMILY, password="!")
        SmsPhone.objects.create(user=user, e164=number)
        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.SMS,
            recipient=user,
            to_address=number,
            template_key="phone_code",
            context={"code": f"{i:06d}", "minutes": 10},
            idempotency_key=f"term:{i}",
            send_after=due,
        )
    return numbers
