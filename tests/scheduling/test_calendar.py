"""Calendar files and the private subscription feed: neutral content, token auth, consent at every fetch."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from consent.models import Disclosure, Scope
from scheduling.models import CalendarFeed, Participant
from scheduling.services import cancel_session, issue_calendar_feed, reschedule_session, respond_rsvp
from tests.scheduling.conftest import book
from tests.support import personas

pytestmark = pytest.mark.django_db

CLINICAL_WORDS = [
    "therapy", "therapist", "counsel", "clinic", "treatment", "recovery", "addiction", "substance", "detox",
    "relapse", "rehab", "sober", "alcohol", "drug", "mental", "psych", "patient", "family session", "education",
    "iop", "outpatient", "part 2",
]  # fmt: skip


def events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def assert_neutral(body: bytes, patient, program, counselor) -> None:
    text = body.decode().lower()
    for word in [patient.full_name, patient.email, program.name, program.legal_name, counselor.full_name]:
        assert word.lower() not in text
    for word in CLINICAL_WORDS:
        assert not re.search(rf"\b{re.escape(word)}", text), word
    assert "room 2" not in text  # no place either: calendars sync to shared devices


def feed_url(token: str) -> str:
    return reverse("scheduling:calendar_feed", args=[token])


def test_ics_download_parses_and_is_neutral(login, family_session, family_member, patient, program, counselor):
    response = login(family_member).get(reverse("scheduling:session_ics", args=[family_session.pk]))
    (event,) = events(response.content)
    assert str(event["SUMMARY"]) == "Appointment"
    assert event.decoded("DTSTART") == family_session.starts_at
    assert event.decoded("DTEND") == family_session.ends_at
    assert str(family_session.pk) in str(event["UID"])
    assert family_session.get_absolute_url() in str(event["DESCRIPTION"])
    assert_neutral(response.content, patient, program, counselor)


def test_ics_download_is_recorded_as_calendar_disclosure(login, family_session, family_member):
    login(family_member).get(reverse("scheduling:session_ics", args=[family_session.pk]))
    assert Disclosure.objects.filter(recipient=family_member, channel=Disclosure.Channel.CALENDAR).count() == 1


def test_rescheduled_session_has_new_sequence_and_cancelled_status(family_session, counselor, family_member, client):
    token = issue_calendar_feed(user=family_member)
    new = family_session.starts_at + timedelta(days=1)
    reschedule_session(actor=counselor, session=family_session, starts_at=new, ends_at=new + timedelta(hours=1))
    (event,) = events(client.get(feed_url(token)).content)
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == new
    cancel_session(actor=counselor, session=family_session, reason="Snow")
    (event,) = events(client.get(feed_url(token)).content)
    assert str(event["STATUS"]) == "CANCELLED"
    assert "snow" not in client.get(feed_url(token)).content.decode().lower()


def test_feed_needs_no_login_and_is_neutral(client, family_session, family_member, patient, program, counselor):
    token = issue_calendar_feed(user=family_member)
    response = client.get(feed_url(token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert len(events(response.content)) == 1
    assert_neutral(response.content, patient, program, counselor)


def test_feed_writes_ledger_row_with_channel_calendar(client, family_session, family_member, consent):
    token = issue_calendar_feed(user=family_member)
    client.get(feed_url(token))
    client.get(feed_url(token))
    rows = Disclosure.objects.filter(recipient=family_member, channel=Disclosure.Channel.CALENDAR)
    assert rows.count() == 2
    assert {r.consent_id for r in rows} == {consent.pk}
    assert {r.scope for r in rows} == {Scope.SCHEDULE}


def test_feed_stores_only_a_hash_of_the_token(family_member):
    token = issue_calendar_feed(user=family_member)
    feed = CalendarFeed.objects.get(user=family_member)
    assert token not in feed.token_hash
    assert len(feed.token_hash) == 64


def test_unknown_or_regenerated_or_revoked_token_is_404(client, family_session, family_member, login):
    old = issue_calendar_feed(user=family_member)
    assert client.get(feed_url("not-a-real-token")).status_code == 404
    new = issue_calendar_feed(user=family_member)
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200
    login(family_member).post(reverse("scheduling:feed_settings"), {"action": "revoke"})
    client.logout()
    assert client.get(feed_url(new)).status_code == 404


def test_feed_of_revoked_consent_is_empty_and_records_nothing(client, family_session, family_member, consent):
    token = issue_calendar_feed(user=family_member)
    personas.revoke(consent)
    response = client.get(feed_url(token))
    assert response.status_code == 200
    assert events(response.content) == []
    assert not Disclosure.objects.filter(channel=Disclosure.Channel.CALENDAR).exists()


def test_feed_of_consent_without_schedule_scope_is_empty(client, counselor, patient):
    member = personas.make_user("edu-only@example.org", "family", None)
    personas.consent_for(patient, member, scopes=[Scope.EDUCATION])
    book(counselor, patient)
    token = issue_calendar_feed(user=member)
    assert events(client.get(feed_url(token)).content) == []


def test_feed_of_deactivated_user_is_404(client, family_member):
    token = issue_calendar_feed(user=family_member)
    family_member.is_active = False
    family_member.save(update_fields=["is_active"])
    assert client.get(feed_url(token)).status_code == 404


def test_feed_leaves_out_declined_sessions(client, family_session, family_member):
    token = issue_calendar_feed(user=family_member)
    respond_rsvp(user=family_member, session=family_session, response=Participant.Rsvp.DECLINED)
    assert events(client.get(feed_url(token)).content) == []


def test_counselor_feed_lists_sessions_they_lead(client, family_session, counselor):
    token = issue_calendar_feed(user=counselor)
    assert len(events(client.get(feed_url(token)).content)) == 1
    assert not Disclosure.objects.exists()
