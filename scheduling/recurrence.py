"""Recurrence rules for session series: an iCalendar RRULE (RFC 5545 § 3.3.10) expanded by ``dateutil.rrule``.

The rule is expanded from a start that carries the program's time zone, so each occurrence keeps the local
wall-clock time (6 PM stays 6 PM across a daylight-saving change); occurrences are then stored in UTC.
Only weekly rules are written here: every week or every two weeks, a number of times or until a date.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from dateutil.rrule import rrulestr

MAX_OCCURRENCES = 52  # a year of weekly sessions: a series is materialised row by row, so it stays bounded


@dataclass(frozen=True)
class WeeklyRule:
    """Every ``interval`` weeks, ``count`` times or until ``until`` (a UTC instant, RRULE's UNTIL)."""

    interval: int
    count: int | None = None
    until: datetime | None = None

    def as_rrule(self) -> str:
        """The RRULE value (without the ``RRULE:`` prefix). UNTIL is written in UTC, as RFC 5545 requires when
        DTSTART carries a time zone."""
        parts = ["FREQ=WEEKLY", f"INTERVAL={self.interval}"]
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        elif self.until is not None:
            parts.append("UNTIL=" + self.until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)

    @classmethod
    def parse(cls, value: str) -> WeeklyRule:
        fields = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
        until = None
        if "UNTIL" in fields:
            until = datetime.strptime(fields["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        count = int(fields["COUNT"]) if "COUNT" in fields else None
        return cls(interval=int(fields.get("INTERVAL", "1")), count=count, until=until)


def end_of_local_day(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """The last second of ``day`` in ``tz``: an "until" date includes that day's session."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def expand(rule: str, first_start: datetime, tz: zoneinfo.ZoneInfo, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
    """The occurrences' starts in UTC, at most ``limit`` of them: the rule is applied to the local wall-clock start."""
    local_start = first_start.astimezone(tz)
    starts: list[datetime] = []
    for local in rrulestr(rule, dtstart=local_start):
        # dateutil keeps the wall-clock time and the zone; a time that does not exist on a spring-forward day
        # resolves like zoneinfo does (fold=0), an hour later in UTC terms.
        starts.append(local.replace(tzinfo=tz).astimezone(UTC))
        if len(starts) >= limit:
            break
    return starts
