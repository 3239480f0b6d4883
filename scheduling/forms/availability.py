"""Counselor availability: weekly hours and time off."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone
from scheduling.forms.fields import TimeInput, local_datetime_field
from scheduling.models import Availability, AvailabilityException


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["weekday", "start_time", "end_time", "time_zone", "slot_minutes"]
        widgets = {"start_time": TimeInput(), "end_time": TimeInput(attrs={"max": "22:00"})}
        labels = {
            "weekday": _("Weekday"),
            "start_time": _("Start time"),
            "end_time": _("End time"),
            "slot_minutes": _("Length of each slot (minutes)"),
            "time_zone": _("Time zone"),
        }
        help_texts = {
            "end_time": _("Evening hours may run until 10:00 PM."),
            "time_zone": _("The program's time zone, unless you work in another."),
        }

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        validate_time_zone(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The end must be after the start."))
        minutes = data.get("slot_minutes")
        if minutes is not None and not 15 <= minutes <= 240:
            self.add_error("slot_minutes", _("Use between 15 and 240 minutes."))
        return data


class TimeOffForm(forms.ModelForm):
    starts_at = local_datetime_field(_("From"))
    ends_at = local_datetime_field(_("Until"))

    class Meta:
        model = AvailabilityException
        fields = ["starts_at", "ends_at", "note"]
        labels = {"note": _("Note (only you see it)")}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must be after the start."))
        return data
