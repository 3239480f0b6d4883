"""Plain-language wording for scopes and consents, shared by the wizard, "My sharing" and "What you can see"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.dateformat import format as format_date

from consent.models import Consent, Scope

# What the patient agrees to share, in their words.
SCOPE_FOR_PATIENT: dict[str, str] = {
    Scope.EDUCATION: "Lessons the care team assigns them, and how far they have got",
    Scope.SCHEDULE: "Dates and times of family sessions, and reminders about them",
    Scope.ATTENDANCE: "Whether you attended family sessions",
    Scope.MESSAGING: "Secure messages between them and your care team",
    Scope.PROGRESS_SUMMARY: "A short progress summary your counselor writes for family (never clinical notes)",
}

# What the family member may see, in their words.
SCOPE_FOR_FAMILY: dict[str, str] = {
    Scope.EDUCATION: "Lessons the care team assigns you, and your progress",
    Scope.SCHEDULE: "Dates and times of family sessions, and reminders about them",
    Scope.ATTENDANCE: "Whether they attended family sessions",
    Scope.MESSAGING: "Secure messages with their care team",
    Scope.PROGRESS_SUMMARY: "A short progress summary their counselor writes for family",
}

NEVER_SHARED = "Clinical notes, diagnoses, medications and test results are never shared through this portal."


@dataclass(frozen=True)
class ScopeSummary:
    """A consent explained for the person it names: what, until when, how it can end."""

    what: list[str]
    until: str
    how_it_ends: list[str]


def summary_for_family(consent: Consent) -> ScopeSummary:
    until = local_date(consent)
    ends = [f"It ends on {until}."]
    if consent.expiry_event:
        ends.append(f"It ends earlier on this event: {consent.expiry_event[0].lower()}{consent.expiry_event[1:]}.")
    ends.append("The person who gave it can stop sharing at any time. If they do, your access ends straight away.")
    return ScopeSummary(what=[SCOPE_FOR_FAMILY[code] for code in consent.scopes], until=until, how_it_ends=ends)


def scope_choices_for_patient() -> list[tuple[str, str]]:
    return [(scope.value, SCOPE_FOR_PATIENT[scope]) for scope in Scope]


def local_date(consent: Consent) -> str:
    """The last day of sharing in the program's time zone (``expires_at`` is midnight after that day)."""
    last_moment = consent.expires_at.astimezone(consent.program.tz) - timedelta(microseconds=1)
    return format_date(last_moment, "F j, Y")
