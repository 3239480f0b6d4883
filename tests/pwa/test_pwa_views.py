"""The installable portal: manifest, service worker and offline page (family_portal/pwa.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from tests.support.personas import login

pytestmark = pytest.mark.django_db


def test_manifest_is_public_and_installable(client: Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["start_url"] == "/" and data["scope"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == "#1f5f8b" and data["background_color"] == "#f6f7f4"
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in data["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), src in icons.items():
        path = Path(settings.BASE_DIR) / "static" / src.removeprefix("/static/")
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == sizes and image.format == "PNG"


def test_service_worker_has_site_scope_and_is_revalidated(client: Client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert '"offlineUrl": "/offline/"' in body and '"staticPrefix": "/static/"' in body
    assert 'addEventListener("push"' in body and "notificationclick" in body


def test_csp_allows_only_own_worker_and_manifest(client: Client) -> None:
    csp = client.get("/")["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp


def test_base_template_links_manifest_icon_and_registration(client: Client) -> None:
    html = client.get("/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert 'rel="apple-touch-icon"' in html
    assert "js/sw-register.js" in html


def test_offline_page_is_neutral_even_for_a_signed_in_person(client: Client, family_member) -> None:
    login(client, family_member)
    response = client.get("/offline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are offline" in html
    assert family_member.full_name not in html and 'id="main-menu"' not in html


def test_offline_page_in_spanish(client: Client) -> None:
    response = client.get("/offline/", HTTP_ACCEPT_LANGUAGE="es")
    assert 'lang="es"' in response.content.decode()
    assert "Sin conexión" in response.content.decode()


def test_staff_mid_enrolment_still_get_the_worker_and_keep_their_session(client: Client, counselor) -> None:
    """Every page registers /sw.js: the two-step guard must neither redirect it nor end a session over it."""
    client.force_login(counselor)  # enrolled, but this session never passed two-step sign-in
    for path in ("/sw.js", "/manifest.webmanifest", "/offline/"):
        assert client.get(path).status_code == 200, path
    assert "_auth_user_id" in client.session


def test_the_browser_fetching_the_worker_is_not_activity(client: Client, family_member) -> None:
    """Service worker updates happen without the person (after a push, for one): they must not keep an idle
    session alive."""
    from accounts.middleware import SEEN_AT_KEY

    login(client, family_member)
    session = client.session
    session[SEEN_AT_KEY] = session[SEEN_AT_KEY] - 600
    session.save()
    seen = client.session[SEEN_AT_KEY]
    for path in ("/sw.js", "/manifest.webmanifest", "/offline/"):
        assert client.get(path).status_code == 200
    assert client.session[SEEN_AT_KEY] == seen
