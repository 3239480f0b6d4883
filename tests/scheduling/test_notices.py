"""Families are told when a session changes (issue 15): an invitation, a new time and a cancellation each reach
every participant as a neutral email (verified address) and text (opted-in phone) through the outbox, re-checked
at send time, held by quiet hours, once per event; the pages and the email reminder say what is true now."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from accounts.models import User
from consent.models import Consent
from consent.services import revoke_consent
from notifications import sms
from notifications.models import OutboxMessage
from notifications.rendering import clinical_words_in, is_single_gsm7_segment
from notifications.worker import Worker
from scheduling.models import FamilySession, SessionNotice
from scheduling.services import cancel_session, confirm_request, request_session, reschedule_session
from tests.notifications.conftest import give_phone
from tests.scheduling.conftest import book, future_start

pytestmark = pytest.mark.django_db

NOTICES = ("session_invited", "session_rescheduled", "session_cancelled")
Channel = OutboxMessage.Channel
State = OutboxMessage.State
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _console_sms(settings: Any) -> Iterator[None]:
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_MPS = 1000.0
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    sms.reset_backend()
    yield
    sms.reset_backend()


@pytest.fixture
def awake() -> Iterator[time_machine.Traveller]:
    """The next 15:00 UTC (11 AM in New York): inside everyone's texting window."""
    now = datetime.now(UTC)
    target = now.replace(hour=15, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    with time_machine.travel(target, tick=True) as traveller:
        yield traveller


@pytest.fixture
def texting_member(awake: Any, family_member: User) -> User:
    give_phone(family_member)
    return family_member


def notices(session: FamilySession, recipient: User, **filters: Any) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.filter(
        subject=session.subject, recipient=recipient, template_key__in=NOTICES, **filters
    ).order_by("created_at")
    return list(rows)


def run_worker() -> None:
    Worker(worker_id="test-worker").run(once=True)


def mails_to(user: User, subject: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [user.email] and m.subject == subject]


def assert_neutral(text: str, *people: User) -> None:
    assert clinical_words_in(text) == [], text
    lowered = re.sub(r"https://\S+", "", text).lower()  # a link's random token could spell anything
    for person in people:
        for part in person.full_name.split():
            assert part.lower() not in lowered, (part, text)
    assert "riverside" not in lowered  # the program's name
    assert "room 2" not in lowered and "elm street" not in lowered  # the place
    assert "interpreter" not in lowered  # staff notes


def sent_sms(session: FamilySession, recipient: User, template_key: str) -> str:
    row = OutboxMessage.objects.get(
        subject=session.subject, recipient=recipient, template_key=template_key, channel=Channel.SMS, state=State.SENT
    )
    assert is_single_gsm7_segment(row.body) and len(row.body) <= 160, row.body
    return row.body


# --- invitation -------------------------------------------------------------------------------------------------


def test_booking_invites_each_participant_by_email_and_text_in_neutral_words(
    texting_member: User, counselor: User, patient: User
) -> None:
    session = book(counselor, patient, [texting_member], staff_notes="Interpreter booked")
    rows = notices(session, texting_member)
    assert {(row.channel, row.template_key) for row in rows} == {
        (Channel.EMAIL, "session_invited"),
        (Channel.SMS, "session_invited"),
    }
    assert all(row.patient_id == patient.pk and row.scope == "schedule" for row in rows)  # re-checked at send time
    assert {row.channel for row in notices(session, patient)} == {Channel.EMAIL}  # no phone: email only

    run_worker()

    [email] = mails_to(texting_member, "New appointment")
    local = session.starts_at.astimezone(NEW_YORK)
    assert f"{local:%A, %B} {local.day}, {local.year} at {local:%I:%M %p}".replace(" 0", " ") in email.body
    assert f"https://portal.example.org/sessions/{session.pk}/" in email.body
    assert_neutral(email.subject + email.body, patient, counselor, texting_member)
    text = sent_sms(session, texting_member, "session_invited")
    assert text.startswith("New appointment: ")
    assert "https://portal.example.org/notifications/go/" in text
    assert_neutral(text, patient, counselor, texting_member)


def test_the_same_event_queues_one_notice_per_person_and_channel(texting_member: User, counselor: User, patient):
    from scheduling.notices import send_session_notices

    session = book(counselor, patient, [texting_member])
    before = OutboxMessage.objects.count()
    assert send_session_notices(session, [texting_member.pk], kind=SessionNotice.Kind.INVITED) == []
    assert OutboxMessage.objects.count() == before
    assert len(notices(session, texting_member)) == 2


def test_an_invitation_is_refused_at_send_time_once_consent_is_revoked(
    awake: Any, counselor: User, patient: User, family_member: User, consent: Consent
) -> None:
    session = book(counselor, patient, [family_member])
    revoke_consent(consent=consent, actor=patient)

    run_worker()

    [row] = notices(session, family_member)
    assert row.state == State.SUPPRESSED
    assert row.state_reason == "consent no longer covers this"
    assert mails_to(family_member, "New appointment") == []


def test_a_text_notice_waits_for_the_morning_and_the_email_goes_at_once(counselor, patient, family_member) -> None:
    night = datetime.now(NEW_YORK).replace(hour=23, minute=30, second=0, microsecond=0) + timedelta(days=1)
    with time_machine.travel(night.replace(hour=12)):
        give_phone(family_member)
    with time_machine.travel(night, tick=False):
        session = book(counselor, patient, [family_member], starts_at=future_start(days=3))
        run_worker()
        [text] = notices(session, family_member, channel=Channel.SMS)
        assert text.state == State.QUEUED  # quiet hours: held, not dropped
        assert text.send_after.astimezone(NEW_YORK).hour == 8
        assert len(mails_to(family_member, "New appointment")) == 1
    with time_machine.travel(text.send_after + timedelta(minutes=1), tick=False):
        run_worker()
    text.refresh_from_db()
    assert text.state == State.SENT


# --- new time ----------------------------------------------------------------------------------------------------


def test_a_session_moved_twice_sends_only_the_latest_time(texting_member: User, counselor: User, patient: User):
    session = book(counselor, patient, [texting_member])
    run_worker()  # the invitations go out
    first, second = future_start(days=4), future_start(days=5)
    reschedule_session(actor=counselor, session=session, starts_at=first, ends_at=first + timedelta(hours=1))
    reschedule_session(actor=counselor, session=session, starts_at=second, ends_at=second + timedelta(hours=1))

    run_worker()

    [email] = mails_to(texting_member, "Your appointment has a new time")
    local = second.astimezone(NEW_YORK)
    assert f"{local:%A, %B} {local.day}, {local.year}" in email.body
    assert f"{first.astimezone(NEW_YORK):%B} {first.astimezone(NEW_YORK).day}," not in email.body
    text = sent_sms(session, texting_member, "session_rescheduled")
    assert text.startswith(f"Appointment moved to {local:%a %b} {local.day} at ")
    assert_neutral(email.body + text, patient, counselor, texting_member)
    moved = notices(session, texting_member, template_key="session_rescheduled")
    assert sorted(row.state for row in moved) == [State.CANCELLED, State.CANCELLED, State.SENT, State.SENT]


def test_an_invitation_that_never_left_is_sent_for_the_new_time_instead(awake, counselor, patient, family_member):
    session = book(counselor, patient, [family_member])
    later = future_start(days=6)
    reschedule_session(actor=counselor, session=session, starts_at=later, ends_at=later + timedelta(hours=1))

    run_worker()

    [email] = mails_to(family_member, "New appointment")  # told once, of the time that holds
    local = later.astimezone(NEW_YORK)
    assert f"{local:%A, %B} {local.day}, {local.year}" in email.body
    assert mails_to(family_member, "Your appointment has a new time") == []


# --- cancellation -------------------------------------------------------------------------------------------------


def test_cancelling_tells_every_participant_without_the_reason(texting_member, counselor, patient) -> None:
    session = book(counselor, patient, [texting_member])
    run_worker()
    cancel_session(actor=counselor, session=session, reason="Casey is ill; Pat's group moves")

    rows = notices(session, texting_member, template_key="session_cancelled")
    assert {row.channel for row in rows} == {Channel.EMAIL, Channel.SMS}
    assert notices(session, patient, template_key="session_cancelled")

    run_worker()

    [email] = mails_to(texting_member, "Appointment cancelled")
    assert "You do not need to come or wait for a call" in email.body
    text = sent_sms(session, texting_member, "session_cancelled")
    assert text.startswith("Appointment on ") and "is cancelled" in text
    for body in (email.body, text):
        assert "ill" not in body.split() and "group" not in body
        assert_neutral(body, patient, counselor, texting_member)


def test_cancelling_withdraws_an_invitation_still_waiting(awake, counselor, patient, family_member) -> None:
    session = book(counselor, patient, [family_member])
    cancel_session(actor=counselor, session=session, reason="Closed for the holiday")

    run_worker()

    assert [row.state for row in notices(session, family_member, template_key="session_invited")] == [State.CANCELLED]
    assert mails_to(family_member, "New appointment") == []
    assert len(mails_to(family_member, "Appointment cancelled")) == 1


# --- email reminder -----------------------------------------------------------------------------------------------


def test_email_reminder_says_when_in_the_persons_zone_and_links_to_the_session(
    awake: Any, counselor: User, patient: User, family_member: User
) -> None:
    family_member.time_zone = "America/Los_Angeles"
    family_member.save(update_fields=["time_zone"])
    session = book(counselor, patient, [family_member])
    reminders = OutboxMessage.objects.filter(
        subject=session.subject, recipient=family_member, template_key="session_reminder"
    )
    assert {row.channel for row in reminders} == {Channel.EMAIL}
    reminders.update(send_after=timezone.now())

    run_worker()

    emails = mails_to(family_member, "Appointment reminder")
    assert emails
    local = session.starts_at.astimezone(ZoneInfo("America/Los_Angeles"))
    clock = f"{local:%I:%M %p}".lstrip("0")
    assert f"When: {local:%A, %B} {local.day}, {local.year} at {clock} {local.tzname()}" in emails[0].body
    assert f"https://portal.example.org/sessions/{session.pk}/" in emails[0].body
    assert_neutral(emails[0].body, patient, counselor, family_member)


# --- pages ----------------------------------------------------------------------------------------------------------


def test_cancelled_session_says_cancelled_with_no_reply_on_the_list_and_its_page(
    login: Any, family_session: FamilySession, counselor: User, family_member: User
) -> None:
    cancel_session(actor=counselor, session=family_session, reason="Room flooded")
    client = login(family_member)

    listing = client.get("/sessions/").content.decode()
    assert "Cancelled" in listing
    assert "Please reply" not in listing
    assert f"/sessions/{family_session.pk}/rsvp/" not in listing

    page = client.get(family_session.get_absolute_url()).content.decode()
    assert "Cancelled" in page and "This session is cancelled." in page
    assert "Please reply" not in page and "Will you come?" not in page
    assert "Add to your calendar" not in page


def test_your_requests_shows_a_confirmed_request_whose_session_was_cancelled(
    login: Any, counselor: User, patient: User, family_member: User
) -> None:
    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start(days=4)])
    session = confirm_request(
        actor=counselor, session_request=asked, starts_at=future_start(days=4), location="Room 1", modality="in_person"
    )
    cancel_session(actor=counselor, session=session, reason="Counselor away")
    client = login(family_member)

    listing = client.get("/sessions/").content.decode()
    requests_part = listing.split('id="requests-title"', 1)[1].split("</section>", 1)[0]
    assert "Session cancelled" in requests_part
    assert "Confirmed" not in requests_part

    detail = client.get(asked.get_absolute_url()).content.decode()
    assert "Session cancelled" in detail and ">Confirmed<" not in detail


