"""A series of sessions: an iCalendar RRULE in the program's time zone, each occurrence a ``FamilySession`` row.

Occurrences are ordinary sessions (participants, RSVPs, attendance and reminders belong to each one); the series
keeps the rule, the first start and the length so calendars can carry one recurring event with its exceptions
(``FamilySession.occurrence_start`` is the start the rule gave, iCalendar's RECURRENCE-ID).
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scheduling.recurrence import WeeklyRule, expand


class SessionSeries(models.Model):
    """A repeating session: weekly or every two weeks, a number of times or until a date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="session_series")
    rule = models.CharField(max_length=200, help_text="iCalendar RRULE value, e.g. FREQ=WEEKLY;INTERVAL=1;COUNT=10.")
    time_zone = models.CharField(max_length=64, help_text="The program's zone: the rule keeps local wall-clock times.")
    first_start = models.DateTimeField(help_text="DTSTART: the first occurrence the rule gives (UTC).")
    duration_minutes = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField(default=0, help_text="Calendar revision of the recurring event.")
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The series this one continues after a this-and-following change.",
    )
    reminders_planned_until = models.DateTimeField(
        help_text="Reminders are planned for every occurrence starting at or before this instant (rolling horizon)."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "session series"
        indexes = [models.Index(fields=["reminders_planned_until"])]

    def __str__(self) -> str:
        return f"Series {str(self.pk)[:8]}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def weekly_rule(self) -> WeeklyRule:
        return WeeklyRule.parse(self.rule)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def occurrence_starts(self) -> list[datetime]:
        """Every start the rule gives, in UTC (the exceptions are on the occurrence rows)."""
        return expand(self.rule, self.first_start, self.tz)

    def describe(self) -> str:
        """ "Every week, 10 times" in the active language (the day and time are shown by the page)."""
        every = _("Every week") if self.weekly_rule.interval == 1 else _("Every two weeks")
        count = len(self.occurrence_starts())
        return f"{every}, " + ngettext("%(count)d time", "%(count)d times", count) % {"count": count}
