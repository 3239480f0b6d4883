"""Security headers, CSP nonces and private caching (DEP-01..04)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


def test_csp_is_enforced_with_a_nonce_and_no_unsafe_inline(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


def test_csp_nonce_changes_per_request(client):
    assert _nonce(client.get("/accounts/login/")) != _nonce(client.get("/accounts/login/"))


def test_security_headers_present(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_authenticated_pages_are_never_cached(login, family_member):
    response = login(family_member).get("/dashboard/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_pages_have_no_inline_script_without_nonce(login, family_member):
    body = login(family_member).get("/dashboard/").content.decode()
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag or "nonce=" in tag, tag
    assert not re.search(r"\son[a-z]+=", body), "inline event handler"


def test_base_layout_is_accessible(login, family_member):
    body = login(family_member).get("/dashboard/").content.decode()
    assert '<html lang="en">' in body
    assert 'class="skip-link" href="#main"' in body
    assert '<main id="main"' in body
    assert '<nav aria-label="Main">' in body
    assert 'name="viewport"' in body
    assert "988" in body and "911" in body
