"""The weekly check-in form: the four PHQ-4 items, the confidence item and the "share with the care team" box."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.checkins import CONFIDENCE_CHOICES, PHQ4_CHOICES, PHQ4_ITEMS


class CheckInForm(forms.Form):
    """Every item is required; an answer that is not one of the choices (out of range, not a number) is refused
    with the field's own error and nothing is saved."""

    confidence = forms.TypedChoiceField(
        label=_("How confident do you feel responding to your loved one right now?"),
        choices=CONFIDENCE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose how confident you feel, from 1 to 5."),
            "invalid_choice": _("Please choose a number from 1 to 5."),
        },
    )
    share = forms.BooleanField(
        label=_("Share this check-in with the care team"),
        required=False,
        help_text=_(
            "Off unless you tick it. If you tick it, the counselors of the person you support can see this week's "
            "answers. You can stop sharing at any time."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # the questions end in their own punctuation
        super().__init__(*args, **kwargs)
        items = {
            name: forms.TypedChoiceField(
                label=label,
                choices=PHQ4_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please answer this question."),
                    "invalid_choice": _("Please choose one of the four answers."),
                },
            )
            for name, label in PHQ4_ITEMS
        }
        self.fields = {**items, **self.fields}

    def answers(self) -> tuple[int, int, int, int]:
        data = self.cleaned_data
        nervous, worrying, down, little_interest = (data[name] for name, _label in PHQ4_ITEMS)
        return (nervous, worrying, down, little_interest)


class SharingForm(forms.Form):
    """Share one earlier check-in, or stop sharing it: ``share`` is "1" or "0"."""

    share = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")],
        coerce=lambda value: value == "1",
        error_messages={"required": _("Choose whether to share."), "invalid_choice": _("Choose whether to share.")},
    )
