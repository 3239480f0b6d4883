"""Calendar files (.ics) with neutral content: the title is "Appointment" and the only detail is a link that
needs a login. No patient name, program name, counselor name, place or clinical word ever enters a calendar,
because calendars sync to phones, shared family accounts and lock screens (consent-and-privacy § 12).

The words are in the active language: a download follows the viewer's page language, a subscription feed its
owner's ``preferred_language`` (``scheduling.views.feeds``).

A series is one recurring event (RFC 5545 § 3.8.5): DTSTART in the program's time zone (with its VTIMEZONE),
the RRULE, an EXDATE for each occurrence that is cancelled or that this calendar's owner does not take part in,
and an event with the same UID and a RECURRENCE-ID for each occurrence moved on its own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Alarm, Calendar, Event, vRecur

from scheduling.models import FamilySession, SessionSeries

NEUTRAL_TITLE = gettext_lazy("Appointment")  # in the active language: str() it where it is used
PRODID = "-//Portal//Appointments//EN"
ALARM_BEFORE = timedelta(hours=1)


def _uid_domain() -> str:
    return urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"


def session_event(session: FamilySession, *, stamp: datetime | None = None) -> Event:
    """One VEVENT: UTC times, a stable UID, the revision number, a cancelled status when it is off, and an alarm
    an hour before while it is on."""
    return _neutral_event(
        uid=f"{session.pk}@{_uid_domain()}",
        session=session,
        starts_at=session.starts_at.astimezone(UTC),
        ends_at=session.ends_at.astimezone(UTC),
        sequence=session.sequence,
        on=session.is_scheduled,
        stamp=stamp,
    )


def _neutral_event(
    *, uid: str, session: FamilySession, starts_at: datetime, ends_at: datetime, sequence: int, on: bool, stamp: Any
) -> Event:
    link = f"{settings.PORTAL_BASE_URL}{session.get_absolute_url()}"
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", str(NEUTRAL_TITLE))
    event.add("description", _("Details (sign-in required): %(link)s") % {"link": link})
    event.add("url", link)
    event.add("sequence", sequence)
    event.add("class", "PRIVATE")
    event.add("status", "CONFIRMED" if on else "CANCELLED")
    event.add("transp", "OPAQUE")
    if on:
        event.add_component(reminder_alarm())
    return event


def series_events(series: SessionSeries, occurrences: list[FamilySession], *, stamp: datetime) -> list[Event]:
    """The recurring event of ``series`` as seen through ``occurrences`` (the ones this calendar may show): the
    master with RRULE and EXDATE, then one RECURRENCE-ID event per occurrence moved away from its rule time."""
    tz = series.tz
    uid = f"series-{series.pk}@{_uid_domain()}"
    shown = {occ.occurrence_start: occ for occ in occurrences if occ.occurrence_start is not None}
    on = [occ for occ in shown.values() if occ.is_scheduled]
    upcoming = [occ for occ in on if occ.ends_at > timezone.now()]
    linked = min(upcoming or on or list(shown.values()) or occurrences, key=lambda occ: occ.starts_at)
    first_local = series.first_start.astimezone(tz)
    master = _neutral_event(
        uid=uid,
        session=linked,
        starts_at=first_local,
        ends_at=first_local + series.duration,
        sequence=max([series.sequence, *(occ.sequence for occ in shown.values())]),  # any change re-sends it
        on=bool(on),
        stamp=stamp,
    )
    master.add("rrule", vRecur.from_ical(series.rule))
    excluded = [
        start.astimezone(tz)
        for start in series.occurrence_starts()
        if start not in shown or not shown[start].is_scheduled
    ]
    if excluded:
        master.add("exdate", excluded)
    events = [master]
    for rule_start, occ in sorted(shown.items()):
        if not occ.is_scheduled or (occ.starts_at, occ.ends_at) == (rule_start, rule_start + series.duration):
            continue
        override = _neutral_event(
            uid=uid,
            session=occ,
            starts_at=occ.starts_at.astimezone(tz),
            ends_at=occ.ends_at.astimezone(tz),
            sequence=occ.sequence,
            on=True,
            stamp=stamp,
        )
        override.add("recurrence-id", rule_start.astimezone(tz))
        events.append(override)
    return events


def reminder_alarm(before: timedelta = ALARM_BEFORE) -> Alarm:
    """A VALARM that shows the neutral title ``before`` the start (RFC 5545 § 3.6.6: DISPLAY needs a description)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", str(NEUTRAL_TITLE))
    alarm.add("trigger", -before)
    return alarm


def build_calendar(sessions: Iterable[FamilySession], *, method: str = "PUBLISH") -> bytes:
    """A calendar of neutral events, for a single download or a subscription feed."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("x-wr-calname", _("Appointments"))
    stamp = timezone.now()
    by_series: dict[Any, list[FamilySession]] = {}
    for session in sessions:
        if session.series_id is None:
            calendar.add_component(session_event(session, stamp=stamp))
        else:
            by_series.setdefault(session.series_id, []).append(session)
    for occurrences in by_series.values():
        for event in series_events(occurrences[0].series, occurrences, stamp=stamp):  # type: ignore[arg-type]
            calendar.add_component(event)
    if by_series:
        calendar.add_missing_timezones()
    return calendar.to_ical()
