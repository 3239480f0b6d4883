"""Quiet hours: texts go out only 8 AM–9 PM recipient-local (47 CFR 64.1200(c)(1); consent-and-privacy §12).

The recipient's zone is their profile zone (``user.tz``, which falls back to the program's). When their number's
area code implies other zones, the time must be allowed in every one of them. Reminders move EARLIER into the window,
never later; other texts wait for the next morning.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

WINDOW_START = time(8, 0)
WINDOW_END = time(21, 0)  # 9:00 PM itself is allowed; 9:01 PM is not


def area_code_zones(e164: str) -> list[ZoneInfo]:
    """Time zones phonenumbers associates with a number's area code (empty when unknown)."""
    return list(_area_code_zones(e164))


@lru_cache(maxsize=4096)
def _area_code_zones(e164: str) -> tuple[ZoneInfo, ...]:
    """Memoised per number: parsing and the prefix lookup would otherwise run once per text in the worker (R1)."""
    try:
        names = phone_timezones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return ()
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # "Etc/Unknown"
    return tuple(zones)


def profile_zone(user: Any, program: Any = None) -> ZoneInfo:
    """The zone to show times in and to respect quiet hours for: the user's own zone if they set one, else the
    zone of their program, else the zone of the program the message is about (family members have no program),
    else the first program's, else UTC."""
    if getattr(user, "time_zone", ""):
        return ZoneInfo(user.time_zone)
    if getattr(user, "program_id", None):
        return user.tz
    if program is None:
        from accounts.models import Program

        program = Program.objects.order_by("pk").first()
    return program.tz if program is not None else ZoneInfo("UTC")


def zones_for(profile_zone: ZoneInfo, e164: str | None = None) -> list[ZoneInfo]:
    zones = [profile_zone]
    if e164:
        zones.extend(z for z in area_code_zones(e164) if z.key not in {profile_zone.key})
    return zones


def is_waking(moment: datetime, zones: list[ZoneInfo]) -> bool:
    """True when ``moment`` is between 8:00 AM and 9:00 PM in every zone."""
    return all(WINDOW_START <= moment.astimezone(z).time() <= WINDOW_END for z in zones)


def _wall_time(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``wall`` in ``tz`` as UTC; a wall time inside a DST gap resolves to the instant just before it."""
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        aware = naive.replace(tzinfo=tz, fold=1)
    return aware.astimezone(UTC)


def place_earlier(moment: datetime, tz: ZoneInfo) -> datetime:
    """Move ``moment`` EARLIER (never later) into 8 AM–9 PM in ``tz``: before 8 AM → 9 PM the previous local day;
    after 9 PM → 9 PM the same local day."""
    local = moment.astimezone(tz)
    if WINDOW_START <= local.time() <= WINDOW_END:
        return moment
    day = local.date() if local.time() > WINDOW_END else local.date() - timedelta(days=1)
    return _wall_time(day, WINDOW_END, tz)


def place_later(moment: datetime, tz: ZoneInfo) -> datetime:
    """Move ``moment`` LATER to the next 8 AM in ``tz`` if it falls in quiet hours."""
    local = moment.astimezone(tz)
    if WINDOW_START <= local.time() <= WINDOW_END:
        return moment
    day = local.date() if local.time() < WINDOW_START else local.date() + timedelta(days=1)
    return _wall_time(day, WINDOW_START, tz)


def latest_waking_at_or_before(moment: datetime, zones: list[ZoneInfo]) -> datetime | None:
    """The latest instant ≤ ``moment`` allowed in every zone (None if the zones never overlap)."""
    candidate = moment
    for _ in range(4 * len(zones) + 2):
        if is_waking(candidate, zones):
            return candidate
        for tz in zones:
            candidate = place_earlier(candidate, tz)
    return candidate if is_waking(candidate, zones) else None


def earliest_waking_at_or_after(moment: datetime, zones: list[ZoneInfo]) -> datetime | None:
    """The earliest instant ≥ ``moment`` allowed in every zone (None if the zones never overlap)."""
    candidate = moment
    for _ in range(4 * len(zones) + 2):
        if is_waking(candidate, zones):
            return candidate
        for tz in zones:
            candidate = place_later(candidate, tz)
    return candidate if is_waking(candidate, zones) else None
