"""Series pages: the booking form's "Repeat" part, the series actions, the .ics and the feed (RRULE, EXDATE,
RECURRENCE-ID, neutral wording), form errors that write nothing, and query counts that stay flat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from accounts.models import Program, User
from notifications.periodic import _periodic
from scheduling.models import FamilySession, SessionSeries
from scheduling.reminders import run_series_reminders
from scheduling.services import cancel_session, issue_calendar_feed, remove_participant, reschedule_session
from tests.scheduling.test_calendar import assert_neutral
from tests.scheduling.test_series import book_series, local, occurrences

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 15, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example.org"


def form_data(**repeat: Any) -> dict[str, Any]:
    data = {
        "kind": "family_therapy",
        "starts_at": "2027-03-02T18:00",
        "duration": "90",
        "modality": "in_person",
        "location": "Room 2",
        "include_patient": "on",
    }
    data.update({f"repeat-{key}": value for key, value in repeat.items()})
    return data


def create_url(patient: User) -> str:
    return reverse("scheduling:session_create") + f"?patient={patient.pk}"


def components(body: bytes, name: str = "VEVENT") -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == name]


def test_booking_form_books_a_weekly_series(login, counselor, patient, family_member):
    data = form_data(frequency="1", ends="count", count="10")
    data["family_members"] = [family_member.pk]
    response = login(counselor).post(create_url(patient), data)
    series = SessionSeries.objects.get()
    rows = occurrences(series)
    assert response.status_code == 302 and response["Location"] == rows[0].get_absolute_url()
    assert series.rule == "FREQ=WEEKLY;INTERVAL=1;COUNT=10" and len(rows) == 10
    assert {row.starts_at.astimezone(series.tz).hour for row in rows} == {18}


def test_booking_form_books_a_biweekly_series_until_a_date(login, counselor, patient):
    response = login(counselor).post(create_url(patient), form_data(frequency="2", ends="until", until="2027-04-13"))
    assert response.status_code == 302
    series = SessionSeries.objects.get()
    assert series.weekly_rule.interval == 2
    assert [r.starts_at.astimezone(series.tz).date() for r in occurrences(series)] == [
        date(2027, 3, 2), date(2027, 3, 16), date(2027, 3, 30), date(2027, 4, 13)
    ]  # fmt: skip


def test_no_repeat_books_one_session(login, counselor, patient):
    response = login(counselor).post(create_url(patient), form_data(frequency="0"))
    assert response.status_code == 302
    assert FamilySession.objects.count() == 1 and not SessionSeries.objects.exists()


@pytest.mark.parametrize(
    ("repeat", "message"),
    [
        ({"frequency": "1", "ends": "count", "count": ""}, "Say how many sessions, from 2 to 52."),
        ({"frequency": "1", "ends": "count", "count": "99"}, "less than or equal to 52"),
        ({"frequency": "1", "ends": "until", "until": ""}, "Choose the date of the last session."),
        ({"frequency": "1", "ends": "until", "until": "2027-03-03"}, "The end date leaves only one session."),
        ({"frequency": "1", "ends": "until", "until": "2030-01-01"}, "A series has at most 52 sessions."),
        ({"frequency": "5", "ends": "count", "count": "3"}, "Select a valid choice."),
    ],
)
def test_bad_repeat_input_is_a_form_error_and_writes_nothing(login, counselor, patient, repeat, message):
    response = login(counselor).post(create_url(patient), form_data(**repeat))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode() or "errorlist" in response.content.decode()
    assert not FamilySession.objects.exists() and not SessionSeries.objects.exists()


def test_an_overlap_in_the_series_is_a_form_error(login, counselor, patient, program):
    book_series(counselor, patient, [], local(program, date(2027, 3, 16)), count=2)
    response = login(counselor).post(create_url(patient), form_data(frequency="1", ends="count", count="4"))
    assert "overlaps another session or time off. Nothing was booked." in response.content.decode()
    assert SessionSeries.objects.count() == 1


def test_the_form_has_an_accessible_repeat_section(login, counselor, patient):
    page = login(counselor).get(create_url(patient)).content.decode()
    assert "<legend>Repeat</legend>" in page
    assert 'name="repeat-frequency"' in page and 'type="date"' in page and 'name="repeat-count"' in page
    assert '<label for="id_repeat-count"' in page


def test_session_page_offers_the_series_actions(login, counselor, patient, family_member, program):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=4)
    first = occurrences(series)[0]
    page = login(counselor).get(first.get_absolute_url()).content.decode()
    assert "Part of a series: Every week, 4 times" in page
    assert reverse("scheduling:series_change", args=[first.pk]) in page
    assert "Change this session only" in page and "Cancel this session only" in page
    assert reverse("scheduling:series_cancel", args=[first.pk]) in page
    family_page = login(family_member).get(first.get_absolute_url()).content.decode()
    assert "Every week, 4 times" in family_page
    assert reverse("scheduling:series_change", args=[first.pk]) not in family_page


def test_series_change_page_moves_this_and_following(login, counselor, patient, program):
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), count=4)
    second = occurrences(series)[1]
    client = login(counselor)
    assert client.get(reverse("scheduling:series_change", args=[second.pk])).status_code == 200
    response = client.post(
        reverse("scheduling:series_change", args=[second.pk]), {"starts_at": "2027-02-24T19:00", "duration": "60"}
    )
    assert response.status_code == 302
    assert SessionSeries.objects.count() == 2
    second.refresh_from_db()
    assert second.starts_at.astimezone(program.tz).hour == 19


def test_series_change_errors_are_shown_and_change_nothing(login, counselor, patient, program):
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), count=3)
    second = occurrences(series)[1]
    url = reverse("scheduling:series_change", args=[second.pk])
    response = login(counselor).post(url, {"starts_at": "2020-01-01T19:00", "duration": "60"})
    assert response.status_code == 400
    assert "Choose a time in the future." in response.content.decode()
    response = login(counselor).post(url, {"starts_at": "not a time", "duration": "60"})
    assert response.status_code == 400
    assert [r.starts_at for r in occurrences(series)] == [r.starts_at for r in occurrences(series)]
    assert SessionSeries.objects.count() == 1 and series.occurrences.filter(sequence=0).count() == 3


def test_series_cancel_page(login, counselor, patient, program):
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), count=4)
    third = occurrences(series)[2]
    url = reverse("scheduling:series_cancel", args=[third.pk])
    client = login(counselor)
    response = client.post(url, {"scope": "following", "reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(url, {"scope": "following", "reason": "The group ends early"}, follow=True)
    assert "2 sessions are cancelled." in response.content.decode()
    assert [r.status for r in occurrences(series)] == ["scheduled", "scheduled", "cancelled", "cancelled"]
    client.post(url, {"scope": "all", "reason": "Closed"})
    assert {r.status for r in occurrences(series)} == {"cancelled"}


def test_series_pages_are_404_for_others(login, counselor, unassigned_counselor, family_member, patient, program):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=2)
    first = occurrences(series)[0]
    single = FamilySession.objects.create(
        program=program, patient=patient, starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=30, hours=1),
        location="Room", created_by=counselor,
    )  # fmt: skip
    single.counselors.add(counselor)
    for name in ("series_change", "series_cancel"):
        assert login(unassigned_counselor).get(reverse(f"scheduling:{name}", args=[first.pk])).status_code == 404
        assert login(family_member).get(reverse(f"scheduling:{name}", args=[first.pk])).status_code == 404
        assert login(counselor).get(reverse(f"scheduling:{name}", args=[single.pk])).status_code == 404


def test_ics_and_feed_carry_rrule_exdate_and_recurrence_id(login, client, counselor, patient, family_member, program):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=5)
    rows = occurrences(series)
    reschedule_session(actor=counselor, session=rows[1], starts_at=rows[1].starts_at + timedelta(hours=1),
                       ends_at=rows[1].ends_at + timedelta(hours=1))  # fmt: skip
    cancel_session(actor=counselor, session=rows[2], reason="Holiday")
    remove_participant(actor=counselor, participant=rows[3].participants.get(user=family_member))
    token = issue_calendar_feed(user=family_member)
    feed = client.get(reverse("scheduling:calendar_feed", args=[token])).content
    download = login(family_member).get(reverse("scheduling:session_ics", args=[rows[0].pk])).content
    for body in (feed, download):
        master, override = components(body)
        assert str(master["UID"]) == str(override["UID"]) == f"series-{series.pk}@portal.example.org"
        assert dict(master["RRULE"]) == {"FREQ": ["WEEKLY"], "INTERVAL": [1], "COUNT": [5]}
        assert master.decoded("DTSTART") == rows[0].starts_at
        assert str(master["DTSTART"].params["TZID"]) == "America/New_York"
        excluded = {d.dt for d in master["EXDATE"].dts}
        assert excluded == {rows[2].occurrence_start, rows[3].occurrence_start}  # cancelled; not taking part
        assert override.decoded("RECURRENCE-ID") == rows[1].occurrence_start
        assert override.decoded("DTSTART") == rows[1].starts_at + timedelta(hours=1)
        assert str(master["SUMMARY"]) == str(override["SUMMARY"]) == "Appointment"
        assert master["SEQUENCE"] == 1  # a change to one occurrence is a new revision of the recurring event
        assert components(body, "VTIMEZONE")
        assert_neutral(body, patient, program, counselor)
    staff_body = login(counselor).get(reverse("scheduling:session_ics", args=[rows[0].pk])).content
    staff_master = components(staff_body)[0]
    assert {d.dt for d in staff_master["EXDATE"].dts} == {rows[2].occurrence_start}  # the counselor leads all


def test_feed_says_a_fully_cancelled_series_is_cancelled(client, counselor, patient, family_member, program):
    from scheduling.services import cancel_following

    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=2)
    cancel_following(actor=counselor, session=occurrences(series)[0], reason="Closed", whole_series=True)
    token = issue_calendar_feed(user=family_member)
    (master,) = components(client.get(reverse("scheduling:calendar_feed", args=[token])).content)
    assert str(master["STATUS"]) == "CANCELLED" and master["SEQUENCE"] == 1


def test_the_worker_runs_the_series_reminder_horizon():
    assert run_series_reminders in _periodic


def _queries(client: Any, url: str) -> int:
    client.get(url)  # warm the per-process caches (content types, the signed-in user's first page)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_series_pages_query_counts_are_constant(login, client, counselor, patient, family_member, program: Program):
    def measure(count: int, day: date) -> list[int]:
        series = book_series(counselor, patient, [family_member], local(program, day), count=count)
        first = occurrences(series)[0]
        cancel_session(actor=counselor, session=occurrences(series)[1], reason="Holiday")
        staff, family = login(counselor), login(family_member, client.__class__())
        token = issue_calendar_feed(user=family_member)
        return [
            _queries(staff, first.get_absolute_url()),
            _queries(staff, reverse("scheduling:series_change", args=[first.pk])),
            _queries(staff, reverse("scheduling:series_cancel", args=[first.pk])),
            _queries(staff, reverse("scheduling:session_ics", args=[first.pk])),
            _queries(family, first.get_absolute_url()),
            _queries(family, reverse("scheduling:session_ics", args=[first.pk])),
            _queries(client.__class__(), reverse("scheduling:calendar_feed", args=[token])),
        ]

    small = measure(3, date(2027, 2, 16))
    FamilySession.objects.all().delete()
    SessionSeries.objects.all().delete()
    large = measure(20, date(2027, 2, 17))
    assert small == large


def test_series_form_pages_and_errors_are_in_spanish(login, counselor, patient, program):
    counselor.preferred_language = "es"
    counselor.save(update_fields=["preferred_language"])
    client = login(counselor)
    page = client.get(create_url(patient), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for text in ["<legend>Repetir</legend>", "No se repite", "Cada dos semanas", "Número de sesiones"]:
        assert text in page, text
    refused = client.post(
        create_url(patient), form_data(frequency="1", ends="count", count=""), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Indique cuántas sesiones, de 2 a 52." in refused
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), count=4)
    first = occurrences(series)[0]
    detail = client.get(first.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Forma parte de una serie: Cada semana, 4 veces" in detail
    assert "Cambiar esta y las siguientes" in detail
    cancel_page = client.get(reverse("scheduling:series_cancel", args=[first.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Todas las sesiones futuras de la serie" in cancel_page.content.decode()


def test_inviting_to_this_and_the_following_sessions(login, counselor, patient, family_member, program):
    from notifications.models import OutboxMessage
    from tests.support import personas

    aunt = personas.make_user("aunt@example.org", User.Role.FAMILY, None, full_name="Ana Aunt")
    personas.consent_for(patient, aunt)
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=4)
    rows = occurrences(series)
    client = login(counselor)
    page = client.get(rows[1].get_absolute_url()).content.decode()
    assert "Also invite them to the following sessions of the series" in page
    response = client.post(
        reverse("scheduling:session_invite", args=[rows[1].pk]), {"members": [aunt.pk], "following": "on"}, follow=True
    )
    assert "Invited 1 more person." in response.content.decode()
    invited = [row.participants.current().filter(user=aunt).exists() for row in rows]
    assert invited == [False, True, True, True]
    assert OutboxMessage.objects.filter(recipient=aunt, template_key="session_invited").count() == 1
    reminded = {r.subject for r in OutboxMessage.objects.filter(recipient=aunt, template_key="session_reminder")}
    assert reminded == {row.subject for row in rows[1:] if row.starts_at <= series.reminders_planned_until}
    client.post(reverse("scheduling:session_invite", args=[rows[0].pk]), {"members": [aunt.pk]})
    assert rows[0].participants.current().filter(user=aunt).exists()  # without the box: this session only
