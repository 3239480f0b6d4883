"""Forms of the attendance-letter pages: issuing one (consent and period), withdrawing one, and typing a code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consent.gate import no_consents
from consent.models import Consent
from family_portal.date_fields import PortalDateField
from scheduling.forms.fields import DateInput, model_field


class LetterConsentField(forms.ModelChoiceField):
    """A consent named by its recipient and the day it was signed (never an internal id)."""

    def label_from_instance(self, obj: Any) -> str:
        recipient = obj.recipient_name
        if obj.recipient_organisation:
            recipient = f"{recipient}, {obj.recipient_organisation}"
        signed = formats.date_format(obj.signed_at.astimezone(obj.program.tz).date(), "DATE_FORMAT")
        return gettext("%(recipient)s (consent signed %(date)s)") % {"recipient": recipient, "date": signed}


class LetterIssueForm(forms.Form):
    consent = LetterConsentField(
        label=_("Send to"),
        queryset=no_consents(),
        empty_label=None,
        widget=forms.RadioSelect,
        help_text=_("Only a court, probation or parole officer or drug court named on a consent in force is listed."),
    )
    start = PortalDateField(label=_("From"), widget=DateInput())
    end = PortalDateField(label=_("Until"), widget=DateInput())

    def __init__(self, *args: Any, consents: QuerySet[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "consent").queryset = consents
        today = timezone.localdate()
        self.fields["start"].initial = today - timedelta(days=30)
        self.fields["end"].initial = today


class LetterWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the letter withdrawn?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit log. Do not write clinical details here."),
    )


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("As printed on the letter, for example 7KQ4-M2XD-9TRF-WB3P-H6NA. Capitals or not, dashes or not."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
