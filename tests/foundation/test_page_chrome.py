"""The page frame every page shares (templates/base.html): the icon, and the phone menu's markup."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_answers_with_the_svg_icon_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    icon = finders.find("favicon.svg")
    assert icon is not None
    with open(icon, encoding="utf-8") as handle:
        assert handle.read().startswith("<svg")


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_names_its_icon(client, login, family_member, signed_in):
    if signed_in:
        login(family_member)
    page = client.get("/dashboard/" if signed_in else "/accounts/login/").content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page


def test_menu_button_controls_the_list_of_every_destination(login, family_member):
    page = login(family_member).get("/dashboard/").content.decode()
    button = re.search(r"<button[^>]*data-nav-toggle[^>]*>", page)
    assert button, "no Menu button"
    assert 'aria-expanded="false"' in button.group(0)
    controls = re.search(r'aria-controls="([^"]+)"', button.group(0))
    assert controls and f'<ul class="nav-list" id="{controls.group(1)}">' in page
    menu = page.split(f'id="{controls.group(1)}">', 1)[1].split("</ul>", 1)[0]
    assert "Sign out" in menu and "Account" in menu
    # No inline handlers (the CSP allows only nonced scripts); the script and the no-JS stylesheet carry the nonce.
    assert not re.search(r"\son[a-z]+=", page)
    assert re.search(r'<script src="[^"]*js/nav\.js" nonce="[^"]+" defer>', page)
    assert re.search(r'<noscript><link rel="stylesheet" href="[^"]*css/no-js\.css" nonce="[^"]+"></noscript>', page)
