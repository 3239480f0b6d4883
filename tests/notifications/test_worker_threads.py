"""R2: several sending threads per worker: every row is sent once, each thread uses its own connection.

PostgreSQL only: SQLite's shared-cache test database answers "table is locked" to concurrent writers at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from consent.models import Consent
from notifications import sms, worker
from notifications.models import OutboxMessage
from tests.notifications.conftest import run_worker
from tests.notifications.test_worker import _reminder

pytestmark = pytest.mark.django_db(transaction=True)

State = OutboxMessage.State


@pytest.mark.postgres
def test_sending_threads_send_every_reminder_exactly_once(
    postgres_only: None, texting_member: User, patient: User, consent: Consent, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [_reminder(texting_member, patient, key=f"t{n}") for n in range(8)]
    real_send = sms.send_sms
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def recording_send(**kwargs: Any) -> sms.SendResult:
        with lock:
            calls.append((threading.current_thread().name, kwargs["to"]))
        return real_send(**kwargs)

    monkeypatch.setattr(sms, "send_sms", recording_send)
    done = run_worker(senders=4)
    assert done.processed == 8
    assert len(calls) == 8
    assert {name for name, _ in calls} <= {f"outbox-sender-{n}" for n in range(4)}
    states = OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).values_list("state", "provider_message_id")
    assert {state for state, _ in states} == {State.SENT}
    assert len({sid for _, sid in states}) == 8


def test_stop_requested_releases_rows_no_thread_started(texting_member: User, patient: User, consent: Consent) -> None:
    rows = [_reminder(texting_member, patient, key=f"s{n}") for n in range(3)]
    stopped = worker.Worker(worker_id="stopping", senders=4)
    stopped.request_stop()
    claims = stopped.claim(timezone.now())
    stopped._process_in_threads(claims)
    for row in rows:
        row.refresh_from_db()
        assert row.state == State.SENDING and row.lease_owner == ""
