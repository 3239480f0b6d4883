"""The send-time rules, one by one (JOB-05, ``notifications.worker.rules``): each reason a claimed row is refused,
read from a plain row (a query per fact) and from a row loaded as the worker loads a batch (the batch's facts), and
when quiet hours hold a text (47 CFR 64.1200(c)(1))."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Program, User
from consent.models import Consent
from notifications import checks
from notifications.models import OutboxMessage, SmsPhone
from notifications.phones import record_keyword_opt_out, set_phone
from notifications.services import enqueue_message
from notifications.worker import Leases, decide_consent, next_waking_time, refusal_reason
from tests.notifications.conftest import MEMBER_NUMBER, give_phone
from tests.support import personas

pytestmark = pytest.mark.django_db

Channel = OutboxMessage.Channel


def _row(member: User, *, key: str = "k", template: str = "new_message", **kwargs: Any) -> OutboxMessage:
    kwargs.setdefault("context", {"link": "https://portal.example.org/notifications/go/AbCd1234"})
    row = enqueue_message(recipient=member, template_key=template, idempotency_key=key, **kwargs)
    assert row is not None
    return row


def plain(row: OutboxMessage) -> OutboxMessage:
    """The row as a fresh query returns it: every fact is asked for when a rule needs it."""
    return OutboxMessage.objects.get(pk=row.pk)


def batched(row: OutboxMessage, at: datetime | None = None) -> OutboxMessage:
    """The row as the worker loads a claimed batch: phone and opt-out flag in the same query, consent decided for
    the whole batch (``ClaimedBatch``)."""
    [loaded] = Leases.with_send_facts(OutboxMessage.objects.filter(pk=row.pk))
    decide_consent([loaded], at or timezone.now())
    return loaded


LOADS = [plain, batched]


# --- refusal_reason ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("load", LOADS)
def test_a_row_that_may_go_is_refused_for_nothing(texting_member: User, patient: User, load: Any) -> None:
    row = _row(texting_member, patient=patient, scope="schedule")
    assert row.channel == Channel.SMS
    assert refusal_reason(load(row), timezone.now()) == ""


@pytest.mark.parametrize("load", LOADS)
def test_an_inactive_recipient_is_refused(texting_member: User, load: Any) -> None:
    row = _row(texting_member)
    User.objects.filter(pk=texting_member.pk).update(is_active=False)
    assert refusal_reason(load(row), timezone.now()) == "recipient account inactive"


@pytest.mark.parametrize("load", LOADS)
def test_a_row_about_a_patient_needs_the_consent_now(
    texting_member: User, patient: User, consent: Consent, load: Any
) -> None:
    row = _row(texting_member, patient=patient, scope="schedule")
    personas.revoke(consent)
    assert refusal_reason(load(row), timezone.now()) == "consent no longer covers this"


def test_the_batch_decision_is_the_one_the_row_is_sent_on(
    texting_member: User, patient: User, consent: Consent
) -> None:
    """A batch decided before the revocation keeps its answer until the worker reloads it (``DECISION_MAX_AGE_S``
    bounds how long); a row loaded on its own asks the gate at the instant it is checked."""
    row = _row(texting_member, patient=patient, scope="schedule")
    decided = batched(row)
    personas.revoke(consent)
    now = timezone.now()
    assert refusal_reason(decided, now) == ""
    assert refusal_reason(plain(row), now) == "consent no longer covers this"


def test_the_gate_is_asked_at_the_instant_given(texting_member: User, patient: User, consent: Consent) -> None:
    Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    row = _row(texting_member, patient=patient, scope="schedule")
    assert refusal_reason(plain(row), timezone.now()) == ""
    assert refusal_reason(plain(row), timezone.now() + timedelta(hours=2)) == "consent no longer covers this"


def test_a_batch_loaded_text_is_judged_without_a_query(
    texting_member: User, patient: User, consent: Consent, django_assert_num_queries: Any
) -> None:
    """The facts came with the batch (R1): judging a text asks the database nothing more, so a STOP recorded
    since the load is seen at the next reload, not by this check."""
    row = batched(_row(texting_member, patient=patient, scope="schedule"))
    record_keyword_opt_out(e164=MEMBER_NUMBER)
    with django_assert_num_queries(0):
        assert refusal_reason(row, timezone.now()) == ""
    assert refusal_reason(plain(row), timezone.now()) == "number opted out"


def test_a_batch_loaded_confirmation_code_is_judged_without_a_query(
    family_member: User, django_assert_num_queries: Any
) -> None:
    set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    code = batched(OutboxMessage.objects.get(recipient=family_member, template_key="phone_code"))
    record_keyword_opt_out(e164=MEMBER_NUMBER)
    with django_assert_num_queries(0):
        assert refusal_reason(code, timezone.now()) == ""
    assert refusal_reason(plain(code), timezone.now()) == "number opted out"


@pytest.mark.parametrize("load", LOADS)
def test_a_row_without_a_patient_needs_no_consent(texting_member: User, consent: Consent, load: Any) -> None:
    row = _row(texting_member)
    personas.revoke(consent)
    assert refusal_reason(load(row), timezone.now()) == ""


@pytest.mark.parametrize("load", LOADS)
def test_a_subject_no_longer_current_is_refused(texting_member: User, load: Any) -> None:
    asked: list[str] = []

    def session_check(row: OutboxMessage) -> bool:
        asked.append(row.subject)
        return row.subject == "session:current"

    checks.register_subject_check("session", session_check)
    try:
        current = _row(texting_member, key="a", subject="session:current")
        stale = _row(texting_member, key="b", subject="session:moved")
        now = timezone.now()
        assert (refusal_reason(load(current), now), refusal_reason(load(stale), now)) == ("", "no longer current")
    finally:
        checks.unregister_subject_check("session")
    assert asked == ["session:current", "session:moved"]


@pytest.mark.parametrize(
    ("starts_in", "reason"),
    [
        (timedelta(minutes=5), ""),
        (timedelta(0), "too late: already started"),
        (-timedelta(minutes=5), "too late: already started"),
    ],
)
def test_a_reminder_for_something_that_has_started_is_refused(
    texting_member: User, starts_in: timedelta, reason: str
) -> None:
    now = timezone.now()
    row = _row(texting_member, template="session_reminder", context={"starts_at": (now + starts_in).isoformat()})
    assert refusal_reason(plain(row), now) == reason


def test_a_row_with_no_start_time_is_never_too_late(texting_member: User) -> None:
    row = _row(texting_member, context={"link": "x", "starts_at": ""})
    assert refusal_reason(plain(row), timezone.now()) == ""


@pytest.mark.parametrize("load", LOADS)
def test_an_email_needs_only_an_address(family_member: User, load: Any) -> None:
    row = _row(family_member, channel=Channel.EMAIL)
    assert refusal_reason(load(row), timezone.now()) == ""  # no phone at all: an email does not need one
    User.objects.filter(pk=family_member.pk).update(email="")
    assert refusal_reason(load(row), timezone.now()) == "no email address"


# Texts -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("load", LOADS)
def test_a_text_needs_a_confirmed_opted_in_number_that_can_receive_texts(
    family_member: User, daytime: Any, load: Any
) -> None:
    row = _row(family_member, channel=Channel.SMS)
    now = timezone.now()
    assert refusal_reason(load(row), now) == "no mobile number"
    give_phone(family_member, opt_in=False)
    SmsPhone.objects.filter(user=family_member).update(verified_at=None)
    assert refusal_reason(load(row), now) == "number not confirmed"
    SmsPhone.objects.filter(user=family_member).update(verified_at=now)
    assert refusal_reason(load(row), now) == "texts turned off"
    SmsPhone.objects.filter(user=family_member).update(opted_in_at=now, sms_capable=False)
    assert refusal_reason(load(row), now) == "number cannot receive texts"
    SmsPhone.objects.filter(user=family_member).update(sms_capable=True)
    assert refusal_reason(load(row), now) == ""
    record_keyword_opt_out(e164=MEMBER_NUMBER)
    SmsPhone.objects.filter(user=family_member).update(opted_in_at=now)  # STOP ends the opt-in; the block stays
    assert refusal_reason(load(row), now) == "number opted out"


@pytest.mark.parametrize("load", LOADS)
def test_a_text_goes_to_the_current_number(texting_member: User, load: Any) -> None:
    row = _row(texting_member, channel=Channel.SMS, to_address="+12125550199")
    loaded = load(row)
    assert refusal_reason(loaded, timezone.now()) == ""
    assert loaded.to_address == MEMBER_NUMBER


@pytest.mark.parametrize("load", LOADS)
def test_a_confirmation_code_goes_only_to_the_number_being_confirmed(family_member: User, load: Any) -> None:
    set_phone(user=family_member, raw_number=MEMBER_NUMBER)  # queues the code, pinned to the number
    code = OutboxMessage.objects.get(recipient=family_member, template_key="phone_code")
    now = timezone.now()
    assert code.to_address == MEMBER_NUMBER
    assert refusal_reason(load(code), now) == ""  # not confirmed or opted in yet: that is what the code is for
    record_keyword_opt_out(e164=MEMBER_NUMBER)
    assert refusal_reason(load(code), now) == "number opted out"
    SmsPhone.objects.filter(user=family_member).update(e164="+12125550199")  # changed since the code was queued
    assert refusal_reason(load(code), now) == "number changed"
    SmsPhone.objects.filter(user=family_member).delete()
    assert refusal_reason(load(code), now) == "number changed"


# --- next_waking_time ------------------------------------------------------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")


def _at(hour: int, minute: int = 0, tz: ZoneInfo = NEW_YORK) -> datetime:
    day = (datetime.now(tz) + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def test_texts_wait_for_the_morning_and_daytime_texts_go_now(texting_member: User, program: Program) -> None:
    row = plain(_row(texting_member, channel=Channel.SMS))
    assert next_waking_time(row, _at(12)) is None
    assert next_waking_time(row, _at(22)) == _at(8) + timedelta(days=1)


def test_emails_and_confirmation_codes_are_never_held(family_member: User, program: Program) -> None:
    email = _row(family_member, key="e", channel=Channel.EMAIL)
    set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    code = OutboxMessage.objects.get(recipient=family_member, template_key="phone_code")
    assert code.channel == Channel.SMS
    assert (next_waking_time(plain(email), _at(23)), next_waking_time(plain(code), _at(23))) == (None, None)


def test_the_numbers_area_code_zone_must_be_awake_too(family_member: User, program: Program) -> None:
    """A New York program, a Los Angeles number: 9 AM in New York is 6 AM on the coast, held until 8 AM there."""
    give_phone(family_member, number="+13105550142")
    row = plain(_row(family_member, channel=Channel.SMS))
    assert next_waking_time(row, _at(9)) == _at(8, tz=ZoneInfo("America/Los_Angeles"))


def test_a_text_for_someone_without_a_number_is_held_by_their_profile_zone_alone(
    family_member: User, program: Program
) -> None:
    """The worker refuses such a text before asking about quiet hours; asked anyway, the rule does not fail."""
    row = plain(_row(family_member, channel=Channel.SMS))
    assert next_waking_time(row, _at(12)) is None
    assert next_waking_time(row, _at(23)) == _at(8) + timedelta(days=1)


def test_a_member_without_a_zone_follows_the_patients_program(family_member: User, patient: User) -> None:
    """Family members have no program: the zone is the program of the patient the text is about, not the first
    program in the database (the patient fixture's New York one)."""
    far = Program.objects.create(name="Island Program", time_zone="Pacific/Honolulu")
    User.objects.filter(pk=patient.pk).update(program=far)
    patient.refresh_from_db()
    assert Program.objects.order_by("pk").first() != far
    give_phone(family_member, number="+18085550142")  # a Hawaii number: the area code adds no other zone
    about = plain(_row(family_member, channel=Channel.SMS, patient=patient, scope="schedule"))
    honolulu = ZoneInfo("Pacific/Honolulu")
    assert next_waking_time(about, _at(17, tz=honolulu)) is None  # 10 PM in New York
    assert next_waking_time(about, _at(22, tz=honolulu)) == _at(8, tz=honolulu) + timedelta(days=1)


def test_with_no_waking_time_common_to_every_zone_the_text_waits_an_hour(family_member: User) -> None:
    """A member in India with a North American toll-free number (every zone from Guam to Newfoundland): no
    instant is 8 AM–9 PM in all of them, so the text is tried again in an hour rather than never."""
    User.objects.filter(pk=family_member.pk).update(time_zone="Asia/Kolkata")
    family_member.refresh_from_db()
    give_phone(family_member)
    SmsPhone.objects.filter(user=family_member).update(e164="+18005550142")
    row = plain(_row(family_member, channel=Channel.SMS))
    night = datetime(2030, 1, 15, 3, 0, tzinfo=UTC)
    assert next_waking_time(row, night) == night + timedelta(hours=1)
