"""Calendar files (.ics) with neutral content: the title is "Appointment" and the only detail is a link that
needs a login. No patient name, program name, counselor name, place or clinical word ever enters a calendar,
because calendars sync to phones, shared family accounts and lock screens (consent-and-privacy § 12).

The words are in the active language: a download follows the viewer's page language, a subscription feed its
owner's ``preferred_language`` (``scheduling.views.feeds``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Alarm, Calendar, Event

from scheduling.models import FamilySession

NEUTRAL_TITLE = gettext_lazy("Appointment")  # in the active language: str() it where it is used
PRODID = "-//Portal//Appointments//EN"
ALARM_BEFORE = timedelta(hours=1)


def _uid_domain() -> str:
    return urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"


def session_event(session: FamilySession, *, stamp: datetime | None = None) -> Event:
    """One VEVENT: UTC times, a stable UID, the revision number, a cancelled status when it is off, and an alarm
    an hour before while it is on."""
    link = f"{settings.PORTAL_BASE_URL}{session.get_absolute_url()}"
    event = Event()
    event.add("uid", f"{session.pk}@{_uid_domain()}")
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", str(NEUTRAL_TITLE))
    event.add("description", _("Details (sign-in required): %(link)s") % {"link": link})
    event.add("url", link)
    event.add("sequence", session.sequence)
    event.add("class", "PRIVATE")
    event.add("status", "CANCELLED" if session.status == FamilySession.Status.CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if session.is_scheduled:
        event.add_component(reminder_alarm())
    return event


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
    for session in sessions:
        calendar.add_component(session_event(session, stamp=stamp))
    return calendar.to_ical()
