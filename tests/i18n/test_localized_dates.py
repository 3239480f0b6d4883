"""Dates and times in the reader's language (issue #18): pages name a format (family_portal/formats/), never a
hand-written pattern, so Spanish pages read "5 de junio de 2027, 6:00 p.m." and English ones "Jun 5, 2027"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from consent.forms import DateInput
from messaging.hours import after_hours_notice

pytestmark = pytest.mark.django_db

SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def test_a_spanish_page_writes_dates_the_spanish_way(login, patient, family_member):
    patient.preferred_language = "es"
    patient.save()
    last = timezone.localtime(patient.consents_given.get().last_moment, patient.tz)
    spanish = f"{last.day} de {SPANISH_MONTHS[last.month - 1]} de {last.year}"

    page = login(patient).get(reverse("consent:my_sharing")).content.decode()

    assert spanish in page
    assert last.strftime("%b") + f" {last.day}, {last.year}" not in page


def test_the_same_page_in_english_keeps_the_us_style(login, patient, family_member):
    last = timezone.localtime(patient.consents_given.get().last_moment, patient.tz)
    page = login(patient).get(reverse("consent:my_sharing")).content.decode()
    assert f"{last:%b} {last.day}, {last.year}" in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Monday at 9:00 AM (EST)"), ("es", "el lunes a las 9:00 a.m. (EST)")],
)
def test_the_after_hours_notice_names_the_opening_in_the_readers_language(program, language, expected):
    friday_evening = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    with translation.override(language):
        notice = after_hours_notice(program, friday_evening)
    assert notice is not None and notice.expected == expected


def test_tomorrow_and_today_in_spanish(program):
    with translation.override("es"):
        monday_evening = after_hours_notice(program, datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
        tuesday_early = after_hours_notice(program, datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    assert monday_evening is not None and monday_evening.expected == "mañana a las 9:00 a.m. (EST)"
    assert tuesday_early is not None and tuesday_early.expected == "hoy a las 9:00 a.m. (EST)"


class _DayForm(forms.Form):
    day = forms.DateField(widget=DateInput)


def test_a_date_box_keeps_the_iso_value_a_browser_needs_in_spanish():
    with translation.override("es"):
        html = str(_DayForm(initial={"day": date(2026, 3, 4)})["day"])
        parsed = _DayForm({"day": "04/03/2026"})
        assert parsed.is_valid()
    assert 'value="2026-03-04"' in html
    assert parsed.cleaned_data["day"] == date(2026, 3, 4)
