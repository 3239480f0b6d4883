"""Forms for the text-message settings page. Validation of numbers and codes lives in ``phones``."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.phones import EXAMPLE_NUMBER, opt_in_label


def _number_help() -> str:
    return gettext("US numbers can be typed as you would dial them, for example %(example)s.") % {
        "example": EXAMPLE_NUMBER
    }


class PhoneNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=lazy(_number_help, str)(),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class ConfirmCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        min_length=6,
        max_length=12,
        help_text=_("We texted it to you. It works for 10 minutes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
    )


class OptInForm(forms.Form):
    agree = forms.BooleanField(label=opt_in_label, required=True)
    wording = forms.CharField(widget=forms.HiddenInput, initial=opt_in_label)  # the words shown, in their language
