"""The production topology on loopback: two Daphne web processes and two outbox workers on PostgreSQL + Redis.

- WebSocket messages reach a socket held by the OTHER web process (Redis channel layer);
- a worker SIGKILLed mid-drain loses nothing and sends nothing twice (the survivor reclaims the lease and
  reconciles with the fake Twilio before any resend);
- the worker survives losing its database connections (JOB-06).

About the "PostgreSQL restart": the machine's PostgreSQL is shared, so restarting the cluster is not allowed here.
The test terminates every backend of the TEST database instead (``pg_terminate_backend``), which is what a
restart looks like from the worker's side: its connection dies mid-work and new connections succeed. A real
restart (``pg_ctlcluster 15 main restart``) is part of the quarterly restore drill (docs/operations.md).

Synchronisation is by events: the fake Twilio's ``wait_for_posts`` condition, and the workers' log lines (read
from a pipe with a deadline); no sleeps.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from typing import Any

import pytest
from django.db import connection

from notifications.models import OutboxMessage
from tests.ops.conftest import child_env
from tests.ops.outbox import RECONCILED_LINE, queue_reminders, texting_family
from tests.support.fake_twilio import FakeTwilio
from tests.support.phi_log_scan import scan_text
from tests.support.procs import Child, DeadlineExceeded, ProcessRegistry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

LEASE_S = 2


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


def _worker_env(fake: FakeTwilio) -> dict[str, str]:
    return child_env(
        TWILIO_ACCOUNT_SID=fake.account_sid,
        TWILIO_AUTH_TOKEN="ops-test-token",
        TWILIO_FROM_NUMBER="+15550009999",
        TWILIO_API_BASE_URL=fake.base_url,
        TWILIO_MPS="0",
        TWILIO_TIMEOUT_S="10",
        PORTAL_OUTBOX_LEASE_S=str(LEASE_S),
        PORTAL_OUTBOX_POLL_S="0.1",
    )


def _start_worker(procs: ProcessRegistry, name: str, fake: FakeTwilio) -> Child:
    child = procs.start(
        name, [sys.executable, "manage.py", "run_notifications", "--worker-id", name, "--batch", "5"], _worker_env(fake)
    )
    child.wait_for(r"worker \S+ started", timeout=60)
    return child


QUIET_CHECK_S = 1.0  # after this long without a worker log line, look at the rows again


def _unsent(ids: set[str]) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(pk__in=ids).exclude(state=OutboxMessage.State.SENT).order_by("pk"))


def _wait_until_sent(expected: set[str], live: Child, *dead: Child, timeout: float = 90) -> None:
    """Wait until every expected row is ``sent`` in the database, re-checking at each of the live worker's log lines.

    The database is the truth, not the logs: a worker SIGKILLed between committing a row's "sent" and writing its
    log line leaves a sent row with no line anywhere. When the live worker is quiet for ``QUIET_CHECK_S`` the rows
    are looked at again (its silence may mean it is done). On timeout the message shows each unsent row's state and
    every worker's log tail, so a stall can be diagnosed from the CI output alone."""
    deadline = time.monotonic() + timeout
    while unsent := _unsent(expected):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            rows = "\n".join(
                f"  {row.pk} {row.state} owner={row.lease_owner!r} lease_until={row.lease_expires_at} "
                f"send_after={row.send_after} attempts={row.attempts} error={row.error_code} {row.last_error!r}"
                for row in unsent
            )
            tails = "\n".join(f"--- {child.name}:\n{child.output()[-1500:]}" for child in (live, *dead))
            raise DeadlineExceeded(f"{len(unsent)} rows never sent:\n{rows}\n{tails}")
        try:
            line = live.next_line(min(remaining, QUIET_CHECK_S))
        except DeadlineExceeded:
            continue  # a quiet second: look at the rows again
        if line is None:
            raise AssertionError(f"{live.name} exited:\n{live.output()[-2000:]}")


def _assert_exactly_once(fake: FakeTwilio, rows: list[OutboxMessage]) -> None:
    for row in rows:
        row.refresh_from_db()
        created = fake.created(to=row.to_address)
        assert len(created) == 1, f"{len(created)} messages created for one outbox row"
        assert row.state == OutboxMessage.State.SENT
        assert row.provider_message_id == created[0].sid
        assert row.lease_owner == ""


