"""Reading a CSV of treatment sessions from the program's records system: every problem listed by row and column.

Columns (header row required, any order, case-insensitive): ``date`` (ISO, 2026-03-14), ``start`` (24-hour, 18:00),
``minutes`` (1–720), ``kind`` (iop_group, individual, other), ``attendance`` (attended, missed, excused) and an
optional ``note``. UTF-8 with or without a byte-order mark; at most ``MAX_ROWS`` rows and ``MAX_BYTES`` bytes.
Rows are numbered as a spreadsheet shows them: the header is row 1. Parsing writes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from family_portal.date_fields import check_in_range
from scheduling.models import TreatmentSession

MAX_ROWS = 500
MAX_BYTES = 256 * 1024
MAX_MINUTES = 720
REQUIRED_COLUMNS = ("date", "start", "minutes", "kind", "attendance")
OPTIONAL_COLUMNS = ("note",)
MAX_NOTE = 500
Key = tuple[date, time, str]  # date, start and kind: one record per patient


@dataclass(frozen=True)
class TreatmentRow:
    """One valid row: a record not yet written."""

    row: int
    date: date
    start_time: time
    minutes: int
    kind: str
    attendance: str
    note: str = ""

    @property
    def key(self) -> Key:
        return (self.date, self.start_time, self.kind)


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str
    message: str


@dataclass
class ParsedImport:
    """The rows that are valid on their own, and every error; only an import without errors is ``ok``."""

    rows: list[TreatmentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def upload_text(upload: Any) -> tuple[str, RowError | None]:
    """The uploaded file's text (UTF-8, a leading byte-order mark removed), or the error that stops reading it."""
    if upload.size > MAX_BYTES:
        return "", RowError(None, "", _("The file is larger than %(kb)s KB.") % {"kb": MAX_BYTES // 1024})
    try:
        return upload.read(MAX_BYTES + 1).decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return "", RowError(None, "", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))


def parse_treatment_csv(text: str) -> ParsedImport:
    """Check every row and collect every error, with the rows that are valid on their own."""
    result = ParsedImport()
    if len(text.encode("utf-8")) > MAX_BYTES:
        result.errors.append(RowError(None, "", _("The file is larger than %(kb)s KB.") % {"kb": MAX_BYTES // 1024}))
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        lines = list(reader)
    except csv.Error:
        result.errors.append(RowError(None, "", _("The file could not be read as CSV.")))
        return result
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    for name in missing:
        result.errors.append(RowError(1, name, _("The column is missing from the header row.")))
    if missing:
        return result
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if len(lines) > MAX_ROWS:
        result.errors.append(RowError(None, "", _("The file has more than %(max)s rows.") % {"max": MAX_ROWS}))
        return result
    if not lines:
        result.errors.append(RowError(None, "", _("The file has no rows after the header.")))
        return result
    seen: dict[Key, int] = {}
    for number, line in enumerate(lines, start=2):
        cells = {name: (line[i].strip() if i < len(line) else "") for i, name in enumerate(header)}
        row = _parse_row(number, cells, result.errors)
        if row is None:
            continue
        if row.key in seen:
            result.errors.append(
                RowError(number, "date", _("Same date, start and kind as row %(row)s.") % {"row": seen[row.key]})
            )
            continue
        seen[row.key] = number
        result.rows.append(row)
    return result


def _parse_row(number: int, cells: dict[str, str], errors: list[RowError]) -> TreatmentRow | None:
    before = len(errors)

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    day = _parse_date(cells["date"])
    if day is None:
        fail("date", _("Write the date as YYYY-MM-DD (for example 2026-03-14)."))
    start = _parse_time(cells["start"])
    if start is None:
        fail("start", _("Write the start time as HH:MM on a 24-hour clock (for example 18:00)."))
    minutes = int(cells["minutes"]) if cells["minutes"].isdigit() else None
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        fail("minutes", _("Write a whole number of minutes from 1 to %(max)s.") % {"max": MAX_MINUTES})
    kind = cells["kind"].lower()
    if kind not in TreatmentSession.Kind.values:
        fail("kind", _("Use one of: %(values)s.") % {"values": ", ".join(TreatmentSession.Kind.values)})
    attendance = cells["attendance"].lower()
    if attendance not in TreatmentSession.Attendance.values:
        fail("attendance", _("Use one of: %(values)s.") % {"values": ", ".join(TreatmentSession.Attendance.values)})
    note = cells.get("note", "")
    if len(note) > MAX_NOTE:
        fail("note", _("Keep the note under %(max)s characters.") % {"max": MAX_NOTE})
    if len(errors) > before or day is None or start is None or minutes is None:
        return None
    return TreatmentRow(number, day, start, minutes, kind, attendance, note)


def _parse_time(value: str) -> time | None:
    if not re.fullmatch(r"\d{1,2}:\d{2}", value):
        return None
    hours, minutes = value.split(":")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _parse_date(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if len(value) != 10:  # fromisoformat also takes 20260314; the page promises YYYY-MM-DD
        return None
    try:
        check_in_range(day)
    except ValidationError:
        return None
    return day
