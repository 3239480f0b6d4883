"""Worker behaviour: send-time checks (JOB-05), leases and fencing (JOB-03/04), shutdown (JOB-08), email and
quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from consent.models import Consent
from notifications import checks, periodic
from notifications.models import OutboxMessage, WorkerHeartbeat
from notifications.phones import opt_out_of_texts, record_keyword_opt_out
from notifications.services import enqueue_message
from notifications.worker import Claim, Worker, backoff_seconds
from tests.notifications.conftest import MEMBER_NUMBER, run_worker
from tests.support import personas
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db


def _next_utc(hour: int) -> datetime:
    now = datetime.now(UTC)
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return target if target > now else target + timedelta(days=1)


State = OutboxMessage.State


def _reminder(member: User, patient: User, *, key: str = "r1", subject: str = "session:abc") -> OutboxMessage:
    row = enqueue_message(
        recipient=member,
        template_key="session_reminder",
        idempotency_key=key,
        context={
            "when": "today at 6:00 PM",
            "link": "https://portal.example.org/notifications/go/AbCd1234",
            "starts_at": (timezone.now() + timedelta(hours=3)).isoformat(),
        },
        patient=patient,
        scope="schedule",
        subject=subject,
    )
    assert row is not None
    return row


def test_revoked_consent_before_send_suppresses_without_provider_call(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, consent: Consent
) -> None:
    row = _reminder(texting_member, patient)
    personas.revoke(consent)
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SUPPRESSED
    assert row.state_reason == "consent no longer covers this"
    assert fake_twilio.requests == []


def test_stop_before_send_suppresses_without_provider_call(
    fake_twilio: FakeTwilio, texting_member: User, patient: User
) -> None:
    row = _reminder(texting_member, patient)
    record_keyword_opt_out(e164=MEMBER_NUMBER)
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SUPPRESSED
    assert fake_twilio.requests == []


def test_opt_out_flag_checked_at_send_time_even_if_row_still_queued(
    fake_twilio: FakeTwilio, texting_member: User, patient: User
) -> None:
    row = _reminder(texting_member, patient)
    personas_opt_out = OutboxMessage.objects.filter(pk=row.pk)
    # An opt-out row created by another path (not through record_keyword_opt_out) is still honoured.
    from notifications.models import SmsOptOut

    SmsOptOut.objects.create(e164=MEMBER_NUMBER)
    run_worker()
    assert personas_opt_out.get().state == State.SUPPRESSED
    assert personas_opt_out.get().state_reason == "number opted out"
    assert fake_twilio.requests == []


def test_failing_subject_check_suppresses_without_provider_call(
    fake_twilio: FakeTwilio, texting_member: User, patient: User
) -> None:
    seen: list[str] = []

    def session_cancelled(row: OutboxMessage) -> bool:
        seen.append(row.subject)
        return False

    checks.register_subject_check("session", session_cancelled)
    try:
        row = _reminder(texting_member, patient, subject="session:9b2f")
        run_worker()
    finally:
        checks.unregister_subject_check("session")
    row.refresh_from_db()
    assert seen == ["session:9b2f"]
    assert row.state == State.SUPPRESSED and row.state_reason == "no longer current"
    assert fake_twilio.requests == []


def test_subject_check_that_raises_fails_closed(texting_member: User, patient: User) -> None:
    def broken(row: OutboxMessage) -> bool:
        raise RuntimeError("boom")

    checks.register_subject_check("session", broken)
    try:
        row = _reminder(texting_member, patient)
        run_worker()
    finally:
        checks.unregister_subject_check("session")
    row.refresh_from_db()
    assert row.state == State.SUPPRESSED


def test_reminder_sent_when_everything_still_holds(
    fake_twilio: FakeTwilio, texting_member: User, patient: User
) -> None:
    checks.register_subject_check("session", lambda row: True)
    try:
        row = _reminder(texting_member, patient)
        run_worker()
    finally:
        checks.unregister_subject_check("session")
    row.refresh_from_db()
    assert row.state == State.SENT
    [post] = fake_twilio.posts()
    assert post.get("Body") == (
        "Reminder: you have an appointment today at 6:00 PM. "
        "Details: https://portal.example.org/notifications/go/AbCd1234 Reply STOP to opt out."
    )


def test_reminder_after_start_is_dropped(texting_member: User, patient: User, daytime: Any) -> None:
    row = _reminder(texting_member, patient)
    daytime.shift(timedelta(hours=4))
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SUPPRESSED and row.state_reason.startswith("too late")


def test_texts_turned_off_in_portal_switch_pending_rows_to_email(texting_member: User, patient: User) -> None:
    row = _reminder(texting_member, patient)
    assert opt_out_of_texts(user=texting_member) == 1
    run_worker()
    row.refresh_from_db()
    assert row.channel == OutboxMessage.Channel.EMAIL
    assert row.state == State.SENT
    [email] = mail.outbox
    assert email.to == [texting_member.email]
    assert email.subject == "Appointment reminder"
    assert "Pat" not in email.body and "Rivera" not in email.body


def test_family_member_without_phone_gets_email(family_member: User, patient: User, daytime: Any) -> None:
    row = _reminder(family_member, patient)
    assert row.channel == OutboxMessage.Channel.EMAIL
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SENT
    assert len(mail.outbox) == 1


def test_console_backend_keeps_text_in_outbox(texting_member: User, patient: User) -> None:
    row = _reminder(texting_member, patient)
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SENT
    assert row.provider_message_id.startswith("CONSOLE")
    assert row.body.startswith("Reminder: you have an appointment today at 6:00 PM.")


def test_new_message_notice_waits_for_morning_in_quiet_hours(family_member: User) -> None:
    from tests.notifications.conftest import give_phone

    night = _next_utc(3)  # 10 or 11 PM in New York
    with time_machine.travel(night, tick=False):
        give_phone(family_member)
        row = enqueue_message(
            recipient=family_member, template_key="new_message", idempotency_key="n", context={"link": "https://x.y/g"}
        )
        assert row is not None
        run_worker()
        row.refresh_from_db()
    assert row.state == State.QUEUED
    assert row.send_after.astimezone(ZoneInfo("America/New_York")).time() == time(8, 0)
    assert timedelta(hours=8) <= row.send_after - night <= timedelta(hours=10)
    assert row.attempts == 0


def test_reminder_in_quiet_hours_is_never_sent_late(family_member: User, patient: User) -> None:
    from tests.notifications.conftest import give_phone

    night = _next_utc(3)
    with time_machine.travel(night, tick=False):
        give_phone(family_member)
        row = _reminder(family_member, patient)
        run_worker()
        row.refresh_from_db()
    assert row.state == State.SUPPRESSED and row.state_reason.startswith("quiet hours")


def test_expired_lease_is_reclaimed_and_late_finish_of_old_owner_changes_nothing(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, daytime: Any
) -> None:
    row = _reminder(texting_member, patient)
    crashed = Worker(worker_id="crashed", lease_s=2)
    [claim] = crashed.claim(timezone.now())
    assert OutboxMessage.objects.get(pk=row.pk).lease_owner == "crashed"
    assert Worker(worker_id="early").claim(timezone.now()) == []  # the lease is live
    daytime.shift(timedelta(seconds=3))
    survivor = run_worker(worker_id="survivor")
    row.refresh_from_db()
    assert row.state == State.SENT and survivor.processed == 1
    # The crashed worker wakes up and tries to record an outcome: fenced, nothing changes.
    late = OutboxMessage.objects.get(pk=row.pk)
    assert crashed._finish(late, State.FAILED, last_error="late") is False
    crashed.process(claim)
    row.refresh_from_db()
    assert row.state == State.SENT
    assert len(fake_twilio.posts()) == 1


def test_reclaimed_row_that_reached_twilio_is_reconciled_not_resent(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, daytime: Any
) -> None:
    row = _reminder(texting_member, patient)
    crashed = Worker(worker_id="crashed", lease_s=2)
    [claim] = crashed.claim(timezone.now())
    loaded = OutboxMessage.objects.get(pk=row.pk)
    assert crashed.refusal_reason(loaded, timezone.now()) == ""
    # Killed after Twilio took the POST but before the outcome was written.
    from notifications import sms

    crashed._start_attempt(loaded, body="Reminder: reconciled body")
    sms.send_sms(to=MEMBER_NUMBER, body="Reminder: reconciled body")
    daytime.shift(timedelta(seconds=3))
    run_worker(worker_id="survivor")
    row.refresh_from_db()
    assert row.state == State.SENT and row.state_reason == "reconciled"
    assert len(fake_twilio.posts()) == 1
    assert claim.previous_claimed_at is None


def test_stop_request_releases_unprocessed_claims(texting_member: User, patient: User) -> None:
    rows = [_reminder(texting_member, patient, key=f"r{i}") for i in range(3)]
    worker = Worker(worker_id="stopping", batch_size=3)
    processed: list[Any] = []
    original = worker.process

    def process_then_sigterm(claim: Claim) -> None:
        original(claim)
        processed.append(claim.id)
        worker.request_stop()  # SIGTERM arrives during the first send

    worker.process = process_then_sigterm  # type: ignore[method-assign]
    worker.run(once=True)
    states = sorted(OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("state", flat=True))
    assert states == [State.SENDING, State.SENDING, State.SENT]
    released = OutboxMessage.objects.filter(state=State.SENDING)
    now = timezone.now()
    assert all(r.lease_owner == "" and r.lease_expires_at is not None and r.lease_expires_at <= now for r in released)
    run_worker(worker_id="next")
    assert set(OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("state", flat=True)) == {
        State.SENT
    }


def test_worker_writes_heartbeat_and_runs_periodic_functions(db: None) -> None:
    calls: list[datetime] = []
    periodic.register_periodic(calls.append)
    try:
        call_command("run_notifications", "--once", "--worker-id", "cron-1")
    finally:
        periodic.unregister_periodic(calls.append)
    assert len(calls) == 1
    assert WorkerHeartbeat.objects.get(worker_id="cron-1").last_beat_at <= timezone.now()


def test_failing_periodic_function_does_not_stop_the_worker(texting_member: User, patient: User) -> None:
    def broken(now: datetime) -> None:
        raise RuntimeError("scan failed")

    periodic.register_periodic(broken)
    try:
        row = _reminder(texting_member, patient)
        run_worker()
    finally:
        periodic.unregister_periodic(broken)
    row.refresh_from_db()
    assert row.state == State.SENT


def test_phone_code_is_wiped_after_sending(family_member: User, daytime: Any) -> None:
    from notifications.phones import set_phone

    set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    run_worker()
    row = OutboxMessage.objects.get(template_key="phone_code")
    assert row.state == State.SENT
    assert row.context == {} and row.body == ""


def test_backoff_grows_and_is_capped() -> None:
    import random

    rng = random.Random(1)
    samples = [backoff_seconds(n, rng) for n in range(1, 12)]
    assert 15 <= samples[0] <= 30
    assert 30 <= samples[1] <= 60
    assert all(s <= 3600 for s in samples)
    assert samples[-1] >= 1800
