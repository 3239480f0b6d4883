"""The insights page's date fields, kept per range and language (``console.insights.range_fields``), are what the
template loop writes for the form the page shows; a form with errors is rendered as it is, errors included."""

from __future__ import annotations

from datetime import date

import pytest
from django.template import Context, Engine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from console.insights.dates import DateRangeForm
from console.insights.range_fields import FIELDS, range_fields
from tests.support import personas

TODAY = date(2026, 12, 7)


def _loop(form: DateRangeForm) -> str:
    return Engine.get_default().from_string(FIELDS).render(Context({"form": form}))


@pytest.mark.parametrize("language", ["en", "es"])
def test_kept_fields_are_the_loops_for_the_shown_range(language: str) -> None:
    with translation.override(language):
        form = DateRangeForm({"start": "2026-09-15", "end": "2026-12-07"}, today=TODAY)
        assert form.is_valid()
        kept = range_fields(form, form.as_range())
        assert kept == _loop(form)
        assert range_fields(form, form.as_range()) is kept  # kept, not rendered again
        assert 'value="2026-09-15"' in kept and 'type="date"' in kept


def test_languages_are_kept_apart() -> None:
    form = DateRangeForm({"start": "2026-09-15", "end": "2026-12-07"}, today=TODAY)
    assert form.is_valid()
    with translation.override("en"):
        english = range_fields(form, form.as_range())
    with translation.override("es"):
        spanish = range_fields(form, form.as_range())
    assert english != spanish and "First day" in english and "First day" not in spanish


def test_a_form_with_errors_is_rendered_with_them() -> None:
    form = DateRangeForm({"start": "2026-12-01", "end": "2026-11-01"}, today=TODAY)
    assert not form.is_valid()
    shown = range_fields(form, None)
    assert shown == _loop(form) and "The first day must come before the last day." in shown


@pytest.mark.django_db
def test_the_400_page_shows_the_fields_error(counselor: User) -> None:
    client = personas.login(Client(), counselor)
    response = client.get(reverse("console:caseload_insights"), {"start": "2020-02-01", "end": "2020-01-01"})
    assert response.status_code == 400
    assert "The first day must come before the last day." in response.content.decode()
