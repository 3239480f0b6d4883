"""The counselor's summary form and the patient's review form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from messaging.summaries.models import TEXT_LIMIT, SummaryVersion
from messaging.summaries.services import SummaryText


def _text_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4, "data-summary-text": ""}),
    )


class SummaryForm(forms.Form):
    """Three short parts in plain words; "Check reading level", "Save draft" or "Send for review"."""

    ACTIONS = ("check", "draft", "send")

    attendance = _text_field(
        _("Attendance"), _("How often they came to their appointments lately. Plain words, no details of sessions.")
    )
    working_on = _text_field(_("What they are working on"), _("One or two goals, in words the family uses."))
    how_to_help = _text_field(_("How the family can help"), _("One or two things the family can do this month."))
    language = forms.ChoiceField(
        label=_("Language it is written in"), choices=settings.LANGUAGES, help_text=_("Used to measure reading level.")
    )

    def __init__(self, data: Any = None, *, version: SummaryVersion | None = None, language: str = "en") -> None:
        initial: dict[str, Any] = {"language": language}
        if version is not None:
            initial = {
                "attendance": version.attendance,
                "working_on": version.working_on,
                "how_to_help": version.how_to_help,
                "language": version.language,
            }
        super().__init__(data, initial=initial)

    def text(self) -> SummaryText:
        data = self.cleaned_data
        return SummaryText(
            attendance=data["attendance"],
            working_on=data["working_on"],
            how_to_help=data["how_to_help"],
            language=data["language"],
        )


class ReviewForm(forms.Form):
    """The patient's answer to the version they read: approve, or ask for a change with a comment."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("change", _("Ask for a change"))])
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("What would you like changed?"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your counselor sees this comment. Your family does not."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "change" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what you would like changed."))
        return data
