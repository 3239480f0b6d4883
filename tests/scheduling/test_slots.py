"""Weekly availability keeps its wall-clock time across US daylight-saving changes; open slots exclude
bookings, held requests and time off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import Availability, AvailabilityException, SessionRequest
from scheduling.services import confirm_request, request_session
from scheduling.slots import availability_slots, open_slots, wall_clock_to_utc
from tests.scheduling.conftest import book

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
SPRING_FORWARD = date(2027, 3, 14)  # 2:00 → 3:00 AM
FALL_BACK = date(2027, 11, 7)  # 2:00 → 1:00 AM


def weekly(counselor, weekday: int, start: time, end: time, tz: str = "America/New_York", minutes: int = 60):
    return Availability.objects.create(
        counselor=counselor, weekday=weekday, start_time=start, end_time=end, time_zone=tz, slot_minutes=minutes
    )


def test_weekly_hours_keep_wall_clock_across_spring_forward(counselor):
    tuesday_evenings = weekly(counselor, 1, time(18), time(19))
    slots = availability_slots(tuesday_evenings, date(2027, 3, 1), date(2027, 3, 21))
    assert [s.starts_at.astimezone(NEW_YORK).time() for s in slots] == [time(18)] * 3
    assert [s.starts_at.astimezone(UTC).hour for s in slots] == [23, 23, 22]  # EST, EST, then EDT


def test_weekly_hours_keep_wall_clock_across_fall_back(counselor):
    tuesday_evenings = weekly(counselor, 1, time(18), time(19))
    slots = availability_slots(tuesday_evenings, date(2027, 10, 25), date(2027, 11, 14))
    assert [s.starts_at.astimezone(NEW_YORK).time() for s in slots] == [time(18)] * 3
    assert [s.starts_at.astimezone(UTC).hour for s in slots] == [22, 22, 23]  # EDT, EDT, then EST
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in slots)


def test_time_in_the_spring_forward_gap_is_skipped(counselor):
    sunday_night = weekly(counselor, 6, time(1), time(4))
    slots = availability_slots(sunday_night, SPRING_FORWARD, SPRING_FORWARD)
    local_starts = [s.starts_at.astimezone(NEW_YORK).time() for s in slots]
    assert time(2) not in local_starts
    assert wall_clock_to_utc(SPRING_FORWARD, time(2, 30), NEW_YORK) is None


def test_ambiguous_fall_back_time_takes_first_occurrence():
    first = wall_clock_to_utc(FALL_BACK, time(1, 30), NEW_YORK)
    assert first == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 1:30 EDT, not 1:30 EST


def test_open_slots_across_dst_stay_at_six_pm(counselor):
    weekly(counselor, 1, time(18), time(20))
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    slots = open_slots(counselor_ids=[counselor.pk], now=now)
    assert {s.starts_at.astimezone(NEW_YORK).time() for s in slots} == {time(18), time(19)}
    assert len(slots) == 6


def test_viewer_in_another_time_zone_sees_correct_local_times(counselor):
    weekly(counselor, 1, time(18), time(19))
    slots = open_slots(counselor_ids=[counselor.pk], now=datetime(2027, 3, 1, 12, tzinfo=UTC))
    london = [s.starts_at.astimezone(ZoneInfo("Europe/London")).time() for s in slots]
    # London moves to summer time later (28 March), so the gap between the cities shrinks for a while.
    assert london == [time(23), time(23), time(22)]


def test_open_slots_exclude_bookings_holds_and_time_off(counselor, patient, family_member):
    weekly(counselor, 0, time(9), time(17))
    weekly(counselor, 1, time(9), time(17))
    weekly(counselor, 2, time(9), time(17))
    slots = open_slots(counselor_ids=[counselor.pk])
    booked, held, away = slots[0], slots[3], slots[6]
    book(counselor, patient, starts_at=booked.starts_at)
    request_session(requester=family_member, patient=patient, slot_key=held.key)
    AvailabilityException.objects.create(counselor=counselor, starts_at=away.starts_at, ends_at=away.ends_at)
    remaining = open_slots(counselor_ids=[counselor.pk])
    assert booked not in remaining
    assert held not in remaining
    assert away not in remaining
    assert len(remaining) == len(slots) - 3


def test_same_slot_cannot_be_requested_twice(counselor, patient, family_member, program):
    from tests.support import personas

    sibling = personas.make_user("sib@example.org", "family", None)
    personas.consent_for(patient, sibling)
    weekly(counselor, 3, time(10), time(11))
    slot = open_slots(counselor_ids=[counselor.pk])[0]
    request_session(requester=family_member, patient=patient, slot_key=slot.key)
    with pytest.raises(ValidationError, match="taken"):
        request_session(requester=sibling, patient=patient, slot_key=slot.key)


def test_slot_of_another_counselor_is_refused(counselor, unassigned_counselor, patient, family_member):
    weekly(unassigned_counselor, 3, time(10), time(11))
    slot = open_slots(counselor_ids=[unassigned_counselor.pk])[0]
    with pytest.raises(ValidationError):
        request_session(requester=family_member, patient=patient, slot_key=slot.key)


def test_confirming_a_held_slot_books_it(counselor, patient, family_member):
    weekly(counselor, 4, time(10), time(12))
    slot = open_slots(counselor_ids=[counselor.pk])[0]
    asked = request_session(requester=family_member, patient=patient, slot_key=slot.key)
    session = confirm_request(actor=counselor, session_request=asked, location="Room 1")
    assert (session.starts_at, session.ends_at) == (slot.starts_at, slot.ends_at)
    assert SessionRequest.objects.get(pk=asked.pk).status == SessionRequest.Status.CONFIRMED
    assert slot not in open_slots(counselor_ids=[counselor.pk])
