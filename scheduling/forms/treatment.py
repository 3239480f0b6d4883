"""Forms of the treatment-session pages: a period, one record by hand, a CSV upload and the import confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from family_portal.date_fields import PortalDateField
from scheduling.forms.fields import DateInput, TimeInput
from scheduling.models import TreatmentSession
from scheduling.services.treatment_csv import MAX_BYTES, MAX_MINUTES, MAX_ROWS


class TreatmentPeriodForm(forms.Form):
    start = PortalDateField(label=_("From"), widget=DateInput())
    end = PortalDateField(label=_("Until"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start"].initial = today - timedelta(days=90)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date must not be before the start date."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            self.add_error("end", _("Choose at most one year."))
        return data


class TreatmentSessionForm(forms.ModelForm):
    date = PortalDateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start time"), widget=TimeInput(), input_formats=["%H:%M", "%H:%M:%S"])
    minutes = forms.IntegerField(
        label=_("Length in minutes"),
        min_value=1,
        max_value=MAX_MINUTES,
        help_text=_("For example 180 for three hours."),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the care team. Do not write clinical details here."),
    )

    class Meta:
        model = TreatmentSession
        fields = ["kind", "date", "start_time", "minutes", "attendance", "note"]
        labels = {"kind": _("Kind of session"), "attendance": _("Attendance")}
        widgets = {"attendance": forms.RadioSelect}


class TreatmentUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("UTF-8, at most %(kb)s KB and %(rows)s rows.") % {
            "kb": MAX_BYTES // 1024,
            "rows": MAX_ROWS,
        }


class TreatmentConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)
