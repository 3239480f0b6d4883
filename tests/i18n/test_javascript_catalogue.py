"""The portal's JavaScript speaks the page's language: Django's JavaScript catalogue is served (signed in or not)
and loaded on every page, under the CSP, before the scripts that call ``gettext``."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from accounts.models import User
from tests.support import personas

pytestmark = pytest.mark.django_db


def catalogue_of(response) -> dict[str, str]:
    match = re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), re.S)
    assert match, response.content[:300]
    return json.loads(match.group(1))


def test_the_spanish_catalogue_is_served_before_sign_in(client):
    response = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    catalogue = catalogue_of(response)
    assert catalogue["Sending…"] == "Enviando…"
    assert catalogue["Seen by %(names)s"] == "Visto por %(names)s"


def test_a_signed_in_person_gets_their_own_languages_catalogue(login, family_member):
    family_member.preferred_language = "es"
    family_member.save()
    response = login(family_member).get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="en")
    assert catalogue_of(response)["Copied."] == "Copiado."


def test_english_needs_no_translations(client):
    body = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "django.gettext = function" in body and "Enviando" not in body


def test_every_page_loads_the_catalogue_first_with_the_csp_nonce(login, family_member):
    response = login(family_member).get(reverse("dashboard"))
    body = response.content.decode()
    scripts = re.findall(r'<script src="([^"]+)" nonce="([^"]+)" defer></script>', body)
    assert scripts[0][0] == reverse("javascript-catalog")
    assert scripts[1][0].endswith("js/portal.js")
    nonce = scripts[0][1]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    # Same origin: 'self' allows it even without the nonce.
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_staff_setting_up_two_step_verification_still_get_the_catalogue_and_switcher(client, program):
    newcomer = personas.make_user("new.staff@example.org", User.Role.COUNSELOR, program)
    client.force_login(newcomer)
    assert client.get(reverse("dashboard")).status_code == 302  # sent to MFA set-up
    assert client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="es").status_code == 200
    assert client.post(reverse("set_language"), {"language": "es"})["Location"] == "/"
