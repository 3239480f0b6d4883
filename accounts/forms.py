"""Profile form: the few things a person may change about themselves."""

from __future__ import annotations

import zoneinfo

from django import forms

from accounts.models import User

COMMON_ZONES = [
    ("", "Use my program's time zone"),
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Arizona (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=COMMON_ZONES, required=False, label="Time zone")

    class Meta:
        model = User
        fields = ["full_name", "preferred_name", "time_zone"]
        labels = {"full_name": "Full name", "preferred_name": "What should we call you?"}
        help_texts = {"preferred_name": "Optional. Shown in greetings and messages."}

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError("Choose a time zone from the list.")
        return value
