"""Forms for the consent wizard, paper intake, revocation, invitations, representatives and break-glass."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.models import User
from accounts.validators import validate_display_name
from consent.models import ORIGINAL_LANGUAGE, Consent, ConsentFormVersion, PersonalRepresentative
from consent.plain import scope_choices_for_patient
from consent.services import check_signature
from family_portal.date_fields import PortalDateField

DISCHARGE_EVENT = "Discharge from the program"  # stored on the consent; shown through consent.plain.event_label
MAX_CONSENT_DAYS = 366  # policy backstop (consent-and-privacy § 2): renew with a new consent
FAMILY_PURPOSES = [
    (Consent.Purpose.FAMILY_INVOLVEMENT.value, _("To involve this person in my treatment")),
    (Consent.Purpose.PATIENT_REQUEST.value, _("Because I ask for it")),
]


class DateInput(forms.DateInput):
    """A browser date picker: its value is always ISO ``YYYY-MM-DD`` (HTML), whatever the active language's date
    format, or a Spanish page would show the picker empty (Django's es format is dd/mm/YYYY)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """Sharing lasts through ``day``: it ends at the following midnight, local time."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


class ConsentDetailsForm(forms.Form):
    """Step 1 of the wizard (and the top of the paper form): who, what, why and until when."""

    recipient_name = forms.CharField(label=_("Their full name"), max_length=150, validators=[validate_display_name])
    recipient_email = forms.EmailField(
        label=_("Their email address"), help_text=_("We send them an invitation to the portal at this address.")
    )
    recipient_relationship = forms.CharField(
        label=_("How are they related to you? (optional)"), max_length=80, required=False
    )
    scopes = forms.MultipleChoiceField(
        label=_("What they may see"),
        choices=scope_choices_for_patient,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of information to share.")},
        help_text=_("Choose only what they need. Clinical notes, diagnoses and test results are never shared."),
    )
    purpose = forms.ChoiceField(label=_("Why you are sharing"), choices=FAMILY_PURPOSES, widget=forms.RadioSelect)
    expires_on = PortalDateField(
        label=_("Sharing ends after this date"),
        widget=DateInput,
        help_text=_("Up to one year from today. You can stop sharing sooner at any time."),
    )
    end_at_discharge = forms.BooleanField(
        label=_("Also stop sharing if I am discharged from the program"), required=False, initial=True
    )

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any) -> None:
        self.tz = tz
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["expires_on"].initial = timezone.localdate(timezone=tz) + timedelta(days=180)
            self.fields["purpose"].initial = Consent.Purpose.FAMILY_INVOLVEMENT.value

    def clean_recipient_name(self) -> str:
        return " ".join(self.cleaned_data["recipient_name"].split())

    def clean_expires_on(self) -> date:
        day: date = self.cleaned_data["expires_on"]
        today = timezone.localdate(timezone=self.tz)
        if day < today:
            raise forms.ValidationError(_("Choose today or a later date."))
        if day > today + timedelta(days=MAX_CONSENT_DAYS - 1):
            raise forms.ValidationError(_("Choose a date within one year. You can sign a new consent later."))
        return day

    def grant_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "recipient_name": data["recipient_name"],
            "recipient_email": data["recipient_email"].lower(),
            "recipient_relationship": data["recipient_relationship"].strip(),
            "scopes": list(data["scopes"]),
            "purpose": data["purpose"],
            "expires_at": end_of_day(data["expires_on"], self.tz),
            "expiry_event": DISCHARGE_EVENT if data["end_at_discharge"] else "",
        }


