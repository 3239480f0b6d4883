"""Dispatch cost (R1): a constant number of queries per reminder, and status callbacks that beat the "sent" update."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from consent.models import Consent
from notifications import sms
from notifications.models import OutboxMessage, StatusCallbackReceipt
from tests.notifications.conftest import run_worker
from tests.notifications.test_worker import _reminder

pytestmark = pytest.mark.django_db

State = OutboxMessage.State
# Per reminder: the fenced "attempt" update and the fenced final update. The rows with phone and opt-out flag and the
# consent gate's answer are loaded once per batch (``ClaimedBatch``; tests/notifications/test_worker_batch.py).
QUERIES_PER_REMINDER = 2


def _dispatch_queries(member: User, patient: User, count: int, tag: str) -> int:
    for n in range(count):
        _reminder(member, patient, key=f"{tag}{n}")
    with CaptureQueriesContext(connection) as ctx:
        run_worker(worker_id=f"w-{tag}", clock=lambda: 0.0)  # no time passes: one decision per batch
    assert OutboxMessage.objects.filter(idempotency_key__startswith=tag, state=State.SENT).count() == count
    return len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def test_dispatch_queries_grow_by_a_small_constant_per_reminder(
    texting_member: User, patient: User, consent: Consent
) -> None:
    one = _dispatch_queries(texting_member, patient, 1, "one")
    ten = _dispatch_queries(texting_member, patient, 10, "ten")
    assert ten - one <= 9 * QUERIES_PER_REMINDER, (one, ten)


def test_status_callback_that_beat_the_sent_update_is_applied(
    texting_member: User, patient: User, consent: Consent, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _reminder(texting_member, patient)

    def send_and_callback_first(**kwargs: Any) -> sms.SendResult:
        # Twilio's "delivered" callback arrives before the worker records "sent": the webhook keeps a receipt only.
        StatusCallbackReceipt.objects.create(message_sid="SMearly0001", status="delivered")
        return sms.SendResult(sid="SMearly0001", status="queued")

    monkeypatch.setattr(sms, "send_sms", send_and_callback_first)
    run_worker()
    row.refresh_from_db()
    assert row.provider_message_id == "SMearly0001"
    assert row.state == State.DELIVERED


def test_sent_reminder_without_callback_stays_sent(texting_member: User, patient: User, consent: Consent) -> None:
    row = _reminder(texting_member, patient)
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SENT
