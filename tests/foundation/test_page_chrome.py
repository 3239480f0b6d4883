"""The page frame every page shares (templates/base.html): the icon, and the phone menu's markup."""

from __future__ import annotations

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

