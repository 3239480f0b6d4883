"""Counselor availability: weekly hours stored as wall-clock times plus a time zone (a 6 PM slot stays at 6 PM
on both sides of a daylight-saving change), and time off."""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone

LATEST_END = time(22, 0)  # evening hours run until 10 PM at the latest, on any day of the week


class Availability(models.Model):
    """A counselor's weekly open hours, as wall-clock times in ``time_zone`` (kept across DST changes): any day,
    weekends included, from morning until ``LATEST_END`` in the evening."""

    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ]  # fmt: skip
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    slot_minutes = models.PositiveSmallIntegerField(default=60)

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name_plural = "availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="availability_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M} ({self.time_zone})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_weekend(self) -> bool:
        return self.weekday >= 5

    @property
    def is_evening(self) -> bool:
        return self.end_time > time(17, 0)

    def clean(self) -> None:
        if self.end_time and self.end_time > LATEST_END:
            raise ValidationError({"end_time": _("Evening hours end by 10:00 PM. Choose an earlier end time.")})


class AvailabilityException(models.Model):
    """Time off: no open slots are offered and nothing can be booked for the counselor in this period."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=120, blank=True, help_text=_("For the counselor only."))

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="exception_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"Time off {self.pk}"
