"""The friendly words for the program's settings: weekdays instead of 0-6, "1 day before" instead of 1440."""

from __future__ import annotations

from django.utils.translation import ngettext

from accounts.models import WEEKDAYS

MINUTE, HOUR, DAY, WEEK = 1, 60, 24 * 60, 7 * 24 * 60

# Reminder times a program may pick from, furthest first (minutes before a family session).
REMINDER_OFFSETS = [WEEK, 3 * DAY, 2 * DAY, DAY, 12 * HOUR, 4 * HOUR, 2 * HOUR, HOUR, 30 * MINUTE, 15 * MINUTE]


def describe_offset(minutes: int) -> str:
    """``1440`` → "1 day before", ``120`` → "2 hours before", ``90`` → "90 minutes before"."""
    if minutes >= WEEK and minutes % WEEK == 0:
        weeks = minutes // WEEK
        return ngettext("%(count)d week before", "%(count)d weeks before", weeks) % {"count": weeks}
    if minutes >= DAY and minutes % DAY == 0:
        days = minutes // DAY
        return ngettext("%(count)d day before", "%(count)d days before", days) % {"count": days}
    if minutes >= HOUR and minutes % HOUR == 0:
        hours = minutes // HOUR
        return ngettext("%(count)d hour before", "%(count)d hours before", hours) % {"count": hours}
    return ngettext("%(count)d minute before", "%(count)d minutes before", minutes) % {"count": minutes}


def describe_days(days: list[int]) -> str:
    """``[0, 1, 2, 3, 4]`` → "Monday, Tuesday, Wednesday, Thursday, Friday"."""
    names = dict(WEEKDAYS)
    return ", ".join(str(names[day]) for day in sorted(days) if day in names)
