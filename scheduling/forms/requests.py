"""Families' session requests and the counselor's answer (confirm or decline)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from scheduling.forms.fields import choice_field, local_datetime_field, offer_portal_rooms, video_link_needed
from scheduling.models import FamilySession
from scheduling.slots import Slot


class RequestForm(forms.Form):
    """A family member picks an open slot or suggests up to three times."""

    slot = forms.ChoiceField(label=_("Open times"), required=False, widget=forms.RadioSelect)
    proposed_1 = local_datetime_field(_("Suggested time 1"), required=False)
    proposed_2 = local_datetime_field(_("Suggested time 2"), required=False)
    proposed_3 = local_datetime_field(_("Suggested time 3"), required=False)
    modality = forms.ChoiceField(
        label=_("How would you like to meet?"),
        choices=FamilySession.Modality.choices,
        widget=forms.RadioSelect,
        initial=FamilySession.Modality.IN_PERSON,
    )
    message = forms.CharField(
        label=_("Anything the counselor should know? (optional)"),
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
        choice_field(self, "slot").choices = [
            (slot.key, date_format(timezone.localtime(slot.starts_at), "WEEKDAY_DATETIME_FORMAT")) for slot in slots
        ]

    def proposed(self) -> list[datetime]:
        return [
            self.cleaned_data[name] for name in ("proposed_1", "proposed_2", "proposed_3") if self.cleaned_data[name]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("slot") and not self.proposed():
            raise ValidationError(_("Choose one of the open times, or suggest a time that suits you."))
        if data.get("slot") and self.proposed():
            raise ValidationError(_("Choose an open time or suggest times, not both."))
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
            (day, entries, index == 0 or any(slot.key == chosen for slot, _radio, _name in entries))
            for index, (day, entries) in enumerate(days.items())
        ]


class ConfirmForm(forms.Form):
    """The counselor confirms a request; for suggested times they pick one (or another time)."""

    choice = forms.ChoiceField(label=_("Time"), required=False, widget=forms.RadioSelect)
    other_time = local_datetime_field(_("Or another time"), required=False)
    modality = forms.ChoiceField(label=_("Where"), choices=FamilySession.Modality.choices, widget=forms.RadioSelect)
    location = forms.CharField(label=_("Place (for in-person sessions)"), max_length=200, required=False)
    join_url = forms.URLField(label=_("Video link (for video sessions)"), required=False, assume_scheme="https")
    message = forms.CharField(
        label=_("Message to the family (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, proposed: list[datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_portal_rooms(self)
        self.proposed = proposed
        choice_field(self, "choice").choices = [
            (moment.isoformat(), date_format(timezone.localtime(moment), "WEEKDAY_DATETIME_FORMAT"))
            for moment in proposed
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
            raise ValidationError(_("Choose one of the suggested times or give another time."))
        video_link_needed(self, data)
        if data.get("modality") == FamilySession.Modality.IN_PERSON and not (data.get("location") or "").strip():
            self.add_error("location", _("Add where the session takes place."))
        return data


class DeclineForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the family"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example, offer other times or say when new times will open."),
    )
