"""One-tap "add to calendar" links for a session: Google Calendar, Outlook.com, Microsoft 365 and the .ics file
(Apple Calendar and everything else).

The web calendars receive the event in the link itself, so a link carries only the neutral title and the start and
end in UTC: no patient, program, counselor, place or portal address ever reaches another company's URL or its logs
(consent-and-privacy § 12: nothing about a patient in URLs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scheduling.ics import NEUTRAL_TITLE
from scheduling.models import FamilySession

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK_COM = "https://outlook.live.com/calendar/0/deeplink/compose"
OFFICE_365 = "https://outlook.office.com/calendar/0/deeplink/compose"


@dataclass(frozen=True)
class CalendarLink:
    label: str
    url: str
    external: bool  # opens another site in a new tab; the .ics is a download from the portal


def _google_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _outlook_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_url(session: FamilySession) -> str:
    dates = f"{_google_time(session.starts_at)}/{_google_time(session.ends_at)}"
    return f"{GOOGLE}?{urlencode({'action': 'TEMPLATE', 'text': str(NEUTRAL_TITLE), 'dates': dates})}"


def outlook_url(session: FamilySession, base: str = OUTLOOK_COM) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": str(NEUTRAL_TITLE),
        "startdt": _outlook_time(session.starts_at),
        "enddt": _outlook_time(session.ends_at),
    }
    return f"{base}?{urlencode(query)}"


def calendar_links(session: FamilySession) -> list[CalendarLink]:
    """The links offered on a scheduled session's page, most used first."""
    return [
        CalendarLink(str(_("Google Calendar")), google_url(session), external=True),
        CalendarLink(str(_("Outlook.com")), outlook_url(session), external=True),
        CalendarLink(str(_("Outlook (work or school)")), outlook_url(session, OFFICE_365), external=True),
        CalendarLink(
            str(_("Apple Calendar or other (.ics file)")),
            reverse("scheduling:session_ics", args=[session.pk]),
            external=False,
        ),
    ]
