"""enqueue_message, plan_reminders, cancel_reminders, short links (JOB-01, reminder policy)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Program, User
from notifications.models import OutboxMessage, ShortLink, SmsOptOut, SmsPhone
from notifications.rendering import clinical_words_in
from notifications.services import (
    cancel_reminders,
    describe_when,
    enqueue_message,
    plan_reminders,
    portal_link,
    sms_phone_for,
)
from notifications.views import phone_status
from notifications.worker import Worker
from tests.notifications.conftest import give_phone

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def test_enqueue_in_rolled_back_transaction_leaves_no_row(family_member: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="k", context={"link": "x"})
        raise RuntimeError("the business change failed")
    assert not OutboxMessage.objects.exists()


def test_enqueue_twice_with_same_key_returns_none_and_keeps_one_row(family_member: User) -> None:
    with transaction.atomic():
        first = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="k")
        second = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="k")
        # The caller's transaction is still usable after the duplicate.
        assert OutboxMessage.objects.count() == 1
    assert first is not None and second is None


@pytest.mark.django_db(transaction=True)
def test_enqueue_twice_outside_any_transaction_returns_none_and_keeps_one_row(family_member: User) -> None:
    first = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="auto")
    second = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="auto")
    assert first is not None and second is None
    assert OutboxMessage.objects.filter(idempotency_key="auto").count() == 1


def test_channel_is_sms_only_for_confirmed_opted_in_phone(family_member: User, daytime: Any) -> None:
    row = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="a")
    assert row is not None and row.channel == "email"
    give_phone(family_member, opt_in=False)
    row = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="b")
    assert row is not None and row.channel == "email"
    from notifications.phones import OPT_IN_TEXT, opt_in_to_texts

    opt_in_to_texts(user=family_member, wording=OPT_IN_TEXT)
    row = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="c")
    assert row is not None and row.channel == "sms"


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))]


@pytest.mark.parametrize("in_transaction", [False, True])
def test_enqueue_chooses_the_channel_in_its_one_insert(
    texting_member: User, patient: User, in_transaction: bool
) -> None:
    """R6: the channel is chosen inside the insert (phone row + opt-out flag): one statement, then the wake-up."""
    with CaptureQueriesContext(connection) as ctx, transaction.atomic() if in_transaction else nullcontext():
        row = enqueue_message(recipient=texting_member, template_key="new_message", idempotency_key="q")
    assert row is not None and row.channel == "sms"
    assert OutboxMessage.objects.get(pk=row.pk).channel == "sms"
    savepoints = [q for q in ctx.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == in_transaction  # the test's own atomic block only: a duplicate key needs none
    [insert, *rest] = _statements(ctx)
    assert insert.startswith("INSERT") and "notifications_smsoptout" in insert
    wake = ["SELECT pg_notify('notifications_outbox', '')"] if connection.vendor == "postgresql" else []
    assert [sql.replace('"', "'") for sql in rest if sql != "COMMIT"] == wake  # R4: due now, so idle workers wake


def test_enqueue_for_later_wakes_no_worker(texting_member: User) -> None:
    later = timezone.now() + timedelta(hours=1)
    with CaptureQueriesContext(connection) as ctx:
        enqueue_message(recipient=texting_member, template_key="new_message", idempotency_key="l", send_after=later)
    assert not [sql for sql in _statements(ctx) if "pg_notify" in sql]


@pytest.mark.parametrize(
    ("phone", "opt_out", "textable"),
    [
        ({}, None, True),
        ({"verified_at": None}, None, False),
        ({"opted_in_at": None}, None, False),
        ({"sms_capable": False}, None, False),
        ({}, True, False),
        ({}, False, True),  # opted back in
    ],
)
def test_every_textability_check_in_the_code_agrees(
    texting_member: User, phone: dict[str, Any], opt_out: bool | None, textable: bool
) -> None:
    """The code answers "may this person get a text?" in three places: the enqueue-time lookup (``sms_phone_for``,
    hand-written SQL), the worker's send-time refusal, and the phone settings page. Each is asked here, for each
    way a phone can stop being textable, and must give the expected answer."""
    SmsPhone.objects.filter(user=texting_member).update(**phone)
    number = SmsPhone.objects.get(user=texting_member).e164
    if opt_out is not None:
        SmsOptOut.objects.create(e164=number, active=opt_out)
    SmsOptOut.objects.create(e164="+12125550199")  # someone else's STOP changes nothing

    found = sms_phone_for(texting_member)
    assert (found is not None) is textable
    assert found is None or found.user_id == texting_member.pk
    chosen = enqueue_message(recipient=texting_member, template_key="new_message", idempotency_key="auto")
    assert chosen is not None and chosen.channel == ("sms" if textable else "email")
    pinned = enqueue_message(recipient=texting_member, template_key="new_message", idempotency_key="sms", channel="sms")
    assert pinned is not None
    refusal = Worker(worker_id="rule").refusal_reason(OutboxMessage.objects.get(pk=pinned.pk), timezone.now())
    assert (refusal == "") is textable, refusal
    assert (phone_status(texting_member, fresh=True)["state"] == "on") is textable  # as the settings page asks


def test_patient_and_scope_go_together(family_member: User, patient: User) -> None:
    with pytest.raises(ValueError):
        enqueue_message(recipient=family_member, template_key="x", idempotency_key="k", patient=patient)


def _plan(program: Program, recipients: list[User], patient: User, starts_at: datetime) -> list[OutboxMessage]:
    return plan_reminders(
        subject="session:1f0e",
        recipients=recipients,
        starts_at=starts_at,
        program=program,
        patient=patient,
        link_path="/sessions/1f0e9a4c-9b7e-4a55-8d3c-6a1b2c3d4e5f/",
    )


def test_plan_reminders_default_offsets_keys_and_neutral_context(
    program: Program, patient: User, family_member: User
) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False):
        starts_at = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # 6 PM in New York
        rows = _plan(program, [family_member], patient, starts_at)
    assert [r.send_after for r in rows] == [starts_at - timedelta(hours=24), starts_at - timedelta(hours=2)]
    stamp = int(starts_at.timestamp())
    assert [r.idempotency_key for r in rows] == [
        f"reminder:session:1f0e:{family_member.pk}:1440:{stamp}:r0",
        f"reminder:session:1f0e:{family_member.pk}:120:{stamp}:r0",
    ]
    first, second = rows
    assert first.context["when"] == "tomorrow at 6:00 PM"
    assert second.context["when"] == "today at 6:00 PM"
    assert first.context["link"].startswith("https://portal.example.org/notifications/go/")
    assert all(r.scope == "schedule" and r.patient == patient and r.template_key == "session_reminder" for r in rows)
    text = str([r.context for r in rows]) + first.subject
    assert "Pat" not in text and "Rivera" not in text and program.name not in text
    assert clinical_words_in(text) == []


def test_plan_reminders_moves_quiet_hours_earlier_and_skips_past(
    program: Program, patient: User, family_member: User
) -> None:
    family_member.time_zone = "America/Los_Angeles"
    family_member.save()
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        # 9 AM Los Angeles session: 24 h before is 9 AM (fine); 2 h before is 7 AM → 9 PM the evening before.
        starts_at = datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
        rows = _plan(program, [family_member], patient, starts_at)
    la = ZoneInfo("America/Los_Angeles")
    assert [tuple(r.send_after.astimezone(la).timetuple())[:5] for r in rows] == [
        (2026, 12, 1, 9, 0),
        (2026, 12, 1, 21, 0),
    ]
    assert rows[1].context["when"] == "tomorrow at 9:00 AM"

    with time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False):  # 4 AM LA, both in the past
        assert _plan(program, [family_member], patient, starts_at + timedelta(minutes=1)) == []


def test_family_member_without_zone_uses_program_zone(program: Program, patient: User, family_member: User) -> None:
    assert family_member.time_zone == "" and family_member.program is None
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        starts_at = datetime(2026, 12, 2, 14, 30, tzinfo=NY)
        rows = _plan(program, [family_member], patient, starts_at)
    assert rows[0].context["when"] == "tomorrow at 2:30 PM"


def test_plan_reminders_is_idempotent_and_uses_program_offsets(
    program: Program, patient: User, family_member: User, counselor: User
) -> None:
    program.reminder_offsets_minutes = [60]
    program.save()
    with time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False):
        starts_at = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
        assert len(_plan(program, [family_member, counselor], patient, starts_at)) == 2
        assert _plan(program, [family_member, counselor], patient, starts_at) == []
    assert OutboxMessage.objects.count() == 2


def test_cancel_reminders_cancels_only_pending_rows_of_subject(
    program: Program, patient: User, family_member: User
) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False):
        rows = _plan(program, [family_member], patient, datetime(2026, 12, 3, 23, 0, tzinfo=UTC))
        other = enqueue_message(recipient=family_member, template_key="new_message", idempotency_key="o")
        OutboxMessage.objects.filter(pk=rows[0].pk).update(state=OutboxMessage.State.SENT)
        assert cancel_reminders(subject="session:1f0e") == 1
    states = dict(OutboxMessage.objects.values_list("pk", "state"))
    assert states[rows[0].pk] == "sent"
    assert states[rows[1].pk] == "cancelled"
    assert other is not None and states[other.pk] == "queued"


def test_describe_when_wording() -> None:
    start = datetime(2026, 9, 24, 16, 30, tzinfo=UTC)  # 12:30 PM New York
    assert describe_when(start, start - timedelta(hours=2), NY) == "today at 12:30 PM"
    assert describe_when(start, start - timedelta(days=1), NY) == "tomorrow at 12:30 PM"
    assert describe_when(start, start - timedelta(days=3), NY) == "on Thu Sep 24 at 12:30 PM"


def test_short_link_is_stable_and_redirects_after_login(client: Client, family_member: User) -> None:
    link = portal_link("/sessions/abc/")
    assert link == portal_link("/sessions/abc/")
    assert ShortLink.objects.filter(path="/sessions/abc/").count() == 1
    path = link.removeprefix("https://portal.example.org")
    response = client.get(path)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(family_member)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == "/sessions/abc/"
    assert client.get("/notifications/go/nope").status_code == 404


def test_short_link_refuses_external_targets(db: None) -> None:
    with pytest.raises(ValueError):
        portal_link("https://evil.example/")
    with pytest.raises(ValueError):
        portal_link("//evil.example/")
