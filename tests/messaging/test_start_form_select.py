"""The start-conversation select built in Python renders exactly what Django's widget renders (issue #17)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from messaging.forms import StartConversationForm


def _person(pk: int, name: str) -> Any:
    return SimpleNamespace(pk=pk, display_name=name)


def test_person_select_equals_the_widgets_rendering_with_names_that_need_escaping() -> None:
    patient = _person(7, 'Ana <b>"Nana"</b> & Co')
    options = [(patient, _person(11, "O'Brien & <Sons>")), (patient, _person(12, "Plain Name"))]
    form = StartConversationForm(options=options)

    html = form.person_select()

    assert html == str(form["person"])
    assert "&lt;Sons&gt;" in html and "<b>" not in html


def test_person_select_follows_a_custom_auto_id() -> None:
    form = StartConversationForm(options=[(_person(1, "P"), _person(2, "F"))], auto_id="start_%s")

    assert form.person_select() == str(form["person"])
    assert 'id="start_person"' in form.person_select()
