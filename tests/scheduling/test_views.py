"""Scheduling pages: content per role, time zones, staff-only fields, query counts, and the request journey."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Availability, FamilySession, Participant, SessionRequest
from scheduling.slots import open_slots
from tests.scheduling.conftest import book, future_start

pytestmark = pytest.mark.django_db


def local_clock(moment, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def test_family_list_shows_upcoming_session_with_notice(login, family_session, family_member):
    page = login(family_member).get(reverse("scheduling:session_list")).content.decode()
    assert family_session.get_absolute_url() in page
    assert "Please reply" in page
    assert "data-part2-notice" in page


def test_staff_notes_never_reach_family_html(login, family_session, family_member, counselor):
    family = login(family_member)
    for url in (family_session.get_absolute_url(), reverse("scheduling:session_list"), reverse("dashboard")):
        assert "Interpreter booked" not in family.get(url).content.decode(), url
    staff = login(counselor)
    assert "Interpreter booked" in staff.get(family_session.get_absolute_url()).content.decode()


def test_learner_list_is_empty_and_shows_no_part2_notice(login, learner, family_session):
    page = login(learner).get(reverse("scheduling:session_list")).content.decode()
    assert "Nothing is scheduled right now" in page
    assert "data-part2-notice" not in page
    assert "Ask for a session" not in page


def test_times_are_shown_in_the_viewers_time_zone(login, family_session, family_member, counselor):
    family_member.time_zone = "Europe/London"
    family_member.save(update_fields=["time_zone"])
    page = login(family_member).get(family_session.get_absolute_url()).content.decode()
    assert local_clock(family_session.starts_at, "Europe/London") in page
    staff_page = login(counselor).get(family_session.get_absolute_url()).content.decode()
    assert local_clock(family_session.starts_at, "America/New_York") in staff_page


def test_family_without_own_time_zone_sees_program_time(login, family_session, family_member):
    page = login(family_member).get(family_session.get_absolute_url()).content.decode()
    assert local_clock(family_session.starts_at, "America/New_York") in page
    assert "America/New_York" in page


def test_video_link_is_shown_to_participants_only_on_their_page(login, counselor, patient, family_member):
    session = book(counselor, patient, [family_member], modality="video", join_url="https://video.example.org/r/1")
    assert "https://video.example.org/r/1" in login(family_member).get(session.get_absolute_url()).content.decode()


def test_rsvp_from_page_saves_answer(login, family_session, family_member):
    client = login(family_member)
    response = client.post(reverse("scheduling:rsvp", args=[family_session.pk]), {"response": "accepted"})
    assert response.status_code == 302
    assert Participant.objects.get(session=family_session, user=family_member).rsvp == "accepted"


def test_rsvp_redirects_only_to_local_next(login, family_session, family_member):
    client = login(family_member)
    url = reverse("scheduling:rsvp", args=[family_session.pk])
    assert client.post(url, {"response": "declined", "next": "https://evil.example/"})["Location"] == (
        family_session.get_absolute_url()
    )
    assert client.post(url, {"response": "accepted", "next": "/dashboard/"})["Location"] == "/dashboard/"


def test_bad_rsvp_value_is_a_message_not_an_error(login, family_session, family_member):
    response = login(family_member).post(reverse("scheduling:rsvp", args=[family_session.pk]), {"response": "x"})
    assert response.status_code == 302
    assert Participant.objects.get(session=family_session, user=family_member).rsvp == "invited"


def test_counselor_books_through_the_form(login, counselor, patient, family_member):
    client = login(counselor)
    assert client.get(reverse("scheduling:session_create")).status_code == 200
    url = reverse("scheduling:session_create") + f"?patient={patient.pk}"
    page = client.get(url).content.decode()
    assert family_member.full_name in page
    start = future_start(days=6).astimezone(ZoneInfo("America/New_York"))
    response = client.post(
        url,
        {
            "kind": "family_therapy",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "duration": "60",
            "modality": "in_person",
            "location": "Room 3",
            "family_members": [family_member.pk],
            "include_patient": "on",
        },
    )
    session = FamilySession.objects.get()
    assert response.status_code == 302
    assert session.starts_at == start
    assert set(session.participants.values_list("user_id", flat=True)) == {patient.pk, family_member.pk}


def test_booking_form_shows_overlap_as_form_error(login, counselor, patient, family_session):
    client = login(counselor)
    local = family_session.starts_at.astimezone(ZoneInfo("America/New_York"))
    response = client.post(
        reverse("scheduling:session_create") + f"?patient={patient.pk}",
        {"kind": "family_therapy", "starts_at": local.strftime("%Y-%m-%dT%H:%M"), "duration": "60",
         "modality": "video", "join_url": "https://video.example.org/x"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "overlaps another session" in response.content.decode()
    assert FamilySession.objects.count() == 1


def test_counselor_cannot_book_for_someone_elses_patient(login, unassigned_counselor, patient):
    url = reverse("scheduling:session_create") + f"?patient={patient.pk}"
    assert login(unassigned_counselor).get(url).status_code == 404


def test_reschedule_and_cancel_pages(login, counselor, family_session):
    client = login(counselor)
    new = (family_session.starts_at + timedelta(days=1)).astimezone(ZoneInfo("America/New_York"))
    url = reverse("scheduling:session_reschedule", args=[family_session.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"starts_at": new.strftime("%Y-%m-%dT%H:%M"), "duration": "60"}).status_code == 302
    cancel = reverse("scheduling:session_cancel", args=[family_session.pk])
    assert client.post(cancel, {"reason": ""}).status_code == 200
    assert client.post(cancel, {"reason": "Snow storm; we will offer a new time."}).status_code == 302
    family_session.refresh_from_db()
    assert (family_session.starts_at, family_session.status) == (new, FamilySession.Status.CANCELLED)


def test_family_sees_cancellation_reason_and_notice(login, counselor, family_session, family_member):
    login(counselor).post(
        reverse("scheduling:session_cancel", args=[family_session.pk]), {"reason": "Snow storm; new time soon."}
    )
    client = login(family_member)
    assert "Snow storm" in client.get(family_session.get_absolute_url()).content.decode()
    listing = client.get(reverse("scheduling:session_list")).content.decode()
    assert "Cancelled:" in listing
    client.post(reverse("scheduling:notices_read"))
    assert "Mark all as read" in client.get(reverse("scheduling:session_list")).content.decode()


def test_attendance_page_records_marks(login, counselor, family_session, time_machine):
    time_machine.move_to(family_session.starts_at + timedelta(minutes=70))
    client = login(counselor)
    url = reverse("scheduling:session_attendance", args=[family_session.pk])
    participants = list(family_session.participants.all())
    data = {f"attendance_{p.pk}": "late" for p in participants}
    assert client.post(url, data).status_code == 302
    assert set(family_session.participants.values_list("attendance", flat=True)) == {"late"}


def test_request_journey_request_confirm_rsvp_calendar(login, counselor, patient, family_member):
    Availability.objects.create(
        counselor=counselor, weekday=2, start_time=time(10), end_time=time(12), time_zone="America/New_York"
    )
    slot = open_slots(counselor_ids=[counselor.pk])[0]
    family = login(family_member)
    page = family.get(reverse("scheduling:request_create")).content.decode()
    assert slot.key in page
    response = family.post(reverse("scheduling:request_create"), {"slot": slot.key, "modality": "in_person"})
    asked = SessionRequest.objects.get()
    assert response["Location"] == asked.get_absolute_url()

    staff = login(counselor)
    assert "Confirm and book" in staff.get(asked.get_absolute_url()).content.decode()
    response = staff.post(
        reverse("scheduling:request_confirm", args=[asked.pk]), {"modality": "in_person", "location": "Room 1"}
    )
    session = FamilySession.objects.get()
    assert response["Location"] == session.get_absolute_url()

    family = login(family_member)
    family.post(reverse("scheduling:rsvp", args=[session.pk]), {"response": "accepted"})
    ics = family.get(reverse("scheduling:session_ics", args=[session.pk]))
    assert ics["Content-Type"].startswith("text/calendar")


def test_request_form_errors_are_shown(login, counselor, family_member):
    response = login(family_member).post(reverse("scheduling:request_create"), {"modality": "in_person"})
    assert response.status_code == 200
    assert "Choose one of the open times" in response.content.decode()


def test_decline_page_needs_a_message(login, counselor, patient, family_member):
    from scheduling.services import request_session

    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start(days=4)])
    client = login(counselor)
    url = reverse("scheduling:request_decline", args=[asked.pk])
    assert client.post(url, {"message": ""}).status_code == 400
    assert client.post(url, {"message": "Next week is full; try the week after."}).status_code == 302
    page = login(family_member).get(asked.get_absolute_url()).content.decode()
    assert "Next week is full" in page


def test_availability_page_adds_and_removes_hours(login, counselor):
    client = login(counselor)
    url = reverse("scheduling:availability")
    data = {
        "action": "add_hours",
        "weekday": "1",
        "start_time": "18:00",
        "end_time": "20:00",
        "time_zone": "America/New_York",
        "slot_minutes": "60",
    }
    assert client.post(url, data).status_code == 302
    row = Availability.objects.get(counselor=counselor)
    assert client.post(url, {**data, "time_zone": "Mars/Base"}).status_code == 200
    client.post(url, {"action": "delete_hours", "id": row.pk})
    assert not Availability.objects.exists()


def test_week_view_lists_sessions_by_day(login, counselor, family_session):
    local = family_session.starts_at.astimezone(ZoneInfo("America/New_York")).date()
    page = login(counselor).get(reverse("scheduling:week") + f"?week={local:%Y-%m-%d}").content.decode()
    assert family_session.get_absolute_url() in page


@pytest.mark.parametrize("week", ["not-a-date", "9999-12-31", "0001-01-01"])
def test_week_view_shows_this_week_and_says_why_for_a_bad_week(login, counselor, week):
    response = login(counselor).get(reverse("scheduling:week") + f"?week={week}")
    assert response.status_code == 400
    assert response.context["monday"] <= response.context["today"] <= response.context["days"][-1][0]
    assert 'role="alert"' in response.content.decode()


def _sessions(counselor, patient, member, count: int, start_index: int = 0) -> None:
    base = future_start(days=2)
    for i in range(start_index, start_index + count):
        book(counselor, patient, [member], starts_at=base + timedelta(hours=2 * i))


@pytest.mark.parametrize("persona", ["family_member", "counselor", "patient"])
def test_list_query_count_is_constant(
    login, request, django_assert_num_queries, counselor, patient, family_member, persona
):
    _sessions(counselor, patient, family_member, 1)
    book(counselor, None, starts_at=future_start(days=10))  # an education night in the mix
    client = login(request.getfixturevalue(persona))
    url = reverse("scheduling:session_list")
    client.get(url)  # warm caches (content types, program row on the user)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _sessions(counselor, patient, family_member, 19, start_index=1)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count("/sessions/") >= 20


def test_week_query_count_is_constant(login, django_assert_num_queries, counselor, patient, family_member):
    _sessions(counselor, patient, family_member, 1)
    local = future_start(days=2).astimezone(ZoneInfo("America/New_York")).date()
    url = reverse("scheduling:week") + f"?week={local:%Y-%m-%d}"
    client = login(counselor)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _sessions(counselor, patient, family_member, 19, start_index=1)
    with django_assert_num_queries(len(one)):
        client.get(url)


def test_feed_settings_shows_link_once_and_revokes(login, family_member):
    client = login(family_member)
    url = reverse("scheduling:feed_settings")
    assert "You have no calendar link" in client.get(url).content.decode()
    created = client.post(url, {"action": "create"}).content.decode()
    assert "/sessions/feed/" in created
    again = client.get(url).content.decode()
    assert "/sessions/feed/" not in again
    assert "Your calendar link is on" in again
    client.post(url, {"action": "revoke"})
    assert "You have no calendar link" in client.get(url).content.decode()


def test_the_feed_address_is_the_portals_own_whatever_host_the_request_named(settings, login, family_member):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    client = login(family_member)
    created = client.post(reverse("scheduling:feed_settings"), {"action": "create"}, HTTP_HOST="evil.example")
    page = created.content.decode()
    assert "https://portal.example.org/sessions/feed/" in page
    assert "evil.example" not in page


def test_time_inside_the_spring_forward_gap_is_a_form_error(login, counselor, family_session):
    url = reverse("scheduling:session_reschedule", args=[family_session.pk])
    before = family_session.starts_at
    response = login(counselor).post(url, {"starts_at": "2027-03-14T02:30", "duration": "60"})
    assert response.status_code == 400  # a refused form is a client error
    assert "errorlist" in response.content.decode()
    family_session.refresh_from_db()
    assert family_session.starts_at == before  # and nothing moved


def test_unexpected_query_parameters_are_ignored(login, family_member, family_session):
    response = login(family_member).get(reverse("scheduling:session_list"), {"_connector": "OR 1=1--", "order_by": "x"})
    assert response.status_code == 200
    assert family_session.get_absolute_url() in response.content.decode()
