"""The text-message settings in Spanish (issue 18): the page, its messages and errors, and the texting agreement,
which a person accepts in the words their page showed (recorded as shown)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from notifications import phones
from notifications.models import SmsPhone
from tests.notifications.conftest import give_phone

pytestmark = pytest.mark.django_db

PAGE = reverse("notifications:phone")
SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def spanish_member(family_member: User) -> User:
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    return family_member


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """A request activates its language for the rest of the thread: leave the next test in the default."""
    yield
    translation.deactivate()


def _page(client: Client) -> str:
    return client.get(PAGE, headers=SPANISH).content.decode()


def test_the_settings_page_speaks_spanish(client: Client, spanish_member: User) -> None:
    client.force_login(spanish_member)
    page = _page(client)
    for spanish in (
        "Configuración de mensajes de texto",
        "Sin número de celular",
        "Número de celular",
        "Enviarme un código por mensaje de texto",
        "por ejemplo (201) 555-0123",
    ):
        assert spanish in page
    assert "Text message settings" not in page and "No mobile number" not in page
    refused = client.post(reverse("notifications:phone_number"), {"number": "12"}, headers=SPANISH)
    assert refused.status_code == 400
    assert "Ese número de teléfono no parece completo." in refused.content.decode()


def test_a_spanish_reader_agrees_to_the_spanish_wording(client: Client, spanish_member: User, daytime: Any) -> None:
    give_phone(spanish_member, opt_in=False)
    client.force_login(spanish_member)
    page = _page(client)
    assert "Activar los mensajes de texto" in page
    wording = re.search(r'name="wording" value="([^"]*)"', page)
    assert wording is not None
    shown = unescape(wording.group(1))
    assert shown.startswith("Sí, envíen recordatorios de citas") and shown in page.replace("&#x27;", "'")
    response = client.post(reverse("notifications:phone_opt_in"), {"agree": "on", "wording": shown}, headers=SPANISH)
    assert response.status_code == 302
    assert SmsPhone.objects.get(user=spanish_member).opt_in_text == shown
    after = _page(client)
    assert "Mensajes de texto activados" in after
    assert "Los recordatorios por mensaje de texto están activados." in after  # the success message


def test_any_other_wording_is_still_refused(spanish_member: User, daytime: Any) -> None:
    give_phone(spanish_member, opt_in=False)
    with pytest.raises(ValidationError, match="agreement text changed"):
        phones.opt_in_to_texts(user=spanish_member, wording="Sí, envíen lo que quieran.")
    wordings = phones.opt_in_wordings()
    assert len(wordings) == 2 and phones.OPT_IN_TEXT in wordings  # English and Spanish, one each
