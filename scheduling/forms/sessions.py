"""Staff and participant forms for sessions: book, choose a patient, move, cancel, RSVP, attendance, invite and
the counselor's week."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from consent.gate import visible_patients
from consent.models import Scope
from family_portal.date_fields import PortalDateField
from scheduling.forms.fields import (
    DURATION_CHOICES,
    MemberChoiceField,
    PatientChoiceField,
    PatientsChoiceField,
    choice_field,
    local_datetime_field,
    model_field,
    offer_portal_rooms,
    schedule_members,
    video_link_needed,
)
from scheduling.models import FamilySession, Participant


class SessionForm(forms.Form):
    """A counselor books a session for one patient's family, or a group (no patient): open to the program's
    families, or inviting the families of several patients of the counselor's caseload (``group_patients``)."""

    kind = forms.ChoiceField(label=_("Kind of session"), choices=FamilySession.Kind.choices)
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
    starts_at = local_datetime_field(_("Starts"))
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATION_CHOICES, coerce=int, initial=60)
    modality = forms.ChoiceField(
        label=_("Where"), choices=FamilySession.Modality.choices, widget=forms.RadioSelect, initial="in_person"
    )
    location = forms.CharField(label=_("Place (for in-person sessions)"), max_length=200, required=False)
    join_url = forms.URLField(label=_("Video link (for video sessions)"), required=False, assume_scheme="https")
    capacity = forms.IntegerField(
        label=_("Places (group events)"),
        min_value=1,
        max_value=500,
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    family_members = MemberChoiceField(
        label=_("Invite family members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only people whose consent covers scheduling are listed."),
    )
    include_patient = forms.BooleanField(label=_("Invite the patient too"), required=False, initial=True)
    staff_notes = forms.CharField(
        label=_("Staff-only logistics"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Room, interpreter, parking. Never clinical notes. Families never see this."),
    )

    def __init__(
        self, *args: Any, patient: User | None = None, group_patients: QuerySet[User] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        offer_portal_rooms(self)
        self.patient = patient
        if patient is not None or group_patients is None:
            del self.fields["patients"]
        else:
            model_field(self, "patients").queryset = group_patients.order_by("full_name")
        if patient is not None:
            model_field(self, "family_members").queryset = schedule_members(patient)
            choice_field(self, "kind").choices = [
                c for c in FamilySession.Kind.choices if c[0] != FamilySession.Kind.EDUCATION_NIGHT
            ]
        else:
            del self.fields["family_members"]
            del self.fields["include_patient"]
            choice_field(self, "kind").choices = [
                c for c in FamilySession.Kind.choices if c[0] != FamilySession.Kind.FAMILY_THERAPY
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        video_link_needed(self, data)
        if data.get("modality") == FamilySession.Modality.IN_PERSON and not (data.get("location") or "").strip():
            self.add_error("location", _("Add where the session takes place."))
        if data.get("kind") and data["kind"] != FamilySession.Kind.FAMILY_THERAPY and not data.get("title", "").strip():
            self.add_error("title", _("Give the group a title, e.g. “Family night: coping with cravings”."))
        if data.get("patients") and data.get("kind") != FamilySession.Kind.MULTI_FAMILY_GROUP:
            self.add_error("patients", _("Only a multi-family group invites the families of chosen patients."))
        return data


class ChoosePatientForm(forms.Form):
    patient = PatientChoiceField(label=_("Whose family is this for?"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: User, scope: str = Scope.SCHEDULE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "patient").queryset = visible_patients(user, scope).order_by("full_name")


class RescheduleForm(forms.Form):
    starts_at = local_datetime_field(_("New start"))
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATION_CHOICES, coerce=int)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (participants will see it)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Keep it short and plain, e.g. “The counselor is unwell. We will offer a new time.”"),
    )


class CapacityForm(forms.Form):
    """A group's number of places, changed on its staff page (empty: no limit)."""

    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=500,
        required=False,
        help_text=_("Leave empty for no limit. More places go at once to the people waiting, in the order they asked."),
    )


class RsvpForm(forms.Form):
    response = forms.ChoiceField(choices=Participant.answer_choices(), widget=forms.RadioSelect)


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
        label=_("Family members to invite"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, session: FamilySession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        already = session.participants.current().values("user_id")
        queryset = schedule_members(session.patient).exclude(pk__in=already) if session.patient else User.objects.none()
        model_field(self, "members").queryset = queryset
        if session.series_id is not None:
            self.fields["following"] = forms.BooleanField(
                label=_("Also invite them to the following sessions of the series"), required=False, initial=True
            )


class WeekForm(forms.Form):
    """The week view's ``?week=`` (any day of the week to show; empty means this week)."""

    week = PortalDateField(required=False, error_messages={"invalid": _("That week is not a date (use YYYY-MM-DD).")})
