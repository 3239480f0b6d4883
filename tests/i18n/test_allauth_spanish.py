"""allauth's own pages (sign-in, sign-up, password reset, two-step verification) come in Spanish from allauth's
shipped catalogue; the portal's layout around them (templates/allauth/) follows the same language."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url_name", "spanish"),
    [
        ("account_login", "¿Ha olvidado su contraseña?"),
        ("account_signup", "¿Ya tiene una cuenta?"),
        ("account_reset_password", "Restablecer mi contraseña"),
    ],
)
def test_signed_out_allauth_pages_are_in_spanish_for_a_spanish_browser(client, url_name, spanish):
    response = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="es")
    body = response.content.decode()
    assert response.status_code == 200 and '<html lang="es">' in body
    assert spanish in body


def test_two_step_verification_pages_follow_the_persons_language(login, counselor):
    counselor.preferred_language = "es"
    counselor.save()
    body = login(counselor).get(reverse("mfa_index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in body
    assert "Autenticación de dos factores" in body or "Códigos de recuperación" in body
