"""Forms for the no-JavaScript path: write, edit and start conversations with plain posts."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from messaging.text import MAX_BODY_CHARS, clean_body

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _body_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.CharField:
    """The message box; rendered by the one field template, which ties its help and errors to it."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        strip=False,
        error_messages={"required": _("Write a message before sending.")},
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_BODY_CHARS}),
    )


class MessageForm(forms.Form):
    body = _body_field(
        _("Your message"), _("Up to 4,000 characters. Links that start with http:// or https:// become clickable.")
    )

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])


class EditMessageForm(forms.Form):
    body = _body_field(_("Message text"), _("Up to 4,000 characters."))

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])


def _escaped(value: Any) -> str:
    """``conditional_escape(value)``, without its lazy-string checks for a plain ``str`` (the select's twenty
    options)."""
    return html.escape(value) if type(value) is str else conditional_escape(value)


class StartConversationForm(forms.Form):
    """Choose who to talk to one-to-one; the choices are exactly the pairs the viewer may start."""

    person = forms.ChoiceField(label=_("Start a one-to-one conversation with"))

    def __init__(self, *args: Any, options: list[tuple[User, User]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = {f"{patient.pk}:{other.pk}": (patient, other) for patient, other in options}
        field = cast(forms.ChoiceField, self.fields["person"])
        label = gettext("%(person)s (about %(patient)s)")
        self.choices = [
            (key, label % {"person": other.display_name, "patient": patient.display_name})
            for key, (patient, other) in self.options.items()
        ]
        field.choices = self.choices

    def person_select(self) -> SafeString:
        """The unbound ``person`` select as ``str(self["person"])`` renders it, byte for byte (tested), built here
        rather than by a widget template per option (issue #17: the inbox page). Labels and values escaped."""
        options = "".join(
            f'  <option value="{_escaped(key)}">{_escaped(label)}</option>\n\n' for key, label in self.choices
        )
        select = f'<select name="person" id="{_escaped(self["person"].auto_id)}">\n{options}</select>'
        return mark_safe(select)  # noqa: S308 (every value escaped)

    def clean_person(self) -> tuple[User, User]:
        return self.options[self.cleaned_data["person"]]
