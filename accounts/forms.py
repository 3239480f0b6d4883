"""Profile form: the few things a person may change about themselves."""

from __future__ import annotations

import zoneinfo
from typing import Any

from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.names import NAME_FIELDS, staff_name_error
from accounts.validators import validate_display_name

COMMON_ZONES = [
    ("", _("Use my program's time zone")),
    ("America/New_York", _("Eastern (New York)")),
    ("America/Chicago", _("Central (Chicago)")),
    ("America/Denver", _("Mountain (Denver)")),
    ("America/Phoenix", _("Arizona (Phoenix)")),
    ("America/Los_Angeles", _("Pacific (Los Angeles)")),
    ("America/Anchorage", _("Alaska (Anchorage)")),
    ("Pacific/Honolulu", _("Hawaii (Honolulu)")),
]


def _tidy_name(value: str) -> str:
    """Refuse hidden characters as typed (a line break too), then collapse runs of spaces."""
    validate_display_name(value)
    return " ".join(value.split())


def language_field() -> forms.ChoiceField:
    """The language a person's pages, emails and texts reach them in; the names are each language's own."""
    return forms.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,  # left out of a post: unchanged (account page) or the page's language (sign-up)
        label=_("Language"),
        help_text=_("Pages, emails and text messages reach you in this language."),
    )


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=COMMON_ZONES, required=False, label=_("Time zone"))
    preferred_language = language_field()

    class Meta:
        model = User
        fields = ["full_name", "preferred_name", "credentials", "time_zone", "preferred_language"]
        labels = {
            "full_name": _("Full name"),
            "preferred_name": _("What should we call you?"),
            "credentials": _("Credentials"),
        }
        help_texts = {
            "preferred_name": _("Optional. Shown in greetings and messages."),
            "credentials": _(
                "Licences and degrees printed after your name on attendance letters, such as “LCSW, CADC”."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.is_care_staff:  # only staff sign letters
            del self.fields["credentials"]

    def clean_credentials(self) -> str:
        return " ".join(self.cleaned_data["credentials"].split())

    def clean_full_name(self) -> str:
        return _tidy_name(self.cleaned_data["full_name"])

    def clean_preferred_name(self) -> str:
        return _tidy_name(self.cleaned_data["preferred_name"])

    def clean(self) -> dict[str, Any]:
        """A family member or patient may not take a staff member's name (AUTH-13)."""
        cleaned = super().clean() or self.cleaned_data
        names = {field: cleaned[field] for field in NAME_FIELDS if field in cleaned}
        for field, message in staff_name_error(self.instance, names).items():
            self.add_error(field, message)
        return cleaned

    def clean_preferred_language(self) -> str:
        return self.cleaned_data.get("preferred_language") or self.instance.preferred_language

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return value


class PortalSignupForm(SignupForm):
    """allauth's sign-up form and the person's language, first offered as the one they are reading
    (chosen in the header, or their browser's); ``AccountAdapter.save_user`` keeps it."""

    preferred_language = language_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].initial = translation.get_language()

    def clean_preferred_language(self) -> str:
        """Left out of the post: the language of the page it came from."""
        language: str = self.cleaned_data.get("preferred_language") or ""
        active = translation.get_language()
        return language or (active if active in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE)
