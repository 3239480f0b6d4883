"""Plain-language wording for scopes and consents, shared by the wizard, "My sharing" and "What you can see"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.utils.dateformat import format as format_date
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from consent.models import Consent, Scope

# A long date ("March 5, 2027"; "5 de marzo de 2027"): the order of day, month and year is the language's.
LONG_DATE = pgettext_lazy("long date format, Django date syntax", "F j, Y")

# What the patient agrees to share, in their words.
SCOPE_FOR_PATIENT: dict[str, Any] = {
    Scope.EDUCATION: _("Lessons the care team assigns them, and how far they have got"),
    Scope.SCHEDULE: _("Dates and times of family sessions, and reminders about them"),
    Scope.ATTENDANCE: _("Whether you attended family sessions"),
    Scope.MESSAGING: _("Secure messages between them and your care team"),
    Scope.PROGRESS_SUMMARY: _("A short progress summary your counselor writes for family (never clinical notes)"),
}

# What the family member may see, in their words.
SCOPE_FOR_FAMILY: dict[str, Any] = {
    Scope.EDUCATION: _("Lessons the care team assigns you, and your progress"),
    Scope.SCHEDULE: _("Dates and times of family sessions, and reminders about them"),
    Scope.ATTENDANCE: _("Whether they attended family sessions"),
    Scope.MESSAGING: _("Secure messages with their care team"),
    Scope.PROGRESS_SUMMARY: _("A short progress summary their counselor writes for family"),
}

# What a court or probation recipient receives under the ``attendance`` scope (§ 2.35): the patient's own
# sessions at the program, not only family sessions.
ATTENDANCE_FOR_COURT = _("Your attendance at the program's sessions: dates, hours, and whether you attended")

NEVER_SHARED = _("Clinical notes, diagnoses, medications and test results are never shared through this portal.")


@dataclass(frozen=True)
class ScopeSummary:
    """A consent explained for the person it names: what, until when, how it can end."""

    what: list[str]
    until: str
    how_it_ends: list[str]


def summary_for_family(consent: Consent) -> ScopeSummary:
    until = local_date(consent)
    ends = [gettext("It ends on %(date)s.") % {"date": until}]
    if consent.expiry_event:
        event = event_label(consent.expiry_event)
        ends.append(gettext("It ends earlier on this event: %(event)s.") % {"event": event[0].lower() + event[1:]})
    ends.append(
        gettext("The person who gave it can stop sharing at any time. If they do, your access ends straight away.")
    )
    return ScopeSummary(what=[str(SCOPE_FOR_FAMILY[code]) for code in consent.scopes], until=until, how_it_ends=ends)


# Ending events the portal writes on a consent (``consent.forms.DISCHARGE_EVENT``), in the reader's language; an
# event typed on a paper form is shown as written.
EVENT_LABELS: dict[str, Any] = {"Discharge from the program": _("Discharge from the program")}


def event_label(event: str) -> str:
    """An ending event as the reader reads it."""
    return str(EVENT_LABELS.get(event, event))


# The notes the services write on a ``ConsentEvent`` (``consent.services.consents``), as the reader reads them; a
# note a person typed (what happened, for an ending event) is shown as written.
EVENT_NOTES: dict[str, Any] = {"approved": _("approved"), "rejected": _("rejected")}
REPLACED_NOTE = re.compile(r"Replaced by (?P<id>[0-9a-f-]{36})")


def event_note(note: str) -> str:
    """A consent event's note in the reader's language."""
    if known := EVENT_NOTES.get(note):
        return str(known)
    if replaced := REPLACED_NOTE.fullmatch(note):
        return gettext("Replaced by %(id)s") % {"id": replaced["id"]}
    return note


def scope_choices_for_patient() -> list[tuple[str, str]]:
    return [(scope.value, str(SCOPE_FOR_PATIENT[scope])) for scope in Scope]


def local_date(consent: Consent) -> str:
    """The last day of sharing in the program's time zone (``expires_at`` is midnight after that day)."""
    last_moment = consent.expires_at.astimezone(consent.program.tz) - timedelta(microseconds=1)
    return format_date(last_moment, str(LONG_DATE))


def revocation_terms(after: datetime | None, event: str, tz: tzinfo) -> str:
    """When a consent may be revoked, plainly, for the person who signs it (§ 2.35(c)): at any time, or only from
    ``after`` (shown as a day in ``tz``), or only once ``event`` has happened and staff have recorded it."""
    if after is not None:
        day = format_date(after.astimezone(tz), str(LONG_DATE))
        return gettext(
            "You cannot stop this consent before %(date)s. From that day on you can stop it at any time, in writing."
        ) % {"date": day}
    if event:
        return gettext(
            "You cannot stop this consent until this has happened: %(event)s. Once your care team records it, you "
            "can stop it at any time, in writing."
        ) % {"event": event}
    return gettext("You can stop this consent at any time, in writing.")


def not_yet_revocable(consent: Consent) -> str:
    """Why a § 2.35(c) consent cannot be revoked yet, in the reader's language."""
    terms = revocation_terms(consent.revocable_after, consent.revocable_after_event, consent.program.tz)
    return gettext("This consent cannot be stopped yet: you agreed to this when you signed it.") + " " + terms
