"""Widgets and fields the scheduling forms share: HTML date and time inputs (read in the viewer's time zone),
the family members who may be invited, and choices labelled with display names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from consent.gate import recipients
from consent.models import Scope
from family_portal.date_fields import PortalDateTimeField
from scheduling.video import portal_rooms_enabled

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


def local_datetime_field(label: StrOrPromise, **kwargs: Any) -> forms.DateTimeField:
    return PortalDateTimeField(
        label=label, widget=DateTimeLocalInput(), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], **kwargs
    )


def model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """``form.fields[name]`` typed as a model choice field (its queryset is set per viewer)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """``form.fields[name]`` typed as a choice field (its choices are set per viewer)."""
    return cast(forms.ChoiceField, form.fields[name])


DURATION_CHOICES = [
    (30, _("30 minutes")),
    (45, _("45 minutes")),
    (60, _("1 hour")),
    (90, _("1 ½ hours")),
    (120, _("2 hours")),
]


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


def video_link_needed(form: forms.Form, data: dict[str, Any]) -> None:
    """With the portal's own video rooms (``VIDEO_PROVIDER``) the link field is hidden and the modality says the
    portal makes the room; without them a video session needs a pasted link. Call from ``clean``."""
    if data.get("modality") == "video" and not data.get("join_url") and not portal_rooms_enabled():
        form.add_error("join_url", _("Add the video link for a video session."))


def offer_portal_rooms(form: forms.Form) -> None:
    """Hide the pasted-link field when the portal creates video rooms itself. Call from ``__init__``."""
    if portal_rooms_enabled():
        form.fields["join_url"].widget = forms.HiddenInput()
        form.fields["modality"].help_text = _(
            "For a video session the portal creates a private video room. Participants join with the "
            "“Join the video call” button on the session’s page, from 15 minutes before the start."
        )
