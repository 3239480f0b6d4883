"""The "Repeat" part of the booking form and the series actions: change this and following, cancel the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from scheduling.forms.fields import DateInput
from scheduling.recurrence import MAX_OCCURRENCES


class RepeatForm(forms.Form):
    """Rendered with the prefix ``repeat`` inside the booking form; "Does not repeat" books one session."""

    NONE = "0"
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[(NONE, _("Does not repeat")), ("1", _("Every week")), ("2", _("Every two weeks"))],
        initial=NONE,
        required=False,
    )
    ends = forms.ChoiceField(
        label=_("Ends"),
        choices=[("count", _("After a number of sessions")), ("until", _("On a date"))],
        initial="count",
        widget=forms.RadioSelect,
        required=False,
    )
    count = forms.IntegerField(
        label=_("Number of sessions"),
        min_value=2,
        max_value=MAX_OCCURRENCES,
        required=False,
        help_text=_("Including the first one; at most 52."),
    )
    until = forms.DateField(
        label=_("Last date"),
        widget=DateInput(),
        required=False,
        help_text=_("The series ends on this date (in the program’s time zone)."),
    )

    @property
    def repeats(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("frequency", self.NONE) not in ("", self.NONE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("frequency") in ("", self.NONE, None):
            return data
        if data.get("ends") == "until":
            if not data.get("until") and "until" not in self.errors:
                self.add_error("until", _("Choose the date of the last session."))
            data["count"] = None
        else:
            if not data.get("count") and "count" not in self.errors:
                self.add_error("count", _("Say how many sessions, from 2 to %(max)d.") % {"max": MAX_OCCURRENCES})
            data["until"] = None
        return data

    def rule_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``schedule_series`` for the rule."""
        data = self.cleaned_data
        return {"every_weeks": int(data["frequency"]), "count": data.get("count"), "until": data.get("until")}


class SeriesCancelForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Which sessions?"),
        choices=[
            ("following", _("This session and the following ones")),
            ("all", _("Every future session of the series")),
        ],
        widget=forms.RadioSelect,
        initial="following",
    )
    reason = forms.CharField(
        label=_("Reason (participants will see it)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