def test_a_moved_session_shows_its_new_time(login, family_session, counselor, family_member) -> None:
    later = future_start(days=8, hour_utc=18)
    reschedule_session(actor=counselor, session=family_session, starts_at=later, ends_at=later + timedelta(hours=1))
    page = login(family_member).get(family_session.get_absolute_url()).content.decode()
    assert later.astimezone(NEW_YORK).strftime("%A, %B %-d, %Y, %-I:%M %p") in page  # FULL_DATETIME_FORMAT


# --- calendar ----------------------------------------------------------------------------------------------------


def _events(client: Client, session: FamilySession) -> list[Any]:
    body = client.get(f"/sessions/{session.pk}/appointment.ics").content
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_session_ics_carries_an_alarm_an_hour_before(login, family_session, family_member) -> None:
    [event] = _events(login(family_member), family_session)
    [alarm] = [c for c in event.walk() if c.name == "VALARM"]
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
    assert str(alarm["DESCRIPTION"]) == "Appointment"


def test_a_cancelled_sessions_ics_has_no_alarm(login, family_session, counselor, family_member) -> None:
    cancel_session(actor=counselor, session=family_session, reason="Room flooded")
    [event] = _events(login(family_member), family_session)
    assert str(event["STATUS"]) == "CANCELLED"
    assert [c for c in event.walk() if c.name == "VALARM"] == []


