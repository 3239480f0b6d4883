"""The worker with the real twilio client against the fake server (SMS-05, SMS-06, JOB-04, JOB-07)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from consent.models import AuditEvent
from notifications import sms
from notifications.models import OutboxMessage, SmsOptOut
from notifications.services import enqueue_message
from tests.notifications.conftest import FROM_NUMBER, MEMBER_NUMBER, run_worker
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db


def _notice(member: User, key: str = "n1") -> OutboxMessage:
    row = enqueue_message(
        recipient=member, template_key="new_message", idempotency_key=key, context={"link": "https://p.example/g/x"}
    )
    assert row is not None and row.channel == OutboxMessage.Channel.SMS
    return row


def _later(daytime: Any, hours: float = 2) -> None:
    daytime.shift(timedelta(hours=hours))


def test_worker_sends_sms_through_twilio_client(fake_twilio: FakeTwilio, texting_member: User) -> None:
    row = _notice(texting_member)
    run_worker()
    row.refresh_from_db()
    [post] = fake_twilio.posts()
    assert post.get("To") == MEMBER_NUMBER
    assert post.get("From") == FROM_NUMBER
    assert post.get("Body").startswith("You have a new secure message in the portal.")
    assert post.get("StatusCallback") == "https://portal.example.org/notifications/twilio/status"
    assert row.state == OutboxMessage.State.SENT
    assert row.provider_message_id == fake_twilio.created()[0].sid
    assert row.attempts == 1


def test_worker_retries_after_429_with_backoff_and_sends_once(
    fake_twilio: FakeTwilio, texting_member: User, daytime: Any
) -> None:
    row = _notice(texting_member)
    fake_twilio.answer_next("429", "429")
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.QUEUED
    first_delay = row.send_after - row.updated_at
    assert timedelta(seconds=14) <= first_delay <= timedelta(seconds=31)
    assert row.claimed_at is None  # Twilio did not take it: nothing to reconcile
    _later(daytime, 0.05)
    run_worker()
    row.refresh_from_db()
    second_delay = row.send_after - row.updated_at
    assert second_delay >= timedelta(seconds=29)  # grows: base·2^(n−1), jittered in [½c, c]
    _later(daytime)
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.SENT
    assert len(fake_twilio.posts()) == 3
    assert len(fake_twilio.created()) == 1
    assert fake_twilio.lists() == []


def test_invalid_number_21211_fails_without_retry(fake_twilio: FakeTwilio, texting_member: User, daytime: Any) -> None:
    row = _notice(texting_member)
    fake_twilio.answer_next(21211)
    run_worker()
    _later(daytime)
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.FAILED
    assert row.error_code == "21211"
    assert len(fake_twilio.posts()) == 1


def test_unsubscribed_21610_records_opt_out_and_never_retries(
    fake_twilio: FakeTwilio, texting_member: User, daytime: Any
) -> None:
    row = _notice(texting_member, "n1")
    other = _notice(texting_member, "n2")
    fake_twilio.answer_always(MEMBER_NUMBER, 21610)
    run_worker(batch_size=1)
    _later(daytime)
    run_worker()
    row.refresh_from_db()
    other.refresh_from_db()
    states = {row.state, other.state}
    assert OutboxMessage.State.OPTED_OUT in states
    assert OutboxMessage.State.SUPPRESSED in states  # the second text never went
    assert len(fake_twilio.posts()) == 1
    assert SmsOptOut.objects.get(e164=MEMBER_NUMBER).active
    assert max(row.attempts, other.attempts) == 1


def test_read_timeout_after_twilio_recorded_is_reconciled_without_second_post(
    fake_twilio: FakeTwilio, texting_member: User, settings: Any, daytime: Any
) -> None:
    settings.TWILIO_TIMEOUT_S = 0.3
    sms.reset_backend()
    row = _notice(texting_member)
    fake_twilio.answer_next(("slow", 1.0))
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.UNKNOWN
    assert row.claimed_at is not None
    _later(daytime)
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.SENT
    assert row.state_reason == "reconciled"
    assert row.provider_message_id == fake_twilio.created()[0].sid
    assert len(fake_twilio.posts()) == 1
    [listing] = fake_twilio.lists()
    assert listing.get("To") == MEMBER_NUMBER


def test_accepted_then_500_is_reconciled_not_resent(
    fake_twilio: FakeTwilio, texting_member: User, daytime: Any
) -> None:
    row = _notice(texting_member)
    fake_twilio.answer_next("accept-then-500")
    run_worker()
    _later(daytime)
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.SENT
    assert len(fake_twilio.posts()) == 1


def test_500_not_accepted_is_resent_after_reconciliation_finds_nothing(
    fake_twilio: FakeTwilio, texting_member: User, daytime: Any
) -> None:
    row = _notice(texting_member)
    fake_twilio.answer_next("500")
    run_worker()
    _later(daytime)
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.SENT
    assert len(fake_twilio.posts()) == 2
    assert len(fake_twilio.lists()) == 1
    assert len(fake_twilio.created()) == 1


def test_always_failing_row_goes_dead_with_audit_and_can_be_requeued(
    fake_twilio: FakeTwilio, texting_member: User, daytime: Any
) -> None:
    row = _notice(texting_member)
    fake_twilio.answer_always(MEMBER_NUMBER, "429")
    for _ in range(6):
        run_worker()
        _later(daytime, 1)
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DEAD
    assert row.attempts == 4  # PORTAL_OUTBOX_MAX_ATTEMPTS in these tests
    assert len(fake_twilio.posts()) == 4
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.OUTBOX_DEAD)
    assert event.data["outbox_id"] == str(row.pk)
    assert "Rivera" not in str(event.data)

    fake_twilio.answer_always(MEMBER_NUMBER, "ok")
    call_command("requeue_dead", "--all")
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.QUEUED and row.attempts == 0
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.SENT


def test_backend_classifies_errors(fake_twilio: FakeTwilio) -> None:
    fake_twilio.answer_next("429", "503", 21211, 21610)
    with pytest.raises(sms.RetryableSendError):
        sms.send_sms(to=MEMBER_NUMBER, body="x")
    with pytest.raises(sms.AmbiguousSendError):
        sms.send_sms(to=MEMBER_NUMBER, body="x")
    with pytest.raises(sms.TerminalSendError) as terminal:
        sms.send_sms(to=MEMBER_NUMBER, body="x")
    assert terminal.value.code == 21211 and not isinstance(terminal.value, sms.OptedOutError)
    with pytest.raises(sms.OptedOutError):
        sms.send_sms(to=MEMBER_NUMBER, body="x")


def test_backend_uses_messaging_service_when_configured(fake_twilio: FakeTwilio, settings: Any) -> None:
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    sms.reset_backend()
    result = sms.send_sms(to=MEMBER_NUMBER, body="hello")
    [post] = fake_twilio.posts()
    assert post.get("MessagingServiceSid") == settings.TWILIO_MESSAGING_SERVICE_SID
    assert post.get("From") == ""
    assert result.sid.startswith("SM")


def test_console_backend_masks_number_in_logs(caplog: Any) -> None:
    caplog.set_level("INFO", logger="notifications.sms")
    sms.send_sms(to=MEMBER_NUMBER, body="hello")
    assert MEMBER_NUMBER not in caplog.text
    assert sms.mask_number(MEMBER_NUMBER) in caplog.text
