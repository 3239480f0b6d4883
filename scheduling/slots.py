"""Open slots: weekly wall-clock availability turned into UTC periods, minus bookings, holds and time off.

Wall-clock times are converted day by day in the availability's own time zone, so "Tuesdays 6-7 PM" stays at
6 PM local time across daylight-saving changes. A time that does not exist (the spring-forward gap) is skipped;
an ambiguous one (fall-back) takes its first occurrence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling.models import Availability, AvailabilityException, FamilySession, SessionRequest

HORIZON_DAYS = 21
MIN_NOTICE = timedelta(hours=12)


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    counselor_id: int

    @property
    def key(self) -> str:
        """An opaque form value: the counselor and the UTC start as an epoch."""
        return f"{self.counselor_id}:{int(self.starts_at.timestamp())}"


def wall_clock_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz``; ``None`` inside a spring-forward gap."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return aware.astimezone(UTC)


def availability_slots(availability: Availability, start_day: date, end_day: date) -> list[Slot]:
    """Every slot one weekly availability row yields between two local dates (inclusive)."""
    tz = availability.tz
    step = timedelta(minutes=availability.slot_minutes)
    slots: list[Slot] = []
    day = start_day
    while day <= end_day:
        if day.weekday() == availability.weekday:
            cursor = datetime.combine(day, availability.start_time)
            last = datetime.combine(day, availability.end_time)
            while cursor + step <= last:
                start = wall_clock_to_utc(day, cursor.time(), tz)
                end = wall_clock_to_utc(day, (cursor + step).time(), tz)
                if start is not None and end is not None and end > start:
                    slots.append(Slot(start, end, availability.counselor_id))
                cursor += step
        day += timedelta(days=1)
    return slots


def open_slots(
    *,
    counselor_ids: Iterable[int],
    now: datetime | None = None,
    days: int = HORIZON_DAYS,
    exclude_request_id: Any = None,
) -> list[Slot]:
    """Open slots for the counselors in the next ``days`` days: availability minus scheduled sessions,
    pending requests holding a slot, and time off. A fixed number of queries, whatever the data size."""
    ids = list(counselor_ids)
    now = now or timezone.now()
    horizon = now + timedelta(days=days)
    earliest = now + MIN_NOTICE
    rows = list(Availability.objects.filter(counselor_id__in=ids))
    if not rows:
        return []
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    sessions = (
        FamilySession.objects.scheduled()
        .overlapping(now, horizon)
        .filter(counselors__in=ids)
        .values_list("counselors", "starts_at", "ends_at")
    )
    for counselor_id, start, end in sessions:
        busy[counselor_id].append((start, end))
    holds = SessionRequest.objects.holding(now, horizon).filter(counselor_id__in=ids)
    if exclude_request_id is not None:
        holds = holds.exclude(pk=exclude_request_id)
    for counselor_id, hold_start, hold_end in holds.values_list("counselor_id", "slot_starts_at", "slot_ends_at"):
        if hold_start is not None and hold_end is not None:
            busy[counselor_id].append((hold_start, hold_end))
    time_off = AvailabilityException.objects.filter(counselor_id__in=ids, starts_at__lt=horizon, ends_at__gt=now)
    for counselor_id, start, end in time_off.values_list("counselor_id", "starts_at", "ends_at"):
        busy[counselor_id].append((start, end))

    found: set[Slot] = set()
    for row in rows:
        local_today = now.astimezone(row.tz).date()
        for slot in availability_slots(row, local_today, local_today + timedelta(days=days)):
            if slot.starts_at < earliest or slot.ends_at > horizon:
                continue
            if any(start < slot.ends_at and end > slot.starts_at for start, end in busy[slot.counselor_id]):
                continue
            found.add(slot)
    return sorted(found)


def find_open_slot(*, key: str, counselor_ids: Iterable[int], now: datetime | None = None) -> Slot | None:
    """The open slot a form value names, if it is still open for one of ``counselor_ids``."""
    for slot in open_slots(counselor_ids=counselor_ids, now=now):
        if slot.key == key:
            return slot
    return None