def test_add_to_calendar_links_carry_only_a_neutral_title_and_the_time(
    login: Any, family_session: FamilySession, family_member: User
) -> None:
    page = login(family_member).get(family_session.get_absolute_url()).content.decode()
    hrefs = [chunk.split('"', 1)[0].replace("&amp;", "&") for chunk in page.split('href="')[1:]]
    google = next(h for h in hrefs if h.startswith("https://calendar.google.com/"))
    outlook_com = next(h for h in hrefs if h.startswith("https://outlook.live.com/"))
    office_365 = next(h for h in hrefs if h.startswith("https://outlook.office.com/"))
    assert f"/sessions/{family_session.pk}/appointment.ics" in hrefs  # Apple and the rest: the .ics file

    starts, ends = family_session.starts_at.astimezone(UTC), family_session.ends_at.astimezone(UTC)
    assert parse_qs(urlsplit(google).query) == {
        "action": ["TEMPLATE"],
        "text": ["Appointment"],
        "dates": [f"{starts:%Y%m%dT%H%M%SZ}/{ends:%Y%m%dT%H%M%SZ}"],
    }
    for outlook in (outlook_com, office_365):
        assert parse_qs(urlsplit(outlook).query) == {
            "path": ["/calendar/action/compose"],
            "rru": ["addevent"],
            "subject": ["Appointment"],
            "startdt": [f"{starts:%Y-%m-%dT%H:%M:%SZ}"],
            "enddt": [f"{ends:%Y-%m-%dT%H:%M:%SZ}"],
        }
    for url in (google, outlook_com, office_365):  # nothing else rides along: no name, place, id or portal link
        assert str(family_session.pk) not in url and "portal" not in url.lower()