class ChangeConsentForm(ConsentDetailsForm):
    """Step 1 of changing a consent: the same recipient, new kinds of information, reason or end date."""

    def __init__(self, *args: Any, consent: Consent, tz: ZoneInfo, **kwargs: Any) -> None:
        self.consent = consent
        super().__init__(*args, tz=tz, **kwargs)
        for name in ("recipient_name", "recipient_email", "recipient_relationship"):
            del self.fields[name]
        if not self.is_bound:
            last_day = (consent.expires_at - timedelta(microseconds=1)).astimezone(tz).date()
            self.initial.update(
                scopes=consent.scopes,
                purpose=consent.purpose,
                expires_on=max(last_day, timezone.localdate(timezone=tz)),
                end_at_discharge=bool(consent.expiry_event),
            )
        self.fields["scopes"].label = _("What they may see from now on")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and self.change_kwargs() == self._unchanged():
            raise forms.ValidationError(_("Nothing is different yet: change what they may see, why, or the end date."))
        return data

    def change_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "scopes": sorted(data["scopes"]),
            "purpose": data["purpose"],
            "expires_at": end_of_day(data["expires_on"], self.tz),
            "expiry_event": DISCHARGE_EVENT if data["end_at_discharge"] else "",
        }

    def _unchanged(self) -> dict[str, Any]:
        consent = self.consent
        return {
            "scopes": sorted(consent.scopes),
            "purpose": consent.purpose,
            "expires_at": consent.expires_at,
            "expiry_event": consent.expiry_event,
        }


class SignForm(forms.Form):
    """Step 2: the full form text is on the page; a typed name signs it (the signer's full name as recorded)."""

    form_version = forms.CharField(widget=forms.HiddenInput)
    form_language = forms.ChoiceField(
        choices=settings.LANGUAGES, widget=forms.HiddenInput, initial=ORIGINAL_LANGUAGE, required=False
    )
    signature = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=150,
        help_text=_("This is your electronic signature."),
        validators=[validate_display_name],
    )
    guardian_signature = forms.CharField(
        label=_("Parent or guardian: type your full name to sign"),
        max_length=150,
        required=False,
        validators=[validate_display_name],
    )
    agree = forms.BooleanField(
        label=_("I have read the consent form above and I agree to it."),
        error_messages={"required": _("Tick the box to show you have read and agree to the form.")},
    )

    def __init__(self, *args: Any, needs_guardian: bool = False, signer: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_guardian = needs_guardian
        self.signer = signer
        if needs_guardian:
            self.fields["guardian_signature"].required = True
        else:
            del self.fields["guardian_signature"]

    def clean_signature(self) -> str:
        signature = " ".join(self.cleaned_data["signature"].split())
        if len(signature) < 2:
            raise forms.ValidationError(_("Type your full name."))
        if self.signer is not None:
            try:
                check_signature(signature, self.signer)
            except ValidationError as exc:
                raise forms.ValidationError(exc.message_dict["signature"]) from exc
        return signature

    def clean_form_version(self) -> str:
        version = self.cleaned_data["form_version"]
        if version != ConsentFormVersion.current().version:
            raise forms.ValidationError(_("The consent form has changed. Please read the new form before signing."))
        return version

    def clean_form_language(self) -> str:
        """The language of the form text the signer read (the page they signed on): it must still exist."""
        language: str = self.cleaned_data["form_language"] or ORIGINAL_LANGUAGE
        if not ConsentFormVersion.current().has_language(language):
            raise forms.ValidationError(_("The consent form has changed. Please read the new form before signing."))
        return language


class PaperConsentForm(ConsentDetailsForm):
    """A paper consent the patient signed, entered by a counselor; a second staff member reviews it."""

    signer_role = forms.ChoiceField(label=_("Who signed"), choices=Consent.SignerRole.choices)
    signature = forms.CharField(
        label=_("Name as signed on the form"), max_length=150, validators=[validate_display_name]
    )
    guardian_signature = forms.CharField(
        label=_("Parent or guardian's name as signed"),
        max_length=150,
        required=False,
        validators=[validate_display_name],
    )
    signed_on = PortalDateField(label=_("Date signed"), widget=DateInput)
    form_language = forms.ChoiceField(
        label=_("Language of the signed form"), choices=settings.LANGUAGES, initial=ORIGINAL_LANGUAGE, required=False
    )
    paper_form_reference = forms.CharField(
        label=_("Form reference"), max_length=120, help_text=_("Where the signed paper (or its scan) is filed.")
    )
    attested = forms.BooleanField(
        label=_("I checked the signed paper form: every part is filled in and it is signed and dated."),
        error_messages={"required": _("Confirm that you checked the signed paper form.")},
    )

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, tz=tz, **kwargs)
        self.fields["recipient_name"].label = _("Recipient's full name")
        self.fields["recipient_email"].label = _("Recipient's email address")
        self.fields["recipient_relationship"].label = _("Relationship to the patient (optional)")
        purpose = self.fields["purpose"]
        assert isinstance(purpose, forms.ChoiceField)  # noqa: S101
        purpose.label = _("Purpose on the form")
        purpose.choices = [
            (choice.value, choice.label)
            for choice in (Consent.Purpose.FAMILY_INVOLVEMENT, Consent.Purpose.PATIENT_REQUEST)
        ]
        self.fields["scopes"].label = _("Information the form allows")
        self.fields["scopes"].help_text = _("Tick exactly what the signed form allows, nothing more.")
        self.fields["end_at_discharge"].label = _("The form also ends sharing at discharge")
        self.fields["expires_on"].label = _("Sharing ends after this date (as on the form)")

    def clean_signed_on(self) -> date:
        day: date = self.cleaned_data["signed_on"]
        if day > timezone.localdate(timezone=self.tz):
            raise forms.ValidationError(_("The date signed cannot be in the future."))
        return day

    def paper_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        signed_on: date = data["signed_on"]
        today = timezone.localdate(timezone=self.tz)
        signed_at = timezone.now() if signed_on == today else datetime.combine(signed_on, time(12), tzinfo=self.tz)
        return {
            **self.grant_kwargs(),
            "signer_role": data["signer_role"],
            "signature": " ".join(data["signature"].split()),
            "guardian_signature": data["guardian_signature"].strip(),
            "signed_at": signed_at,
            "paper_form_reference": data["paper_form_reference"].strip(),
            "attested": data["attested"],
            "form_language": data["form_language"] or ORIGINAL_LANGUAGE,
        }


