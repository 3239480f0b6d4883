"""The dashboard sessions card's rows written in Python (scheduling/card_rows.py) are byte for byte what the card's
template loop wrote (tests/scheduling/card_reference: the card as it was), for each answer, an open event, a
title that needs escaping, and in Spanish."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from scheduling.models import FamilySession
from scheduling.services import respond_rsvp
from tests.scheduling.conftest import book, future_start
from tests.support import personas

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "card_reference"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"')
_NONCE = re.compile(r'nonce="[^"]+"')
_IDLE = re.compile(r"data-idle-left=\"\d+\"")


def _card(client: Client) -> str:
    page = client.get(reverse("dashboard")).content.decode()
    page = _CSRF.sub('name="csrfmiddlewaretoken" value="T"', page)
    return _IDLE.sub('data-idle-left="L"', _NONCE.sub('nonce="N"', page))


def _reference_card() -> override_settings:
    engine: dict[str, Any] = settings.TEMPLATES[0]
    return override_settings(TEMPLATES=[{**engine, "DIRS": [REFERENCE, *engine["DIRS"]]}])


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_cards_rows_are_the_loops_rows(counselor, patient, family_member, language):
    family_member.preferred_language = language
    family_member.save(update_fields=["preferred_language"])
    book(counselor, patient, [family_member], starts_at=future_start(days=2), title='Plans <& "goals">')
    going = book(counselor, patient, [family_member], starts_at=future_start(days=3, hour_utc=9))
    respond_rsvp(user=family_member, session=going, response="accepted")
    maybe = book(counselor, patient, [family_member], starts_at=future_start(days=4))
    respond_rsvp(user=family_member, session=maybe, response="tentative")
    book(counselor, None, [], starts_at=future_start(days=5))  # an open event: the form without an answer
    client = personas.login(Client(), family_member)
    now = _card(client)
    with _reference_card():
        before = _card(client)
    assert now == before
    assert now.count('class="rsvp-form"') >= 3 and "Plans &lt;&amp; &quot;goals&quot;&gt;" in now
    assert FamilySession.objects.count() >= 4


def test_a_card_without_sessions_is_the_loops_card(patient, family_member):
    client = personas.login(Client(), family_member)
    now = _card(client)
    with _reference_card():
        assert now == _card(client)
    assert User.objects.filter(pk=family_member.pk).exists()
