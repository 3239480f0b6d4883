"""Deny by default (AUTH-11): every URL that is not deliberately public refuses anonymous visitors."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# URL names that anyone may open. Adding a name here is a deliberate decision.
PUBLIC_URL_NAMES = {
    "home",
    "crisis",
    "healthz",
    "favicon",  # a redirect to the static icon: browsers ask for it before anyone signs in
    # the installable portal (family_portal/pwa.py): manifest, service worker and the neutral offline page
    "manifest",
    "service_worker",
    "offline",
    # the language switcher and the JavaScript strings: pages before sign-in come in the visitor's language too
    "set_language",
    "javascript-catalog",
    # allauth's own anonymous flows
    "account_login",
    "account_signup",
    "account_reset_password",
    # password reset by code (the code works only in the session that asked for it; DATA-09)
    "account_confirm_password_reset_code",
    "account_complete_password_reset",
    "account_password_reset_completed",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_login_code_confirm",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_reauthenticate",
    "account_logout",
    "mfa_authenticate",
    "mfa_trust",
    "mfa_login_webauthn",  # "Use a passkey": the challenge (JSON) and the signed answer, before anyone is signed in
    # signed webhooks and token-authenticated feeds
    "notifications:twilio_inbound",
    "notifications:twilio_status",
    "scheduling:calendar_feed",
    # an attendance letter's verification page: the court types the code printed on the letter (rate limited)
    "letter_verify",
    # invitation landing page (the token is the credential; invalid tokens get a neutral page)
    "consent:invitation",
    "consent:accept_invitation",
}

# Fixed values: parametrized test ids must be the same in every pytest-xdist worker.
SAMPLE_VALUES = {
    "int": "1",
    "uuid": "3f0e8a52-6c1d-4b7e-9a40-1d2c5e7f9b81",
    "slug": "sample",
    "str": "sample",
    "path": "sample",
}


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern)


def _concrete(route: str) -> str | None:
    """Turn a route into a path with sample values; regex routes with groups are skipped."""
    if route.startswith("^") or "(?P" in route:
        return None
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "sample"), route)
    return "/" + path


def _all_routes() -> list[tuple[str, str]]:
    routes = []
    for name, route in _walk(get_resolver().url_patterns):
        if name.startswith("admin:") or route.startswith("static/"):
            continue
        path = _concrete(route)
        if path is not None:
            routes.append((name, path))
    return routes


PRIVATE_ROUTES = [(name, path) for name, path in _all_routes() if name not in PUBLIC_URL_NAMES]


@pytest.mark.parametrize(("name", "path"), PRIVATE_ROUTES, ids=[f"{n}:{p}" for n, p in PRIVATE_ROUTES])
def test_anonymous_visitor_is_refused_on_every_non_public_url(client, name, path):
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code in (302, 401, 403, 404, 405), (method, path, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), (method, path, response["Location"])


def test_walker_sees_urls_of_every_app():
    names = {name for name, _ in _all_routes()}
    assert {"dashboard", "keep_alive", "account_email"} <= names


def test_admin_login_is_wrapped_by_allauth(client):
    response = client.get("/staff-admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_admin_is_not_at_the_default_address(client):
    assert client.get("/admin/").status_code == 404


@pytest.mark.parametrize("persona", ["patient", "family_member", "counselor"])
def test_non_admin_roles_cannot_reach_admin_site(login, request, persona):
    client = login(request.getfixturevalue(persona))
    assert client.get("/staff-admin/").status_code in (302, 403)
    assert client.get("/staff-admin/accounts/user/").status_code in (302, 403)


def test_program_admin_reaches_admin_site(login, program_admin):
    assert login(program_admin).get("/staff-admin/").status_code == 200


def test_health_check_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


STAFF_PAGES = [
    "consent:patient_list",
    "consent:pending_reviews",
    "education:manage",
    "education:assignments",
    "notifications:outbox",
    "scheduling:week",
    "scheduling:session_create",
    "scheduling:availability",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize("persona", ["patient", "family_member", "learner"])
def test_patients_and_families_cannot_reach_staff_pages(login, request, persona, page):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse(page)).status_code in (403, 404)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_counselor_reaches_staff_pages(login, counselor, page):
    assert login(counselor).get(reverse(page)).status_code == 200
