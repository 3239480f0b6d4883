"""Series: weekly and biweekly rules across both daylight-saving changes in two zones, one-occurrence edits,
this-and-following splits, cancellation, and reminders on a rolling horizon without duplicates."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import Program, User
from notifications.models import OutboxMessage
from scheduling.models import FamilySession, Participant, SessionNotice, SessionSeries
from scheduling.recurrence import WeeklyRule
from scheduling.reminders import REMINDER_HORIZON, extend_series_reminders, plan_session_reminders
from scheduling.services import (
    cancel_following,
    cancel_session,
    change_following,
    reschedule_session,
    respond_rsvp,
    schedule_series,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 15, 15, 0, tzinfo=UTC)  # before both 2027 changes in America and Europe


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def local(program: Program, day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=program.tz)


def book_series(counselor: User, patient: User, members: list[User], first: datetime, **rule: Any) -> SessionSeries:
    rule.setdefault("every_weeks", 1)
    return schedule_series(
        actor=counselor,
        kind=FamilySession.Kind.FAMILY_THERAPY,
        starts_at=first,
        ends_at=first + timedelta(minutes=90),
        modality=FamilySession.Modality.IN_PERSON,
        location="Room 2",
        patient=patient,
        family_members=members,
        **rule,
    )


def occurrences(series: SessionSeries) -> list[FamilySession]:
    return list(FamilySession.objects.filter(series=series).order_by("occurrence_start"))


def reminder_rows(**filters: Any) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template_key="session_reminder", **filters))


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Madrid", "America/Los_Angeles"])
@pytest.mark.parametrize("every_weeks", [1, 2])
@pytest.mark.parametrize("first_day", [date(2027, 3, 1), date(2027, 10, 18)], ids=["spring", "autumn"])
def test_rule_keeps_local_wall_clock_across_dst(frozen, program, counselor, patient, zone, every_weeks, first_day):
    program.time_zone = zone
    program.save()
    counselor.program.refresh_from_db()
    series = book_series(counselor, patient, [], local(program, first_day), every_weeks=every_weeks, count=6)
    rows = occurrences(series)
    tz = zoneinfo.ZoneInfo(zone)
    assert series.time_zone == zone
    assert series.rule == f"FREQ=WEEKLY;INTERVAL={every_weeks};COUNT=6"
    assert len(rows) == 6
    assert {row.starts_at.astimezone(tz).time() for row in rows} == {time(18)}  # 6 PM stays 6 PM
    assert {row.ends_at.astimezone(tz).time() for row in rows} == {time(19, 30)}
    days = [row.starts_at.astimezone(tz).date() for row in rows]
    assert days == [first_day + timedelta(weeks=every_weeks * i) for i in range(6)]
    assert len({row.starts_at.astimezone(tz).utcoffset() for row in rows}) == 2  # the change is inside the series
    assert all(row.occurrence_start == row.starts_at for row in rows)


def test_until_date_includes_that_days_session(frozen, program, counselor, patient):
    series = book_series(counselor, patient, [], local(program, date(2027, 3, 2)), until=date(2027, 3, 30))
    assert [row.starts_at.astimezone(program.tz).day for row in occurrences(series)] == [2, 9, 16, 23, 30]
    assert WeeklyRule.parse(series.rule).until == datetime(2027, 3, 31, 3, 59, 59, tzinfo=UTC)  # 23:59:59 EDT


def test_occurrences_copy_participants_and_counselors(frozen, program, counselor, patient, family_member):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 3, 2)), count=4)
    for row in occurrences(series):
        assert set(row.participants.values_list("user_id", flat=True)) == {patient.pk, family_member.pk}
        assert list(row.counselors.all()) == [counselor]
    # one invitation for the whole series, for the first occurrence
    assert SessionNotice.objects.filter(kind=SessionNotice.Kind.INVITED).count() == 2


def test_a_conflict_on_any_occurrence_books_nothing(frozen, program, counselor, patient, family_member):
    busy = book_series(counselor, patient, [], local(program, date(2027, 3, 16)), count=2)
    before = (FamilySession.objects.count(), OutboxMessage.objects.count(), SessionNotice.objects.count())
    with pytest.raises(ValidationError, match="overlaps"):
        book_series(counselor, patient, [family_member], local(program, date(2027, 3, 2)), count=4)
    assert (FamilySession.objects.count(), OutboxMessage.objects.count(), SessionNotice.objects.count()) == before
    assert SessionSeries.objects.get() == busy


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"count": 1}, "between 2 and 52"),
        ({"count": 53}, "between 2 and 52"),
        ({"until": date(2027, 3, 3)}, "only one session"),
        ({"until": date(2029, 3, 3)}, "at most 52"),
        ({"every_weeks": 3, "count": 4}, "every two weeks"),
        ({}, "how many times"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(frozen, program, counselor, patient, rule, message):
    with pytest.raises(ValidationError, match=message):
        book_series(counselor, patient, [], local(program, date(2027, 3, 2)), **rule)
    assert not FamilySession.objects.exists()
    assert not SessionSeries.objects.exists()


def test_reminders_follow_a_rolling_horizon_without_duplicates(frozen, program, counselor, patient, family_member):
    first = local(program, (NOW + timedelta(days=2)).date())
    series = book_series(counselor, patient, [family_member], first, count=10)
    rows = occurrences(series)
    planned = {row.subject for row in rows if reminder_rows(subject=row.subject)}
    assert planned == {row.subject for row in rows if row.starts_at <= NOW + REMINDER_HORIZON}
    assert len(planned) == 2  # not all ten at once
    before = len(reminder_rows())
    assert extend_series_reminders(NOW) == 0  # already planned to the horizon: nothing to do
    for row in rows[:2]:
        plan_session_reminders(row)  # planning again reuses the idempotency keys
    assert len(reminder_rows()) == before
    frozen.move_to(NOW + timedelta(days=7))
    assert extend_series_reminders(NOW + timedelta(days=7)) == 1
    assert extend_series_reminders(NOW + timedelta(days=7)) == 0
    now_planned = {row.subject for row in rows if reminder_rows(subject=row.subject)}
    assert now_planned == {row.subject for row in rows if row.starts_at <= NOW + timedelta(days=7) + REMINDER_HORIZON}
    keys = [row.idempotency_key for row in reminder_rows()]
    assert len(keys) == len(set(keys))
    for row in rows[3:]:
        assert not reminder_rows(subject=row.subject)


def test_one_occurrence_moved_or_cancelled_stays_in_its_series(frozen, program, counselor, patient, family_member):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 17)), count=4)
    second, third = occurrences(series)[1:3]
    rule_start = second.starts_at
    reschedule_session(actor=counselor, session=second, starts_at=rule_start + timedelta(hours=1),
                       ends_at=rule_start + timedelta(hours=2, minutes=30))  # fmt: skip
    cancel_session(actor=counselor, session=third, reason="Room closed")
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.series_id, second.occurrence_start, second.sequence) == (series.pk, rule_start, 1)
    assert third.series_id == series.pk and third.status == FamilySession.Status.CANCELLED
    others = [row for row in occurrences(series) if row.pk not in (second.pk, third.pk)]
    assert all(row.is_scheduled and row.sequence == 0 for row in others)
    assert reminder_rows(subject=second.subject, state=OutboxMessage.State.QUEUED)
    assert all(r.context["starts_at"] == second.starts_at.isoformat() for r in reminder_rows(
        subject=second.subject, state=OutboxMessage.State.QUEUED))  # fmt: skip
    assert not reminder_rows(subject=third.subject, state=OutboxMessage.State.QUEUED)


def test_this_and_following_splits_the_series(frozen, program, counselor, patient, family_member):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=6)
    rows = occurrences(series)
    respond_rsvp(user=family_member, session=rows[2], response=Participant.Rsvp.DECLINED)
    cancel_session(actor=counselor, session=rows[3], reason="Holiday")
    old_reminders = {r.pk for r in reminder_rows(subject=rows[1].subject, state=OutboxMessage.State.QUEUED)}
    assert old_reminders
    new_start = local(program, date(2027, 2, 24), hour=19)  # Wednesday 7 PM instead of Tuesday 6 PM
    new_series = change_following(actor=counselor, session=rows[1], starts_at=new_start,
                                  ends_at=new_start + timedelta(hours=1))  # fmt: skip
    series.refresh_from_db()
    assert new_series.pk != series.pk and new_series.split_from == series
    assert [r.pk for r in occurrences(series)] == [rows[0].pk]
    assert len(series.occurrence_starts()) == 1 and "UNTIL=" in series.rule and series.sequence == 1
    moved = occurrences(new_series)
    assert [r.pk for r in moved] == [r.pk for r in rows[1:]]
    assert new_series.rule == "FREQ=WEEKLY;INTERVAL=1;COUNT=5"
    for index, row in enumerate(moved):
        local_start = row.starts_at.astimezone(program.tz)
        assert local_start.date() == date(2027, 2, 24) + timedelta(weeks=index)
        assert local_start.time() == time(19) and row.duration_minutes == 60  # also after the March change
        assert row.occurrence_start == row.starts_at and row.sequence >= 1
    assert moved[1].participants.get(user=family_member).rsvp == Participant.Rsvp.DECLINED  # RSVP stays
    assert moved[2].status == FamilySession.Status.CANCELLED  # cancelled stays cancelled
    assert not OutboxMessage.objects.filter(pk__in=old_reminders, state=OutboxMessage.State.QUEUED).exists()
    fresh = reminder_rows(subject=moved[0].subject, state=OutboxMessage.State.QUEUED)
    assert fresh and {r.context["starts_at"] for r in fresh} == {moved[0].starts_at.isoformat()}
    assert not reminder_rows(subject=moved[4].subject)  # beyond the horizon: planned later
    assert SessionNotice.objects.filter(kind=SessionNotice.Kind.RESCHEDULED).count() == 2  # once, not per row
    rows[0].refresh_from_db()
    assert rows[0].series_id == series.pk and rows[0].sequence == 0


def test_changing_from_the_first_occurrence_changes_the_whole_series(frozen, program, counselor, patient):
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), every_weeks=2, count=3)
    first = occurrences(series)[0]
    new_start = local(program, date(2027, 2, 18), hour=17)
    assert change_following(actor=counselor, session=first, starts_at=new_start,
                            ends_at=new_start + timedelta(hours=1)) == series  # fmt: skip
    assert SessionSeries.objects.count() == 1
    days = [row.starts_at.astimezone(program.tz).date() for row in occurrences(series)]
    assert days == [date(2027, 2, 18), date(2027, 3, 4), date(2027, 3, 18)]


def test_split_refuses_an_overlap_and_changes_nothing(frozen, program, counselor, patient):
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), count=4)
    book_series(counselor, patient, [], local(program, date(2027, 3, 3), hour=19), count=2)
    rows = occurrences(series)
    new_start = local(program, date(2027, 2, 24), hour=19)
    with pytest.raises(ValidationError, match="overlaps"):
        change_following(actor=counselor, session=rows[1], starts_at=new_start, ends_at=new_start + timedelta(hours=1))
    assert [r.starts_at for r in occurrences(series)] == [r.starts_at for r in rows]
    assert SessionSeries.objects.count() == 2


def test_cancel_this_and_following_then_the_whole_series(frozen, program, counselor, patient, family_member):
    series = book_series(counselor, patient, [family_member], local(program, date(2027, 2, 16)), count=5)
    rows = occurrences(series)
    assert cancel_following(actor=counselor, session=rows[3], reason="Group ends early") == 2
    statuses = [row.status for row in occurrences(series)]
    assert statuses == ["scheduled"] * 3 + ["cancelled"] * 2
    assert not reminder_rows(subject=rows[3].subject, state=OutboxMessage.State.QUEUED)
    assert SessionNotice.objects.filter(kind=SessionNotice.Kind.CANCELLED).count() == 4  # 2 people x 2 sessions
    emails = OutboxMessage.objects.filter(template_key="session_cancelled")
    assert set(emails.values_list("subject", flat=True)) == {rows[3].subject}  # one message each, not per row
    assert cancel_following(actor=counselor, session=rows[0], reason="Program closed", whole_series=True) == 3
    assert {row.status for row in occurrences(series)} == {"cancelled"}
    assert not reminder_rows(state=OutboxMessage.State.QUEUED)
    with pytest.raises(ValidationError, match="No future session"):
        cancel_following(actor=counselor, session=rows[0], reason="Again", whole_series=True)


def test_cancel_needs_a_reason(frozen, program, counselor, patient):
    series = book_series(counselor, patient, [], local(program, date(2027, 2, 16)), count=2)
    with pytest.raises(ValidationError):
        cancel_following(actor=counselor, session=occurrences(series)[0], reason="  ")
    assert {row.status for row in occurrences(series)} == {"scheduled"}


def test_a_multi_family_group_series_invites_the_families_once(frozen, program, counselor, patient, other_patient,
                                                               family_member):  # fmt: skip
    from tests.support import personas

    personas.assign(counselor, other_patient)
    other_member = personas.make_user("otto2@example.org", User.Role.FAMILY, None, full_name="Otto Two")
    personas.consent_for(other_patient, other_member)
    first = local(program, date(2027, 2, 16))
    series = schedule_series(
        actor=counselor,
        every_weeks=2,
        count=3,
        patients=[patient, other_patient],
        title="Family night",
        starts_at=first,
        ends_at=first + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Hall",
    )
    rows = occurrences(series)
    assert {row.kind for row in rows} == {FamilySession.Kind.MULTI_FAMILY_GROUP} and len(rows) == 3
    expected = {(family_member.pk, patient.pk), (other_member.pk, other_patient.pk)}
    for row in rows:
        assert set(row.participants.values_list("user_id", "via_patient_id")) == expected
    invited = OutboxMessage.objects.filter(template_key="session_invited")
    assert set(invited.values_list("subject", flat=True)) == {rows[0].subject}


def test_an_open_education_night_series(frozen, program, counselor):
    first = local(program, date(2027, 2, 18))
    series = schedule_series(
        actor=counselor,
        every_weeks=1,
        until=date(2027, 3, 11),
        kind=FamilySession.Kind.EDUCATION_NIGHT,
        title="Education night",
        starts_at=first,
        ends_at=first + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Hall",
    )
    assert len(occurrences(series)) == 4
    assert all(row.patient_id is None and row.title == "Education night" for row in occurrences(series))


def test_the_invitation_email_says_how_the_series_repeats(frozen, program, counselor, patient, family_member):
    from django.utils import translation

    from notifications.rendering import render_email

    book_series(counselor, patient, [family_member], local(program, date(2027, 3, 2)), every_weeks=2, count=5)
    row = OutboxMessage.objects.get(template_key="session_invited", recipient=family_member, channel="email")
    _subject, body = render_email(row.template_key, row.context)
    assert "It repeats every two weeks, 5 times in all." in body
    with translation.override("es"):
        _subject, spanish = render_email(row.template_key, row.context)
    assert "Se repite cada dos semanas, 5 veces en total." in spanish
