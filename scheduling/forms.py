"""Forms for scheduling pages. Times typed into forms are read in the viewer's time zone (the view activates it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import User, validate_time_zone
from consent.gate import no_consents, recipients, visible_patients
from consent.models import Consent, Scope
from family_portal.date_fields import PortalDateField, PortalDateTimeField
from scheduling.models import Availability, AvailabilityException, FamilySession, Participant
from scheduling.slots import Slot

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def local_datetime_field(label: str, **kwargs: Any) -> forms.DateTimeField:
    return PortalDateTimeField(
        label=label, widget=DateTimeLocalInput(), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], **kwargs
    )


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


DURATION_CHOICES = [(30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (90, "1 ½ hours"), (120, "2 hours")]


def schedule_members(patient: User) -> QuerySet[User]:
    """Family members who may see ``patient``'s schedule now (``consent.gate.recipients``): the candidates to
    invite; the service asks the gate again for each one chosen."""
    return User.objects.filter(pk__in=recipients(patient, Scope.SCHEDULE), role=User.Role.FAMILY)


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class PatientsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class SessionForm(forms.Form):
    """A counselor books a session for one patient's family, or a group (no patient): open to the program's
    families, or inviting the families of several patients of the counselor's caseload (``group_patients``)."""

    kind = forms.ChoiceField(label="Kind of session", choices=FamilySession.Kind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("Shown on the portal only, never in calendar files. Required for groups."),
    )
    description = forms.CharField(
        label=_("Description for families"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    patients = PatientsChoiceField(
        label=_("Invite the families of these patients"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Everyone whose sharing covers sessions is invited. Leave empty for an event open to all families."
        ),
    )
    starts_at = local_datetime_field("Starts")
    duration = forms.TypedChoiceField(label="Length", choices=DURATION_CHOICES, coerce=int, initial=60)
    modality = forms.ChoiceField(
        label="Where", choices=FamilySession.Modality.choices, widget=forms.RadioSelect, initial="in_person"
    )
    location = forms.CharField(label="Place (for in-person sessions)", max_length=200, required=False)
    join_url = forms.URLField(label="Video link (for video sessions)", required=False, assume_scheme="https")
    capacity = forms.IntegerField(
        label="Places (group events)", min_value=1, max_value=500, required=False, help_text="Leave empty for no limit."
    )
    family_members = MemberChoiceField(
        label="Invite family members",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only people whose consent covers scheduling are listed.",
    )
    include_patient = forms.BooleanField(label="Invite the patient too", required=False, initial=True)
    staff_notes = forms.CharField(
        label="Staff-only logistics",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Room, interpreter, parking. Never clinical notes. Families never see this.",
    )

    def __init__(
        self, *args: Any, patient: User | None = None, group_patients: QuerySet[User] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        if patient is not None or group_patients is None:
            del self.fields["patients"]
        else:
            _model_field(self, "patients").queryset = group_patients.order_by("full_name")
        if patient is not None:
            _model_field(self, "family_members").queryset = schedule_members(patient)
            _choice_field(self, "kind").choices = [
                c for c in FamilySession.Kind.choices if c[0] != FamilySession.Kind.EDUCATION_NIGHT
            ]
        else:
            del self.fields["family_members"]
            del self.fields["include_patient"]
            _choice_field(self, "kind").choices = [
                c for c in FamilySession.Kind.choices if c[0] != FamilySession.Kind.FAMILY_THERAPY
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("modality") == FamilySession.Modality.VIDEO and not data.get("join_url"):
            self.add_error("join_url", "Add the video link for a video session.")
        if data.get("modality") == FamilySession.Modality.IN_PERSON and not (data.get("location") or "").strip():
            self.add_error("location", "Add where the session takes place.")
        if data.get("kind") and data["kind"] != FamilySession.Kind.FAMILY_THERAPY and not data.get("title", "").strip():
            self.add_error("title", _("Give the group a title, e.g. “Family night: coping with cravings”."))
        if data.get("patients") and data.get("kind") != FamilySession.Kind.MULTI_FAMILY_GROUP:
            self.add_error("patients", _("Only a multi-family group invites the families of chosen patients."))
        return data


class ChoosePatientForm(forms.Form):
    patient = PatientChoiceField(label="Whose family is this for?", queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: User, scope: str = Scope.SCHEDULE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "patient").queryset = visible_patients(user, scope).order_by("full_name")


class RescheduleForm(forms.Form):
    starts_at = local_datetime_field("New start")
    duration = forms.TypedChoiceField(label="Length", choices=DURATION_CHOICES, coerce=int)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (participants will see it)",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Keep it short and plain, e.g. “The counselor is unwell. We will offer a new time.”",
    )


class RsvpForm(forms.Form):
    response = forms.ChoiceField(
        choices=[c for c in Participant.Rsvp.choices if c[0] != Participant.Rsvp.INVITED], widget=forms.RadioSelect
    )


class AttendanceForm(forms.Form):
    """One choice per participant (``attendance_<id>``)."""

    def __init__(self, *args: Any, participants: list[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.participants = participants
        for participant in participants:
            self.fields[f"attendance_{participant.pk}"] = forms.ChoiceField(
                label=participant.user.display_name,
                choices=Participant.Attendance.choices[1:],
                initial=participant.attendance or Participant.Attendance.ATTENDED,
                widget=forms.RadioSelect,
            )

    def marks(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data[f"attendance_{p.pk}"] for p in self.participants}

    def rows(self) -> list[tuple[Participant, forms.BoundField]]:
        return [(p, self[f"attendance_{p.pk}"]) for p in self.participants]


class InviteForm(forms.Form):
    members = MemberChoiceField(
        label="Family members to invite", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, session: FamilySession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        already = session.participants.current().values("user_id")
        queryset = schedule_members(session.patient).exclude(pk__in=already) if session.patient else User.objects.none()
        _model_field(self, "members").queryset = queryset


class RequestForm(forms.Form):
    """A family member picks an open slot or suggests up to three times."""

    slot = forms.ChoiceField(label="Open times", required=False, widget=forms.RadioSelect)
    proposed_1 = local_datetime_field("Suggested time 1", required=False)
    proposed_2 = local_datetime_field("Suggested time 2", required=False)
    proposed_3 = local_datetime_field("Suggested time 3", required=False)
    modality = forms.ChoiceField(
        label="How would you like to meet?",
        choices=FamilySession.Modality.choices,
        widget=forms.RadioSelect,
        initial=FamilySession.Modality.IN_PERSON,
    )
    message = forms.CharField(
        label="Anything the counselor should know? (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, slots: list[Slot], counselor_names: dict[int, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.slots = slots
        self.counselor_names = counselor_names or {}
        _choice_field(self, "slot").choices = [
            (slot.key, date_format(timezone.localtime(slot.starts_at), "l j F, g:i A")) for slot in slots
        ]

    def proposed(self) -> list[datetime]:
        return [
            self.cleaned_data[name] for name in ("proposed_1", "proposed_2", "proposed_3") if self.cleaned_data[name]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("slot") and not self.proposed():
            raise ValidationError("Choose one of the open times, or suggest a time that suits you.")
        if data.get("slot") and self.proposed():
            raise ValidationError("Choose an open time or suggest times, not both.")
        return data

    def slots_by_day(self) -> list[tuple[date, list[tuple[Slot, Any, str]], bool]]:
        """Radio buttons grouped per local day, each with its counselor's name; a day is shown open when it is the
        first one or holds the time already chosen (after a form error)."""
        widgets = {choice.data["value"]: choice for choice in self["slot"]}
        chosen = str(self["slot"].value() or "")
        days: dict[date, list[tuple[Slot, Any, str]]] = {}
        for slot in self.slots:
            name = self.counselor_names.get(slot.counselor_id, "")
            days.setdefault(timezone.localtime(slot.starts_at).date(), []).append((slot, widgets[slot.key], name))
        return [
            (day, entries, index == 0 or any(slot.key == chosen for slot, _, _ in entries))
            for index, (day, entries) in enumerate(days.items())
        ]


class ConfirmForm(forms.Form):
    """The counselor confirms a request; for suggested times they pick one (or another time)."""

    choice = forms.ChoiceField(label="Time", required=False, widget=forms.RadioSelect)
    other_time = local_datetime_field("Or another time", required=False)
    modality = forms.ChoiceField(label="Where", choices=FamilySession.Modality.choices, widget=forms.RadioSelect)
    location = forms.CharField(label="Place (for in-person sessions)", max_length=200, required=False)
    join_url = forms.URLField(label="Video link (for video sessions)", required=False, assume_scheme="https")
    message = forms.CharField(
        label="Message to the family (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, proposed: list[datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposed = proposed
        _choice_field(self, "choice").choices = [
            (moment.isoformat(), date_format(timezone.localtime(moment), "l j F, g:i A")) for moment in proposed
        ]
        if not proposed:
            del self.fields["choice"]
            del self.fields["other_time"]

    def chosen_start(self) -> datetime | None:
        if not self.proposed:
            return None
        if self.cleaned_data.get("other_time"):
            return self.cleaned_data["other_time"]
        return datetime.fromisoformat(self.cleaned_data["choice"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.proposed and not data.get("choice") and not data.get("other_time"):
            raise ValidationError("Choose one of the suggested times or give another time.")
        if data.get("modality") == FamilySession.Modality.VIDEO and not data.get("join_url"):
            self.add_error("join_url", "Add the video link for a video session.")
        if data.get("modality") == FamilySession.Modality.IN_PERSON and not (data.get("location") or "").strip():
            self.add_error("location", "Add where the session takes place.")
        return data


class DeclineForm(forms.Form):
    message = forms.CharField(
        label="Message to the family",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, offer other times or say when new times will open.",
    )


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["weekday", "start_time", "end_time", "time_zone", "slot_minutes"]
        widgets = {"start_time": TimeInput(), "end_time": TimeInput()}
        labels = {"slot_minutes": "Length of each slot (minutes)", "time_zone": "Time zone"}

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        validate_time_zone(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end must be after the start.")
        minutes = data.get("slot_minutes")
        if minutes is not None and not 15 <= minutes <= 240:
            self.add_error("slot_minutes", "Use between 15 and 240 minutes.")
        return data


class TimeOffForm(forms.ModelForm):
    starts_at = local_datetime_field("From")
    ends_at = local_datetime_field("Until")

    class Meta:
        model = AvailabilityException
        fields = ["starts_at", "ends_at", "note"]
        labels = {"note": "Note (only you see it)"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The end must be after the start.")
        return data


class ReportForm(forms.Form):
    patient = PatientChoiceField(label="Patient", queryset=User.objects.none())
    start = PortalDateField(label="From", widget=DateInput())
    end = PortalDateField(label="Until", widget=DateInput())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "patient").queryset = visible_patients(user, Scope.ATTENDANCE).order_by("full_name")
        today = timezone.localdate()
        self.fields["start"].initial = today - timedelta(days=90)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date must not be before the start date.")
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            self.add_error("end", "Choose at most one year.")
        return data


class WeekForm(forms.Form):
    """The week view's ``?week=`` (any day of the week to show; empty means this week)."""

    week = PortalDateField(required=False, error_messages={"invalid": "That week is not a date (use YYYY-MM-DD)."})


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        organisation = f", {obj.recipient_organisation}" if obj.recipient_organisation else ""
        return f"{obj.recipient_name}{organisation} (consent until {obj.expires_at:%Y-%m-%d})"


class ReleaseForm(forms.Form):
    consent = ConsentChoiceField(
        label="Release to",
        queryset=no_consents(),
        empty_label=None,
        widget=forms.RadioSelect,
        help_text="Only recipients named on an effective consent that includes attendance are listed.",
    )

    def __init__(self, *args: Any, consents: QuerySet[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "consent").queryset = consents
