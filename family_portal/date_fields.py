"""Date and date-time form fields for every form and query parameter: dates the portal can compute with (ROB-01).

Python's ``date`` ends at 9999-12-31 and begins at 0001-01-01, so a typed ``9999-12-31`` plus one day (the end
of a consent day, the end of a week, a session's end) raised ``OverflowError``: a 500. These fields refuse any
day outside ``EARLIEST``..``LATEST`` with a form error, far enough inside Python's range that a year of
arithmetic and any time-zone conversion on an accepted value stay valid. Each form keeps its own rules on top
(not in the past, within a year…)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
OUT_OF_RANGE = _("Enter a date between %(earliest)s and %(latest)s.")


def check_in_range(day: date) -> None:
    """Raise a form error unless ``day`` lies within ``EARLIEST``..``LATEST``."""
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            OUT_OF_RANGE,
            code="out_of_range",
            params={
                "earliest": date_format(EARLIEST, "LONG_DATE_FORMAT"),
                "latest": date_format(LATEST, "LONG_DATE_FORMAT"),
            },
        )


class PortalDateField(forms.DateField):
    """A ``DateField`` that refuses days outside the portal's range."""

    def to_python(self, value: Any) -> date | None:
        day = super().to_python(value)
        if day is not None:
            check_in_range(day)
        return day


class PortalDateTimeField(forms.DateTimeField):
    """A ``DateTimeField`` whose local day must lie in the portal's range (checked on the typed wall-clock
    time, before anything converts it to UTC)."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)  # aware, in the current time zone, not yet converted
        if moment is not None:
            check_in_range(moment.date())
        return moment
