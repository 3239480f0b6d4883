"""After-hours notice: when the care team is away, say when to expect a reply and where to get help now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

CRISIS_TEXT = gettext_lazy("If you are worried about safety right now, call or text 988. In an emergency, call 911.")


@dataclass(frozen=True)
class AfterHours:
    next_open: datetime | None  # program-local, aware
    expected: str  # "tomorrow at 9:00 AM (EST)", or "" when the program has no office days

    @property
    def banner(self) -> str:
        """Shown above the message box while the office is closed."""
        if self.expected:
            text = _(
                "The care team is away right now and usually replies after the office opens %(expected)s. "
                "Messages you send are still delivered."
            ) % {"expected": self.expected}
        else:
            text = _("The care team is away right now and will reply later. Messages you send are still delivered.")
        return f"{text} {CRISIS_TEXT}"

    @property
    def sent_text(self) -> str:
        """Told to the sender after a message is saved outside office hours."""
        if self.expected:
            text = _(
                "Your message is saved and delivered. The care team is away right now and usually replies after "
                "the office opens %(expected)s."
            ) % {"expected": self.expected}
        else:
            text = _("Your message is saved and delivered. The care team is away right now and will reply later.")
        return f"{text} {CRISIS_TEXT}"

    def as_event(self) -> dict[str, Any]:
        return {
            "after_hours": True,
            "text": self.sent_text,
            "next_open": self.next_open.isoformat() if self.next_open else None,
        }


def next_opening(program: Any, at: datetime) -> datetime | None:
    """The next time office hours start after ``at``, in the program's time zone (DST-safe); None if never."""
    tz = program.tz
    local = at.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in program.office_days:
            continue
        opens = datetime.combine(day, program.office_opens).replace(tzinfo=tz)
        if opens > local:
            return opens
    return None


def _describe(opening: datetime, at: datetime) -> str:
    """ "tomorrow at 9:00 AM (EST)", in the active language and its time format."""
    values = {"time": time_format(opening, "TIME_FORMAT"), "weekday": date_format(opening, "l")}
    hour = opening.hour % 12 or 12  # Spanish says "a la 1:00" but "a las 2:00" (notifications/wording.py)
    zone = opening.tzname() or ""
    days = (opening.date() - at.astimezone(opening.tzinfo).date()).days
    if days == 0:
        when = ngettext("today at %(time)s", "today at %(time)s", hour) % values
    elif days == 1:
        when = ngettext("tomorrow at %(time)s", "tomorrow at %(time)s", hour) % values
    else:
        when = ngettext("%(weekday)s at %(time)s", "%(weekday)s at %(time)s", hour) % values
    return f"{when} ({zone})" if zone else when


def after_hours_notice(program: Any, at: datetime | None = None) -> AfterHours | None:
    """``None`` during office hours; otherwise the expected reply time and crisis resources (§ 14)."""
    at = at or timezone.now()
    if program is None or program.is_open_at(at):
        return None
    opening = next_opening(program, at)
    return AfterHours(next_open=opening, expected=_describe(opening, at) if opening else "")
