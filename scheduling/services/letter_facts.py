"""What an attendance letter says: its verification code, the facts frozen when it is issued, and those facts
ready for a page or a PDF in the reader's language.

The code is 20 characters from a 31-symbol alphabet without the look-alikes 0, O, 1, I and L (about 99 bits),
grouped by four (``7KQ4-M2XD-9TRF-WB3P-H6NA``); only its SHA-256 is stored. Facts hold codes (kinds, marks) and ISO
dates, never translated words, so the verification page reads in its reader's language and still says exactly what
was issued.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import phonenumbers
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from consent.models import Consent
from scheduling.models import FamilySession, Participant
from scheduling.services.treatment_records import records_in_period

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 20
GROUP = 4

KIND_LABELS: dict[str, Any] = {
    "iop_group": _("IOP group"),
    "individual": _("Individual session"),
    "other": _("Other treatment session"),
    "family_therapy": _("Family session"),
    "multi_family_group": _("Multi-family group"),
    "education_night": _("Family education night"),
}
MARK_LABELS: dict[str, Any] = {
    "attended": _("Attended"),
    "missed": _("Missed"),
    "excused": _("Excused"),
    "not_recorded": _("Not recorded"),
}
FAMILY_MARKS: dict[str, str] = {  # a family session's mark as the letter counts it
    Participant.Attendance.ATTENDED.value: "attended",
    Participant.Attendance.LATE.value: "attended",
    Participant.Attendance.ABSENT.value: "missed",
    Participant.Attendance.EXCUSED.value: "excused",
}


def new_code() -> str:
    """A fresh verification code, grouped for reading aloud."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_code(typed: str) -> str:
    """Upper case without spaces or dashes; "" when it cannot be a code (wrong length or a foreign symbol)."""
    cleaned = "".join(ch for ch in str(typed).upper() if ch not in " -\t")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return ""
    return cleaned


def code_hash(typed: str) -> str:
    """The stored form of a code (any grouping, any case)."""
    return hashlib.sha256(normalise_code(typed).encode()).hexdigest()


def readable_phone(value: str) -> str:
    """A stored E.164 number as people write it ("(555) 010-3000" in the US); anything else as stored."""
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return value
    style = phonenumbers.PhoneNumberFormat
    return str(phonenumbers.format_number(parsed, style.NATIONAL if parsed.country_code == 1 else style.INTERNATIONAL))


def _family_rows(patient: User, start: date, end: date, tz: Any) -> list[dict[str, Any]]:
    """Family sessions the patient took part in (not cancelled, not removed), in the program's days."""
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    taking_part = (
        Participant.objects.current()
        .filter(
            user=patient,
            role=Participant.Role.PATIENT,
            session__starts_at__gte=since,
            session__starts_at__lt=until,
        )
        .exclude(session__status=FamilySession.Status.CANCELLED)
        .select_related("session")
    )
    rows = []
    for participant in taking_part:
        session = participant.session
        local = session.starts_at.astimezone(tz)
        rows.append(
            {
                "date": local.date().isoformat(),
                "start": local.strftime("%H:%M"),
                "kind": session.kind,
                "minutes": session.duration_minutes,
                "mark": FAMILY_MARKS.get(participant.attendance, "not_recorded"),
            }
        )
    return rows


def gather_facts(
    *, patient: User, counselor: User, consent: Consent, start: date, end: date, issued_at: datetime
) -> dict[str, Any]:
    """Everything the letter says, as codes and ISO dates: letterhead, counselor, recipient, consent, sessions."""
    program = consent.program
    tz = program.tz
    sessions = [
        {
            "date": record.date.isoformat(),
            "start": record.start_time.strftime("%H:%M"),
            "kind": record.kind,
            "minutes": record.minutes,
            "mark": record.attendance,
        }
        for record in records_in_period(patient, start, end)
    ]
    sessions += _family_rows(patient, start, end, tz)
    sessions.sort(key=lambda row: (row["date"], row["start"], row["kind"]))
    counts = {mark: sum(1 for row in sessions if row["mark"] == mark) for mark in MARK_LABELS}
    return {
        "program": {
            "name": program.legal_name or program.name,
            "public_name": program.public_name if program.public_name != program.legal_name else "",
            "address": program.address,
            "phone": readable_phone(program.letter_phone),
        },
        "counselor": {"name": counselor.full_name or counselor.display_name, "credentials": counselor.credentials},
        "patient": {"name": patient.full_name or patient.display_name},
        "recipient": {
            "kind": consent.recipient_kind,
            "name": consent.recipient_name,
            "organisation": consent.recipient_organisation,
        },
        "consent_signed_on": consent.signed_at.astimezone(tz).date().isoformat(),
        "issued_on": issued_at.astimezone(tz).date().isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "sessions": sessions,
        "totals": {
            "scheduled": len(sessions),
            **counts,
            "minutes_attended": sum(row["minutes"] for row in sessions if row["mark"] == "attended"),
        },
    }


@dataclass(frozen=True)
class LetterRow:
    day: date
    start: str
    kind: str
    minutes: int
    hours: float
    mark: str
    mark_key: str


@dataclass(frozen=True)
class LetterView:
    """The frozen facts with dates as dates and codes as words in the active language."""

    facts: dict[str, Any]
    rows: list[LetterRow]
    recipient_kind: str
    signed_on: date
    issued_on: date
    start: date
    end: date

    @property
    def hours_attended(self) -> float:
        return round(int(self.facts["totals"]["minutes_attended"]) / 60, 2)

    @property
    def totals(self) -> dict[str, int]:
        return dict(self.facts["totals"])


def letter_view(facts: dict[str, Any]) -> LetterView:
    """``facts`` for display: labels read in the reader's language, the figures exactly as issued."""
    rows = [
        LetterRow(
            day=date.fromisoformat(row["date"]),
            start=row["start"],
            kind=str(KIND_LABELS.get(row["kind"], row["kind"])),
            minutes=int(row["minutes"]),
            hours=round(int(row["minutes"]) / 60, 2),
            mark=str(MARK_LABELS.get(row["mark"], row["mark"])),
            mark_key=row["mark"],
        )
        for row in facts["sessions"]
    ]
    kinds = dict(Consent.RecipientKind.choices)
    return LetterView(
        facts=facts,
        rows=rows,
        recipient_kind=str(kinds.get(facts["recipient"]["kind"], "")),
        signed_on=date.fromisoformat(facts["consent_signed_on"]),
        issued_on=date.fromisoformat(facts["issued_on"]),
        start=date.fromisoformat(facts["period"]["start"]),
        end=date.fromisoformat(facts["period"]["end"]),
    )