class RevokeForm(forms.Form):
    """Stopping sharing is confirmed by typing a word: STOP, or its translation in the reader's language."""

    confirm = forms.CharField(label=_("Type STOP to confirm"), max_length=20)

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value.upper() not in {"STOP", pgettext("the word typed to confirm stopping sharing", "STOP").upper()}:
            raise forms.ValidationError(_("Type the word STOP to confirm."))
        return value


class RecordRevocationForm(forms.Form):
    document_reference = forms.CharField(
        label=_("Reference of the written revocation"),
        max_length=120,
        help_text=_("Where the letter or its scan is filed."),
    )
    attested = forms.BooleanField(
        label=_("I have the patient's signed, written revocation."),
        error_messages={"required": _("Confirm that you have the written revocation.")},
    )


class EndByEventForm(forms.Form):
    note = forms.CharField(label=_("What happened"), max_length=300, help_text=_("For example: discharged on 3 March."))


class BreakGlassForm(forms.Form):
    patient = forms.ModelChoiceField(
        label=_("Patient"), queryset=User.objects.none(), empty_label=_("Choose a patient")
    )
    reason = forms.CharField(
        label=_("Why you need emergency access"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your program admins are told that you used emergency access. Access ends after one hour."),
    )

    def __init__(self, *args: Any, patients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["patient"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = patients
        field.label_from_instance = _patient_label  # type: ignore[method-assign,assignment]


def _patient_label(user: User) -> str:
    return user.full_name or user.display_name


class RepresentativeForm(forms.Form):
    email = forms.EmailField(
        label=_("Representative's portal email"),
        help_text=_("They need their own family-member account first (they can create one from the sign-up page)."),
    )
    authority = forms.ChoiceField(label=_("Legal authority"), choices=PersonalRepresentative.Authority.choices)
    document_reference = forms.CharField(label=_("Document reference"), max_length=120)
    limits = forms.CharField(label=_("Limits of the authority (optional)"), max_length=300, required=False)
    expires_on = PortalDateField(label=_("Authority ends after (optional)"), widget=DateInput, required=False)
