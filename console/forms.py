"""The console's forms: plain words and controls for what the Django admin showed as raw fields (weekday
checkboxes, "1 day before", a time zone list). Each field is labelled; Django ties help and errors to it with
``aria-describedby``. The forms validate; ``console.services`` and ``consent.caseloads`` write."""

from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING, Any

import phonenumbers
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.forms import COMMON_ZONES
from accounts.models import WEEKDAYS, Program, User
from accounts.validators import validate_display_name
from consent.models import ConsentFormVersion
from console.choices import REMINDER_OFFSETS, describe_offset
from family_portal.date_fields import PortalDateTimeField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STAFF_ROLE_CHOICES = [
    (User.Role.COUNSELOR.value, _("Counselor")),
    (User.Role.PROGRAM_ADMIN.value, _("Program admin")),
]
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
OFFLINE_NOTICE_RANGE = (5, 24 * 60)
SUMMARY_REVIEW_HOURS_RANGE = (1, 14 * 24)
PUSH_FALLBACK_RANGE = (1, 24 * 60)


def _tidy_name(value: str) -> str:
    validate_display_name(value)
    return " ".join(value.split())


class StaffDetailsForm(forms.Form):
    """Name, role and the content-review flag: what an admin may change about a staff member."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES, widget=forms.RadioSelect)
    can_review_content = forms.BooleanField(
        label=_("May review and publish education content"),
        required=False,
        help_text=_("For counselors. Program admins may always publish."),
    )

    def clean_full_name(self) -> str:
        name = _tidy_name(self.cleaned_data["full_name"])
        if not name:
            raise forms.ValidationError(_("Enter their full name."))
        return name


CREDENTIALS_HELP = _("Licences and degrees printed after the name on attendance letters, such as “LCSW, CADC”.")


class StaffEditForm(StaffDetailsForm):
    """The details form for an existing staff member, with their credentials (printed on attendance letters)."""

    credentials = forms.CharField(label=_("Credentials"), max_length=120, required=False, help_text=CREDENTIALS_HELP)

    def clean_credentials(self) -> str:
        return " ".join(self.cleaned_data["credentials"].split())


class StaffInviteForm(StaffDetailsForm):
    """A new counselor or admin: the address their welcome email goes to is their sign-in."""

    email = forms.EmailField(
        label=_("Work email address"),
        max_length=254,
        help_text=_("Their sign-in. We email them a link to choose a password."),
    )
    field_order = ["full_name", "email", "role", "can_review_content"]

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email address already exists. Ask your portal's administrator to change it.")
            )
        return email


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class AssignPatientForm(forms.Form):
    """Put one of the program's patients on one of its counselors' caseloads."""

    patient = PersonChoiceField(queryset=User.objects.none(), label=_("Patient"), empty_label=_("Choose a patient"))
    counselor = PersonChoiceField(
        queryset=User.objects.none(), label=_("Counselor"), empty_label=_("Choose a counselor")
    )

    def __init__(self, *args: Any, patients: QuerySet[User], counselors: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices(self.fields["patient"]).queryset = patients.filter(is_active=True).order_by("full_name", "email")
        self._choices(self.fields["counselor"]).queryset = counselors.filter(is_active=True).order_by(
            "full_name", "email"
        )

    @staticmethod
    def _choices(field: forms.Field) -> forms.ModelChoiceField:
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101  (narrowing for mypy)
        return field


def _zone_choices(current: str) -> list[tuple[str, StrOrPromise]]:
    zones: list[tuple[str, StrOrPromise]] = [(value, label) for value, label in COMMON_ZONES if value]
    if current and current not in dict(zones):
        zones.insert(0, (current, current))
    return zones


def _offset_choices(current: list[int]) -> list[tuple[int, str]]:
    minutes = sorted({*REMINDER_OFFSETS, *(int(m) for m in current or [])}, reverse=True)
    return [(m, describe_offset(m)) for m in minutes]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class ProgramSettingsForm(forms.Form):
    """Office hours, time zone, help phone and the reminder and messaging policies of one program."""

    office_days = forms.TypedMultipleChoiceField(
        label=_("Office days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day the office is open.")},
    )
    office_opens = forms.TimeField(label=_("Office opens at"), widget=TimeInput())
    office_closes = forms.TimeField(label=_("Office closes at"), widget=TimeInput())
    time_zone = forms.ChoiceField(label=_("Time zone"), help_text=_("Office hours and reminders use this zone."))
    help_phone = forms.CharField(
        label=_("Help phone number"),
        required=False,
        max_length=32,
        help_text=_("Given in reply to a text that says HELP. Use a neutral number, such as the front desk."),
    )
    reminder_offsets_minutes = forms.TypedMultipleChoiceField(
        label=_("Session reminders"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "When families are reminded of a session. Leave all unticked to send no reminders. Applies to "
            "sessions booked or moved from now on."
        ),
    )
    offline_notice_minutes = forms.IntegerField(
        label=_("Unread message notice after (minutes)"),
        min_value=OFFLINE_NOTICE_RANGE[0],
        max_value=OFFLINE_NOTICE_RANGE[1],
        help_text=_("How long a message may stay unread before its reader gets a text or email about it."),
    )
    push_fallback_minutes = forms.IntegerField(
        label=_("Text or email after a push notice (minutes)"),
        min_value=PUSH_FALLBACK_RANGE[0],
        max_value=PUSH_FALLBACK_RANGE[1],
        help_text=_(
            "For people with push notifications on: how long a new message may stay unread after the push notice "
            "before they also get a text or email about it."
        ),
    )
    patients_join_care_team = forms.BooleanField(
        label=_("Patients take part in their family's care-team conversation"),
        required=False,
    )
    summary_review_hours = forms.IntegerField(
        label=_("Progress summary review time (hours)"),
        min_value=SUMMARY_REVIEW_HOURS_RANGE[0],
        max_value=SUMMARY_REVIEW_HOURS_RANGE[1],
        help_text=_(
            "How long a patient has to review a progress summary. If they do not answer, it is shared with their "
            "family when this time ends. Applies to summaries sent for review from now on."
        ),
    )
    address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed on the letterhead of attendance letters."),
    )
    phone = forms.CharField(
        label=_("Main phone number for letters"),
        required=False,
        max_length=32,
        help_text=_("Printed on attendance letters. Leave empty to use the help phone number."),
    )

    def __init__(self, data: Any = None, *, program: Program) -> None:
        initial = {
            "office_days": list(program.office_days or []),
            "office_opens": program.office_opens,
            "office_closes": program.office_closes,
            "time_zone": program.time_zone,
            "help_phone": program.help_phone,
            "reminder_offsets_minutes": list(program.reminder_offsets_minutes or []),
            "offline_notice_minutes": program.offline_notice_minutes,
            "push_fallback_minutes": program.push_fallback_minutes,
            "patients_join_care_team": program.patients_join_care_team,
            "summary_review_hours": program.summary_review_hours,
            "address": program.address,
            "phone": program.phone,
        }
        super().__init__(data, initial=initial)
        zone: forms.ChoiceField = self.fields["time_zone"]  # type: ignore[assignment]
        zone.choices = _zone_choices(program.time_zone)
        offsets: forms.ChoiceField = self.fields["reminder_offsets_minutes"]  # type: ignore[assignment]
        offsets.choices = _offset_choices(program.reminder_offsets_minutes)

    def clean_office_days(self) -> list[int]:
        return sorted(set(self.cleaned_data["office_days"]))

    def clean_reminder_offsets_minutes(self) -> list[int]:
        return sorted(set(self.cleaned_data["reminder_offsets_minutes"]), reverse=True)

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return str(value)

    def clean_address(self) -> str:
        return "\n".join(line.strip() for line in self.cleaned_data["address"].strip().splitlines() if line.strip())

    def clean_phone(self) -> str:
        return self._phone(self.cleaned_data["phone"])

    def clean_help_phone(self) -> str:
        return self._phone(self.cleaned_data["help_phone"])

    def _phone(self, value: str) -> str:
        raw = value.strip()
        if not raw:
            return ""
        try:
            parsed = phonenumbers.parse(raw, "US")
        except phonenumbers.NumberParseException:
            parsed = None
        # Possible rather than valid: the fictional 555 numbers of demos and staging must save too.
        possible = phonenumbers.ValidationResult.IS_POSSIBLE
        if parsed is None or phonenumbers.is_possible_number_with_reason(parsed) != possible:
            raise forms.ValidationError(_("Enter a complete phone number, such as (555) 010-2000."))
        return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        opens, closes = cleaned.get("office_opens"), cleaned.get("office_closes")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("office_closes", _("The office must close after it opens."))
        return cleaned


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class ConsentFormVersionForm(forms.Form):
    """A new consent form text. Published versions are never edited: a change is a new version."""

    version = forms.CharField(
        label=_("Version label"),
        max_length=ConsentFormVersion._meta.get_field("version").max_length,
        help_text=_("A short name people can cite, such as 2026-2."),
    )
    text = forms.CharField(
        label=_("Full form text"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_(
            "The whole form as patients read it before signing, including their right to revoke and how to revoke."
        ),
    )
    text_es = forms.CharField(
        label=_("Spanish text (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "lang": "es"}),
        help_text=_(
            "A reviewed Spanish translation that says exactly what the English text says. Spanish-speaking "
            "patients read and sign this text; without it they read the English text."
        ),
    )
    effective_from = PortalDateTimeField(
        label=_("In effect from"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=_("In the program's time zone. Leave empty to publish now."),
    )

    def clean_version(self) -> str:
        label = " ".join(self.cleaned_data["version"].split())
        if not label:
            raise forms.ValidationError(_("Give the version a label."))
        if ConsentFormVersion.objects.filter(version__iexact=label).exists():
            raise forms.ValidationError(_("A version with this label exists already. Choose a new label."))
        return label

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\r\n", "\n").strip()
        if not text:
            raise forms.ValidationError(_("Enter the form text."))
        return text
