"""How a session's time is said in a text or an email, in the active language (the recipient's: the worker renders
under ``translation.override(language_of(recipient))``, see ``notifications.rendering``).

Date and clock patterns are Django date formats taken from the catalogue (``pgettext``), so each language says a time
its own way ("tomorrow at 6:00 PM", "mañana a las 6:00 p.m."); the sentence around them is an ``ngettext`` on the
12-hour hour because Spanish says "a la 1:00" but "a las 2:00". Rows keep language-neutral facts (``starts_at`` and
the zone ``tz``), so ``spoken_times`` words the time again at send time, in the language the person has then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import dateformat
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext, pgettext

RELATIVE_TIME_TEMPLATES = frozenset({"session_reminder"})  # "today"/"tomorrow", seen from the moment it is sent


def _clock(local: datetime) -> str:
    return dateformat.format(local, pgettext("Django date format: time of day in a text or email", "g:i A"))


def _hour(local: datetime) -> int:
    return local.hour % 12 or 12  # the number a 12-hour clock shows: "a la 1" / "a las 2" in Spanish


def _short_date(local: datetime) -> str:
    return dateformat.format(local, pgettext("Django date format: short date in a text", "D M j"))


def describe_when(starts_at: datetime, send_at: datetime, tz: ZoneInfo) -> str:
    """Neutral local wording of a start time as seen at ``send_at``: "today at 6:00 PM", "tomorrow at 9:30 AM",
    "on Thu Sep 24 at 12:30 PM" (in the active language)."""
    local = starts_at.astimezone(tz)
    days = (local.date() - send_at.astimezone(tz).date()).days
    values = {"time": _clock(local), "date": _short_date(local)}
    hour = _hour(local)
    if days == 0:
        return ngettext("today at %(time)s", "today at %(time)s", hour) % values
    if days == 1:
        return ngettext("tomorrow at %(time)s", "tomorrow at %(time)s", hour) % values
    return ngettext("on %(date)s at %(time)s", "on %(date)s at %(time)s", hour) % values


def describe_moment(starts_at: datetime, tz: ZoneInfo) -> str:
    """Short, absolute local wording for a text: "Tue Mar 4 at 6:00 PM" (a notice may wait for the morning, so
    never "today" or "tomorrow")."""
    local = starts_at.astimezone(tz)
    values = {"time": _clock(local), "date": _short_date(local)}
    return ngettext("%(date)s at %(time)s", "%(date)s at %(time)s", _hour(local)) % values


def describe_fully(starts_at: datetime, tz: ZoneInfo) -> str:
    """Full local wording for an email: "Tuesday, March 4, 2025 at 6:00 PM EST"."""
    local = starts_at.astimezone(tz)
    values = {
        "date": dateformat.format(local, pgettext("Django date format: full date in an email", "l, F j, Y")),
        "time": _clock(local),
        "zone": local.tzname() or "",
    }
    return ngettext("%(date)s at %(time)s %(zone)s", "%(date)s at %(time)s %(zone)s", _hour(local)) % values


def spoken_times(template_key: str, context: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``context`` with ``when`` and ``when_full`` worded again in the active language, when the row kept the facts
    (``starts_at`` and ``tz``); rows queued before they were kept are returned unchanged. A reminder's "today" or
    "tomorrow" is seen from ``now``, the moment it is sent."""
    starts_at = parse_datetime(str(context.get("starts_at", "")))
    try:
        tz = ZoneInfo(str(context["tz"])) if context.get("tz") else None
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    if starts_at is None or tz is None:
        return context
    if template_key in RELATIVE_TIME_TEMPLATES:
        when = describe_when(starts_at, now, tz)
    else:
        when = describe_moment(starts_at, tz)
    return {**context, "when": when, "when_full": describe_fully(starts_at, tz)}