def test_sigkilled_worker_loses_nothing_and_sends_nothing_twice(postgres_only, redis_only, procs, fake_twilio, patient):
    members = texting_family(patient, 30)
    rows = queue_reminders(patient, members)
    fake_twilio.delay = 0.03  # each send takes a moment, so the kill lands mid-batch
    first = _start_worker(procs, "ops-w1", fake_twilio)
    second = _start_worker(procs, "ops-w2", fake_twilio)

    fake_twilio.wait_for_posts(8, timeout=60)
    procs.kill(first)  # SIGKILL: no cleanup, its leased rows stay "sending"
    first.popen.wait(timeout=10)

    _wait_until_sent({str(row.pk) for row in rows}, second, first)
    _assert_exactly_once(fake_twilio, rows)
    assert len(fake_twilio.posts()) == len(rows)  # reconciliation replaced every would-be resend
    for child in (first, second):
        scan_text(child.output(), child.name)


def test_worker_survives_losing_its_database_connections(postgres_only, redis_only, procs, fake_twilio, patient):
    members = texting_family(patient, 4)
    first_rows = queue_reminders(patient, members[:2], tag="a")
    fake_twilio.answer_next(("slow", 1.5))  # the first send is in flight while the connections die
    worker = _start_worker(procs, "ops-w-restart", fake_twilio)
    fake_twilio.wait_for_posts(1, timeout=60)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1

    worker.wait_for(r"database unavailable, backing off", timeout=60)
    _wait_until_sent({str(row.pk) for row in first_rows}, worker)
    assert any(RECONCILED_LINE.search(line) for line in worker.lines)  # the in-flight send was not repeated

    later_rows = queue_reminders(patient, members[2:], tag="b")
    _wait_until_sent({str(row.pk) for row in later_rows}, worker)
    assert worker.alive()
    _assert_exactly_once(fake_twilio, first_rows + later_rows)
    scan_text(worker.output(), worker.name)


async def _cross_process_delivery(port_a: int, port_b: int, family_cookie: str, staff_cookie: str, path: str) -> None:
    from websockets.asyncio.client import connect

    async def recv_type(ws: Any, wanted: str) -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == wanted:
                return frame
            if frame.get("type") == "error":
                raise AssertionError(f"the portal answered {frame.get('error')!r}, not {wanted!r}")

    async with asyncio.timeout(30):
        async with (
            connect(
                f"ws://127.0.0.1:{port_a}{path}",
                additional_headers={"Cookie": family_cookie, "Origin": f"http://127.0.0.1:{port_a}"},
            ) as family,
            connect(
                f"ws://127.0.0.1:{port_b}{path}",
                additional_headers={"Cookie": staff_cookie, "Origin": f"http://127.0.0.1:{port_b}"},
            ) as staff,
        ):
            await staff.send(json.dumps({"type": "message", "body": "See you at the session.", "client_id": "ops-1"}))
            ack = await recv_type(staff, "ack")
            delivered = await recv_type(family, "message")
            assert delivered["message"]["id"] == ack["message"]["id"]


def test_whole_topology_delivers_across_web_processes_and_reports_healthy(
    postgres_only, redis_only, procs, fake_twilio, patient, family_member, counselor
):
    from messaging.services import care_team_conversation
    from tests.support.sessions import cookie_header, session_key_for

    conversation = care_team_conversation(patient)
    family_cookie = cookie_header(session_key_for(family_member))
    staff_cookie = cookie_header(session_key_for(counselor))
    env = child_env()
    web_a, port_a = procs.start_daphne("ops-web-a", env=env)
    web_b, port_b = procs.start_daphne("ops-web-b", env=env)
    workers = [_start_worker(procs, f"ops-topology-w{n}", fake_twilio) for n in (1, 2)]
    for worker in workers:
        worker.wait_for(r"worker \S+ started", timeout=30)

    try:
        asyncio.run(
            _cross_process_delivery(
                port_a, port_b, family_cookie, staff_cookie, f"/ws/conversations/{conversation.pk}/"
            )
        )
    except (TimeoutError, OSError) as exc:
        tails = "\n".join(f"--- {c.name}\n{c.output()[-1500:]}" for c in (web_a, web_b))
        raise AssertionError(f"cross-process delivery failed: {exc!r}\n{tails}") from exc

    with urllib.request.urlopen(f"http://127.0.0.1:{port_b}/healthz", timeout=10) as response:
        health = json.loads(response.read())
    assert health == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "worker": "ok"}}
    for child in (web_a, web_b, *workers):
        scan_text(child.output(), child.name)
