"""The date range an insights page covers: two program-local days from the query string, checked."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from family_portal.date_fields import PortalDateField

DEFAULT_DAYS = 84  # twelve weeks: enough weeks of sessions to show a trend
LONGEST_RANGE = timedelta(days=366)


class DateRangeForm(forms.Form):
    """``start`` and ``end`` (both included). Missing values default to the twelve weeks ending today."""

    start = PortalDateField(label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = PortalDateField(label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or (end - timedelta(days=DEFAULT_DAYS - 1))
        assert isinstance(start, date) and isinstance(end, date)  # noqa: S101  (narrowing for mypy)
        if end > self.today:
            self.add_error("end", _("Choose a day no later than today."))
        elif start > end:
            self.add_error("start", _("The first day must come before the last day."))
        elif end - start >= LONGEST_RANGE:
            self.add_error("start", _("Choose a range of at most one year."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def as_range(self) -> tuple[date, date]:
        """The checked range (call after ``is_valid()`` returned True)."""
        return self.cleaned_data["start"], self.cleaned_data["end"]
