"""The consent form's date picker keeps the ISO value a browser date input needs in every language (issue #18)."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from consent.forms import DateInput


def test_the_date_picker_value_is_iso_in_spanish_too() -> None:
    with translation.override("es"):
        html = DateInput().render("expires_on", date(2031, 3, 4))
    assert 'type="date"' in html and 'value="2031-03-04"' in html, html
