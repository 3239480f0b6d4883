"""Each person's language (issue #18): the browser's before sign-in, the person's own after it, the header's
switcher, sign-up and the account page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def page_language(response) -> str:
    body = response.content.decode()
    return body.split('<html lang="', 1)[1].split('"', 1)[0]


def test_signed_out_pages_follow_the_browser(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    assert page_language(response) == "es"
    assert response["Content-Language"] == "es"
    assert {"accept-language", "cookie"} <= {v.strip().lower() for v in response["Vary"].split(",")}


def test_a_signed_in_person_reads_their_own_language_whatever_the_browser_says(login, family_member):
    family_member.preferred_language = "es"
    family_member.save()
    client = login(family_member)

    response = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")

    assert page_language(response) == "es"
    assert response["Content-Language"] == "es"
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]
    # The cookie follows, so the sign-in page after a sign-out stays in Spanish.
    assert response.cookies[COOKIE].value == "es"


def test_an_english_preference_beats_a_spanish_browser_and_cookie(login, family_member):
    client = login(family_member)
    client.cookies[COOKIE] = "es"
    response = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="es")
    assert page_language(response) == "en"


def test_the_header_offers_the_other_language_named_in_itself(client):
    body = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("set_language")}"' in body
    assert '<span lang="es">Español</span>' in body
    assert '<span lang="en">English</span>' not in body  # the page is already in English


def test_switching_signed_out_sets_the_cookie_and_returns_to_the_page(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/crisis/?x=1"})
    assert response.status_code == 302 and response["Location"] == "/crisis/?x=1"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "es" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert page_language(client.get(reverse("crisis"))) == "es"


def test_without_next_the_switcher_returns_to_the_referring_page_of_this_site(client):
    back = client.post(reverse("set_language"), {"language": "es"}, HTTP_REFERER="http://testserver/crisis/")
    assert back["Location"] == "http://testserver/crisis/"
    elsewhere = client.post(reverse("set_language"), {"language": "es"}, HTTP_REFERER="https://evil.example/")
    assert elsewhere["Location"] == "/"


def test_switching_signed_in_saves_the_preference(login, family_member):
    client = login(family_member)
    response = client.post(reverse("set_language"), {"language": "es", "next": reverse("dashboard")})
    assert response.status_code == 302
    family_member.refresh_from_db()
    assert family_member.preferred_language == "es"
    # Another browser, no cookie, English Accept-Language: still Spanish.
    other = login(family_member, Client())
    assert page_language(other.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")) == "es"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "", "http://testserver:1@evil/", "/x" * 1500],
)
def test_the_switcher_returns_only_to_this_site(client, target):
    response = client.post(reverse("set_language"), {"language": "es", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    "posted", [{"language": "fr"}, {"language": ""}, {}, {"language": "es" * 500}, {"language": "ES "}]
)
def test_an_unknown_language_is_a_clear_400_and_changes_nothing(login, family_member, posted):
    client = login(family_member)
    response = client.post(reverse("set_language"), posted)
    assert response.status_code == 400
    assert "That language is not available" in response.content.decode()
    assert COOKIE not in response.cookies or response.cookies[COOKIE].value == "en"  # only their own preference
    family_member.refresh_from_db()
    assert family_member.preferred_language == "en"


def test_the_switcher_only_accepts_a_post(client):
    assert client.get(reverse("set_language"), {"language": "es"}).status_code == 405


def test_the_switcher_needs_the_csrf_token(family_member):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("set_language"), {"language": "es"}).status_code == 403


def test_sign_up_offers_the_browser_language_and_keeps_the_choice(client):
    page = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="es")
    assert '<option value="es" selected>' in page.content.decode()

    data = {"email": "nueva@example.org", "password1": "una mañana tranquila", "password2": "una mañana tranquila"}
    client.post(reverse("account_signup"), {**data, "preferred_language": "es"}, HTTP_ACCEPT_LANGUAGE="en")
    assert User.objects.get(email="nueva@example.org").preferred_language == "es"


def test_sign_up_without_a_choice_keeps_the_language_of_the_page(client):
    client.cookies[COOKIE] = "es"
    data = {"email": "otra@example.org", "password1": "una mañana tranquila", "password2": "una mañana tranquila"}
    client.post(reverse("account_signup"), data)
    assert User.objects.get(email="otra@example.org").preferred_language == "es"


def test_the_account_page_changes_the_language(login, family_member):
    client = login(family_member)
    assert 'name="preferred_language"' in client.get(reverse("accounts:profile")).content.decode()
    data = {"full_name": "Fran Rivera", "preferred_name": "", "time_zone": "", "preferred_language": "es"}
    assert client.post(reverse("accounts:profile"), data).status_code == 302
    family_member.refresh_from_db()
    assert family_member.preferred_language == "es"
    page = client.get(reverse("accounts:profile"))
    assert page_language(page) == "es"
    assert '<option value="es" selected>' in page.content.decode()


def test_the_account_page_refuses_an_unknown_language(login, family_member):
    client = login(family_member)
    data = {"full_name": "Fran Rivera", "preferred_name": "", "time_zone": "", "preferred_language": "xx"}
    assert client.post(reverse("accounts:profile"), data).status_code == 200
    family_member.refresh_from_db()
    assert family_member.preferred_language == "en"
