"""Step 1 of the consent wizard for a court, a probation or parole officer, or a drug court (42 CFR § 2.35):
who receives it, the referral, until when, and when the patient may revoke it (``consent.models.criminal_justice``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.forms import ConsentDetailsForm, DateInput, end_of_day
from consent.models import USE_RESTRICTION, Consent, Scope
from consent.plain import ATTENDANCE_FOR_COURT, revocation_terms
from family_portal.date_fields import PortalDateField

CRIMINAL_JUSTICE_RECIPIENTS = [
    (Consent.RecipientKind.COURT.value, _("A court")),
    (Consent.RecipientKind.PROBATION.value, _("A probation or parole officer")),
    (Consent.RecipientKind.DRUG_COURT.value, _("A drug court")),
]
ANY_TIME, AFTER_DATE, AFTER_EVENT = "any_time", "after_date", "after_event"
REVOCATION_CHOICES = [
    (ANY_TIME, _("At any time")),
    (AFTER_DATE, _("Only from a date")),
    (AFTER_EVENT, _("Only after an event, such as the end of my court case or supervision")),
]


class CriminalJusticeDetailsForm(ConsentDetailsForm):
    """Who at the court or agency, who referred the patient and in which proceeding, until when (the end date) and
    when it may be revoked. The only information shared is attendance; the recipient gets no portal account."""

    recipient_kind = forms.ChoiceField(
        label=_("Who receives it"), choices=CRIMINAL_JUSTICE_RECIPIENTS, widget=forms.RadioSelect
    )
    recipient_organisation = forms.CharField(label=_("Court or agency"), max_length=200)
    referral_source = forms.CharField(
        label=_("Who referred you to treatment"),
        max_length=200,
        help_text=_("For example: the judge, or your probation officer, and their court or office."),
    )
    referral_proceeding = forms.CharField(
        label=_("The case or supervision that requires treatment"),
        max_length=200,
        help_text=_("For example: a case number, or your probation term."),
    )
    revocation = forms.ChoiceField(
        label=_("When you may stop this consent"), choices=REVOCATION_CHOICES, widget=forms.RadioSelect
    )
    revocable_on = PortalDateField(label=_("You may stop it from this date"), widget=DateInput, required=False)
    revocable_event = forms.CharField(label=_("You may stop it after this event"), max_length=200, required=False)

    field_order = [
        "recipient_kind",
        "recipient_name",
        "recipient_organisation",
        "referral_source",
        "referral_proceeding",
        "expires_on",
        "revocation",
        "revocable_on",
        "revocable_event",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("recipient_email", "recipient_relationship", "scopes", "purpose", "end_at_discharge"):
            del self.fields[name]
        self.fields["recipient_name"].label = _("Name of the judge, officer or contact person")
        self.fields["expires_on"].help_text = _(
            "Choose a date that fits your treatment and when your case or supervision is expected to end."
        )
        if not self.is_bound:
            self.fields["revocation"].initial = ANY_TIME

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        revocation, day = data.get("revocation"), data.get("revocable_on")
        if revocation == AFTER_DATE:
            self._check_revocable_on(day, data.get("expires_on"))
        if revocation == AFTER_EVENT and not data.get("revocable_event", "").strip():
            self.add_error("revocable_event", _("Name the event after which you may stop it."))
        return data

    def _check_revocable_on(self, day: date | None, expires_on: date | None) -> None:
        if day is None:
            self.add_error("revocable_on", _("Choose the date from which you may stop it."))
        elif day <= timezone.localdate(timezone=self.tz):
            self.add_error("revocable_on", _("Choose a later date, or choose “At any time”."))
        elif expires_on is not None and day > expires_on:
            self.add_error("revocable_on", _("Choose a date on or before the date the consent ends."))

    def revocable_after(self) -> datetime | None:
        """The start of the chosen day, in the program's time zone (the patient may revoke from that day on)."""
        data = self.cleaned_data
        if data["revocation"] != AFTER_DATE:
            return None
        day: date = data["revocable_on"]
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def revocable_after_event(self) -> str:
        data = self.cleaned_data
        return " ".join(data["revocable_event"].split()) if data["revocation"] == AFTER_EVENT else ""

    def grant_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "recipient_kind": data["recipient_kind"],
            "recipient_name": data["recipient_name"],
            "recipient_organisation": data["recipient_organisation"].strip(),
            "referral_source": data["referral_source"].strip(),
            "referral_proceeding": data["referral_proceeding"].strip(),
            "scopes": [Scope.ATTENDANCE.value],
            "purpose": Consent.Purpose.COURT_REPORTING,
            "expires_at": end_of_day(data["expires_on"], self.tz),
            "revocable_after": self.revocable_after(),
            "revocable_after_event": self.revocable_after_event(),
        }

    def sign_summary(self, discloser: str) -> dict[str, Any]:
        """What the patient agrees to, for the sign page: every § 2.35 element, and plainly when they may stop it."""
        data = self.cleaned_data
        return {
            "criminal_justice": True,
            "discloser": discloser,
            "recipient_name": data["recipient_name"],
            "recipient_kind": dict(CRIMINAL_JUSTICE_RECIPIENTS)[data["recipient_kind"]],
            "recipient_organisation": data["recipient_organisation"].strip(),
            "referral_source": data["referral_source"].strip(),
            "referral_proceeding": data["referral_proceeding"].strip(),
            "scopes": [ATTENDANCE_FOR_COURT],
            "purpose": Consent.Purpose.COURT_REPORTING.label,
            "expires_on": data["expires_on"],
            "revocation": revocation_terms(self.revocable_after(), self.revocable_after_event(), self.tz),
            "limits_revocation": data["revocation"] != ANY_TIME,
            "use_restriction": USE_RESTRICTION,
        }
