"""The attendance report and its release outside the program under a consent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from consent.gate import no_consents, visible_patients
from consent.models import Consent, Scope
from family_portal.date_fields import PortalDateField
from scheduling.forms.fields import DateInput, PatientChoiceField, model_field


class ReportForm(forms.Form):
    # Django 6.1's own label, which its Spanish catalogue does not translate yet: ours does, for every select.
    patient = PatientChoiceField(
        label=_("Patient"), queryset=User.objects.none(), empty_label=_("- Select an option -")
    )
    start = PortalDateField(label=_("From"), widget=DateInput())
    end = PortalDateField(label=_("Until"), widget=DateInput())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "patient").queryset = visible_patients(user, Scope.ATTENDANCE).order_by("full_name")
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


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        recipient = obj.recipient_name
        if obj.recipient_organisation:
            recipient = f"{recipient}, {obj.recipient_organisation}"
        return gettext("%(recipient)s (consent until %(date)s)") % {
            "recipient": recipient,
            "date": f"{obj.expires_at:%Y-%m-%d}",
        }


class ReleaseForm(forms.Form):
    consent = ConsentChoiceField(
        label=_("Release to"),
        queryset=no_consents(),
        empty_label=None,
        widget=forms.RadioSelect,
        help_text=_("Only recipients named on an effective consent that includes attendance are listed."),
    )

    def __init__(self, *args: Any, consents: QuerySet[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "consent").queryset = consents
