"""Evening and weekend hours (issue 19, item 5): a counselor offers weekend days and evenings until 10 PM in the
program's time zone; a family asking for a session sees those times in their own zone, across daylight-saving
changes that fall on different dates in the two zones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.models import User
from scheduling.forms import AvailabilityForm
from scheduling.models import Availability, SessionRequest
from scheduling.services import confirm_request
from tests.support import personas

pytestmark = pytest.mark.django_db

NEW_YORK, LONDON, LOS_ANGELES = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("America/Los_Angeles")
# Monday 25 October 2027: London leaves summer time on Sunday 31 October, New York a week later (7 November).
MONDAY_BEFORE_THE_CHANGES = datetime(2027, 10, 25, 12, tzinfo=UTC)
SATURDAY = 5


def hours_form(**values: str) -> AvailabilityForm:
    data = {"weekday": "5", "start_time": "18:00", "end_time": "22:00", "time_zone": "America/New_York"}
    data.update(values)
    data.setdefault("slot_minutes", "60")
    return AvailabilityForm(data)


@pytest.mark.parametrize("weekday", ["5", "6"])
def test_weekend_evening_hours_until_ten_are_accepted(weekday):
    assert hours_form(weekday=weekday).is_valid()


@pytest.mark.parametrize("end", ["22:01", "22:30", "23:59"])
def test_hours_past_ten_pm_are_refused(end):
    form = hours_form(end_time=end)
    assert not form.is_valid()
    assert "10:00 PM" in str(form.errors["end_time"])


def test_the_hours_page_offers_the_programs_zone_and_marks_evenings_and_weekends(login, counselor, program):
    counselor.time_zone = "America/Denver"  # the counselor's own zone does not become the hours' zone
    counselor.save(update_fields=["time_zone"])
    client = login(counselor)
    page = client.get(reverse("scheduling:availability"))
    assert page.context["hours_form"].initial["time_zone"] == program.time_zone
    client.post(
        reverse("scheduling:availability"),
        {"action": "add_hours", "weekday": "6", "start_time": "19:00", "end_time": "21:00"}
        | {"time_zone": program.time_zone, "slot_minutes": "60"},
    )
    row = Availability.objects.get(counselor=counselor)
    assert (row.weekday, row.end_time, row.time_zone) == (6, time(21), "America/New_York")
    listed = client.get(reverse("scheduling:availability")).content.decode()
    assert "Weekend" in listed and "Evening" in listed
    refused = client.post(
        reverse("scheduling:availability"),
        {"action": "add_hours", "weekday": "6", "start_time": "20:00", "end_time": "23:00"}
        | {"time_zone": program.time_zone, "slot_minutes": "60"},
    )
    assert refused.status_code == 200 and Availability.objects.filter(counselor=counselor).count() == 1


@pytest.fixture
def before_the_changes() -> Iterator[None]:
    with time_machine.travel(MONDAY_BEFORE_THE_CHANGES, tick=False):
        yield


@pytest.fixture
def saturday_evenings(before_the_changes, counselor) -> Availability:
    """Saturdays 7 to 9 PM in New York, the program's zone: three Saturdays in the next three weeks."""
    return Availability.objects.create(
        counselor=counselor,
        weekday=SATURDAY,
        start_time=time(19),
        end_time=time(21),
        time_zone="America/New_York",
        slot_minutes=60,
    )


def family_in(zone: str, patient: User, email: str = "far@example.org") -> User:
    member = personas.make_user(email, User.Role.FAMILY, None, full_name="Fay Faraway", time_zone=zone)
    personas.consent_for(patient, member, days=3650)
    return member


def shown_slots(client, patient: User) -> list[tuple[date, list[str]]]:
    """The request page's days and times, as the family reads them."""
    response = client.get(reverse("scheduling:request_create"))
    assert response.status_code == 200
    zone = response.context["tz"]
    with timezone.override(zone):  # as the page groups them while it renders
        days = response.context["form"].slots_by_day()
    shown = [
        (day, [slot.starts_at.astimezone(zone).strftime("%H:%M") for slot, _radio, _n in entries])
        for day, entries, _open in days
    ]
    page = response.content.decode()
    for day, entries, _open in days:
        assert date_format(day, "WEEKDAY_DATE_FORMAT") in page  # the heading the page gives the day
        for slot, _radio, _name in entries:
            assert f'value="{slot.key}"' in page
    return shown


def test_a_family_in_london_sees_new_york_saturday_evenings_in_london_time_across_both_changes(
    saturday_evenings, login, patient
):
    client = login(family_in("Europe/London", patient))
    # 7 PM in New York is midnight in London while both keep summer time, 11 PM in the week between the two
    # changes, and midnight again once New York has changed too: the day a family sees moves with it.
    assert shown_slots(client, patient) == [
        (date(2027, 10, 31), ["00:00", "01:00"]),
        (date(2027, 11, 6), ["23:00"]),
        (date(2027, 11, 7), ["00:00"]),
        (date(2027, 11, 14), ["00:00", "01:00"]),
    ]
    page = client.get(reverse("scheduling:request_create")).content.decode()
    assert "Europe/London" in page


def test_new_york_and_los_angeles_families_see_the_same_wall_clock_every_saturday(saturday_evenings, login, patient):
    in_new_york = login(family_in("America/New_York", patient, "ny@example.org"))
    assert shown_slots(in_new_york, patient) == [
        (date(2027, 10, 30), ["19:00", "20:00"]),
        (date(2027, 11, 6), ["19:00", "20:00"]),
        (date(2027, 11, 13), ["19:00", "20:00"]),  # after New York's change: still 7 PM
    ]
    in_los_angeles = login(family_in("America/Los_Angeles", patient, "la@example.org"))
    assert [times for _day, times in shown_slots(in_los_angeles, patient)] == [["16:00", "17:00"]] * 3


def test_a_requested_evening_slot_books_the_session_at_that_instant(saturday_evenings, login, patient, counselor):
    member = family_in("Europe/London", patient)
    client = login(member)
    form = client.get(reverse("scheduling:request_create")).context["form"]
    chosen = form.slots[2]  # Saturday 6 November, 7 PM in New York, 11 PM in London
    client.post(reverse("scheduling:request_create"), {"slot": chosen.key, "modality": "in_person"})
    asked = SessionRequest.objects.get(requested_by=member)
    session = confirm_request(actor=counselor, session_request=asked, location="Room 1")
    assert session.starts_at.astimezone(NEW_YORK) == datetime(2027, 11, 6, 19, tzinfo=NEW_YORK)
    assert session.starts_at.astimezone(LONDON).hour == 23
    page = client.get(session.get_absolute_url()).content.decode()
    assert "11:00 PM" in page or "11:00 p.m." in page


def test_request_page_query_count_is_constant_as_hours_grow(
    saturday_evenings, login, patient, counselor, django_assert_num_queries
):
    client = login(family_in("Europe/London", patient))
    url = reverse("scheduling:request_create")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for weekday in range(7):
        Availability.objects.create(
            counselor=counselor, weekday=weekday, start_time=time(8), end_time=time(22), time_zone="America/New_York"
        )
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["form"].slots) > 100


def test_the_ten_pm_rule_reads_in_spanish():
    with translation.override("es"):
        form = hours_form(end_time="22:30")
        assert not form.is_valid()
        assert "a más tardar a las 10:00 p.m." in str(form.errors["end_time"])
