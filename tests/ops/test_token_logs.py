"""DATA-09: no bearer token in any log line the portal writes.

The proof drives every token-bearing URL (valid and invalid tokens, percent-encoded, with query strings, wrong
methods, missing CSRF, the password-reset code flow) through a real server started by the project's entry point
(``python -m family_portal.serve`` on port 0) and searches every line it wrote (Daphne's access log on stdout,
Django's logging on stderr) for each token. The shipped nginx configuration gets the same treatment in
tests/ops/test_nginx_config.py.
"""

from __future__ import annotations

import http.client
import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import User
from consent.invitations import send_invitation
from consent.services import grant_consent
from family_portal import redaction
from family_portal.serve import RedactingActionLogger
from notifications.links import short_link
from scheduling.services import issue_calendar_feed
from tests.ops.conftest import child_env
from tests.support import personas
from tests.support.phi_log_scan import scan_text
from tests.support.procs import Child, DeadlineExceeded, ProcessRegistry

TOKEN_PARAMETERS = {"token", "key", "uidb36"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RESET_CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.MULTILINE)
DROPPED_ENV = ("REDIS_URL", "SMTP_HOST", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "DJANGO_SETTINGS_MODULE")


# --- the redaction rules --------------------------------------------------------------------------------------
def _token_routes(patterns: list, prefix: str = "") -> list[tuple[str, str]]:
    """(name, route) of every URL pattern with a parameter that is a bearer token."""
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _token_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            names = set(getattr(entry.pattern, "converters", {})) | set(entry.pattern.regex.groupindex)
            if names & TOKEN_PARAMETERS:
                found.append((entry.name or "", prefix + str(entry.pattern)))
    return found


def test_every_url_with_a_token_parameter_is_redacted():
    """A new token-bearing URL must be added to TOKEN_PATH_PREFIXES (and nginx's map, checked elsewhere)."""
    routes = _token_routes(get_resolver().url_patterns)
    assert {name for name, _ in routes} >= {"accept_invitation", "calendar_feed", "go", "account_confirm_email"}
    for name, route in routes:
        literal = re.sub(r"<[^>]+>.*|\^|\(\?P<.*", "", route)
        path = "/" + literal + "SECRETtoken123/"
        assert "SECRETtoken123" not in redaction.redact_path(path), f"{name} ({route}) is not redacted"


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        ("/consent/invitation/AbC-12_x/", "/consent/invitation/[redacted]"),
        ("/sessions/feed/AbC-12_x.ics?x=1", "/sessions/feed/[redacted]"),
        ("/notifications/go/Ab12Cd34", "/notifications/go/[redacted]"),
        ("/consent/%69nvitation/AbC-12_x/", "/consent/invitation/[redacted]"),  # how the router decodes it
        ("/accounts/login/?next=/notifications/go/Ab12Cd34", "/accounts/login/"),  # no query strings
        ("/learn/m/craft/%0A127.0.0.1 - forged", "/learn/m/craft/%0A127.0.0.1%20-%20forged"),  # no log injection
        ("/dashboard/", "/dashboard/"),
    ],
)
def test_redact_path(raw, logged):
    assert redaction.redact_path(raw) == logged


def test_access_log_writer_receives_redacted_paths():
    written = []
    log = RedactingActionLogger(lambda protocol, action, details: written.append(details["path"]))
    log("http", "complete", {"path": "/consent/invitation/AbC-12_x/?t=AbC-12_x", "status": 200})
    log("websocket", "connecting", {"path": "/ws/messages/"})
    assert written == ["/consent/invitation/[redacted]", "/ws/messages/"]


# --- a running server -----------------------------------------------------------------------------------------
def _child_database(tmp_path: Path) -> str:
    """A database URL the server process can open holding this test's (committed) rows."""
    if connection.vendor != "sqlite":
        return str(child_env()["DATABASE_URL"])
    target = tmp_path / "portal.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # the in-memory test database, migrated and seeded
    finally:
        copy.close()
    return f"sqlite:///{target}"


def _start_portal(procs: ProcessRegistry, tmp_path: Path) -> tuple[Child, str]:
    env = child_env(
        DATABASE_URL=_child_database(tmp_path),
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # the address-confirmation keys below are HMACs
        PORTAL_BASE_URL="https://portal.example.org",
        PORTAL_EMAIL_FILE_PATH=str(tmp_path / "mail"),
        PORTAL_LOG_LEVEL="DEBUG",  # every line any logger may write
    )
    for name in DROPPED_ENV:
        env.pop(name, None)
    child, port = procs.start_daphne("portal-token-logs", env=env)
    return child, f"http://127.0.0.1:{port}"


def _raw_get(base: str, path: str, method: str = "GET") -> int:
    """A request whose path goes out byte for byte (``requests`` would normalise ``%69`` to ``i``)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    match = CSRF.search(page.text)
    assert match, url
    return match.group(1)


def _mail_text(mail_dir: Path) -> str:
    return "".join(path.read_text() for path in sorted(mail_dir.glob("*.log")))


def _reset_password_by_code(base: str, email: str, mail_dir: Path) -> tuple[str, str]:
    """The whole code flow through the server; returns the code it mailed and a wrong one that was tried."""
    browser = requests.Session()
    url = f"{base}/accounts/password/reset/"
    sent = browser.post(url, {"email": email, "csrfmiddlewaretoken": _csrf(browser, url)}, timeout=10)
    assert sent.url.endswith("/accounts/password/reset/confirm/"), sent.url
    codes = RESET_CODE.findall(_mail_text(mail_dir))
    assert codes, _mail_text(mail_dir)
    code = codes[-1]
    confirm = f"{base}/accounts/password/reset/confirm/"
    wrong = "ZZZZ-9999" if code != "ZZZZ-9999" else "YYYY-8888"
    browser.post(confirm, {"code": wrong, "csrfmiddlewaretoken": _csrf(browser, confirm)}, timeout=10)
    confirmed = browser.post(confirm, {"code": code, "csrfmiddlewaretoken": _csrf(browser, confirm)}, timeout=10)
    assert confirmed.url.endswith("/accounts/password/reset/complete/"), confirmed.url
    complete = f"{base}/accounts/password/reset/complete/"
    new_password = "a brand new lantern path"
    done = browser.post(
        complete,
        {"password1": new_password, "password2": new_password, "csrfmiddlewaretoken": _csrf(browser, complete)},
        timeout=10,
    )
    assert done.status_code == 200 and "/accounts/password/reset/" in done.url, done.url
    return code, wrong


def _sign_in(base: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    url = f"{base}/accounts/login/"
    answer = browser.post(
        url, {"login": email, "password": password, "csrfmiddlewaretoken": _csrf(browser, url)}, timeout=10
    )
    assert answer.status_code == 200 and not answer.url.startswith(url), answer.url
    return browser


def _drain(procs: ProcessRegistry, child: Child) -> str:
    """Stop the server and wait until every line it wrote has been read."""
    procs.stop(child)
    while True:
        try:
            if child.next_line(timeout=10) is None:
                break
        except DeadlineExceeded:
            break
    return child.output()


@pytest.mark.django_db(transaction=True)
def test_no_bearer_token_in_any_log_line_of_a_running_portal(tmp_path, procs, patient, family_member):
    unlinked = grant_consent(
        patient=patient,
        recipient_name="Sam Rivera",
        recipient_email="sam@example.org",
        scopes=["schedule", "education"],
        expires_at=timezone.now() + timedelta(days=60),
        signature="Pat Rivera",
    )
    _invitation, invitation = send_invitation(consent=unlinked, actor=patient)
    feed = issue_calendar_feed(user=family_member)
    go = urlsplit(short_link("/messages/")).path.rsplit("/", 1)[1]
    reset_key = EmailAwarePasswordResetTokenGenerator().make_token(family_member)
    legacy_reset = f"{user_pk_to_url_str(family_member)}-{reset_key}"
    newcomer = User.objects.create_user("new.person@example.org", personas.PASSWORD, role=User.Role.FAMILY)
    address = EmailAddress.objects.create(user=newcomer, email=newcomer.email, verified=False, primary=True)
    confirm_key = EmailConfirmationHMAC(address).key
    invalid = "NoSuchTokenQ7w3Z9"
    secrets = {
        "invitation": invitation,
        "feed": feed,
        "short link": go,
        "legacy reset key": legacy_reset,
        "confirmation key": confirm_key,
        "invalid token": invalid,
    }

    argon2 = Argon2PasswordHasher()  # the test run hashes with MD5, which the server does not accept
    family_member.password = argon2.encode(personas.PASSWORD, argon2.salt())
    family_member.save(update_fields=["password"])
    child, base = _start_portal(procs, tmp_path)
    statuses: dict[str, int] = {}
    probes = [
        ("GET", f"/consent/invitation/{invitation}/"),
        ("GET", f"/consent/invitation/{invitation}"),  # APPEND_SLASH redirect
        ("POST", f"/consent/invitation/{invitation}/"),  # no CSRF cookie: Django logs the 403 with the path
        ("GET", f"/consent/%69nvitation/{invitation}/"),
        ("GET", f"/consent/invitation/{invalid}/"),
        ("GET", f"/sessions/feed/{feed}.ics"),
        ("GET", f"/sessions/feed/{feed}.ics?token={feed}"),
        ("POST", f"/sessions/feed/{feed}.ics"),  # no CSRF cookie: 403, logged with the path
        ("GET", f"/sessions/feed/{invalid}.ics"),  # 404, logged with the path
        ("GET", f"/notifications/go/{go}"),
        ("GET", f"/accounts/login/?next=/notifications/go/{go}"),
        ("GET", f"/notifications/go/{invalid}"),
        ("GET", f"/accounts/password/reset/key/{legacy_reset}/"),  # the old link form: 404 now
        ("GET", f"/accounts/password/reset/key/{invalid}/"),
        ("GET", f"/accounts/confirm-email/{confirm_key}/"),
        ("GET", f"/accounts/confirm-email/{invalid}/"),
    ]
    for method, path in probes:
        statuses[f"{method} {path}"] = _raw_get(base, path, method)

    member = _sign_in(base, family_member.email, personas.PASSWORD)
    followed = member.get(f"{base}/notifications/go/{go}", allow_redirects=False, timeout=10)
    assert followed.status_code == 302 and followed.headers["Location"] == "/messages/"
    member.get(f"{base}/notifications/go/{invalid}", timeout=10)
    confirm_url = f"{base}/accounts/confirm-email/{confirm_key}/"
    visitor = requests.Session()
    confirmed = visitor.post(confirm_url, {"csrfmiddlewaretoken": _csrf(visitor, confirm_url)}, timeout=10)
    assert confirmed.status_code < 500
    code, wrong_code = _reset_password_by_code(base, family_member.email, tmp_path / "mail")
    secrets |= {"reset code": code, "reset code (typed form)": code.replace("-", ""), "wrong code": wrong_code}

    output = _drain(procs, child)
    scan_text(output, child.name)

    assert all(status < 500 for status in statuses.values()), statuses
    assert statuses[f"GET /sessions/feed/{feed}.ics"] == 200  # the valid tokens really were used
    assert statuses[f"GET /sessions/feed/{invalid}.ics"] == 404
    assert statuses[f"GET /consent/invitation/{invitation}/"] == 200
    lines = output.splitlines()
    leaks = [(what, line) for line in lines for what, secret in secrets.items() if secret in line]
    assert leaks == [], "\n".join(f"{what}: {line}" for what, line in leaks)
    # The search is not vacuous: the access log and Django's warnings were written, redacted.
    assert any('"GET /consent/invitation/[redacted]"' in line for line in lines), output
    assert any('"GET /sessions/feed/[redacted]"' in line for line in lines), output
    assert any("django.request Not Found: /sessions/feed/[redacted]" in line for line in lines), output
    assert any("Forbidden (CSRF cookie not set.): /sessions/feed/[redacted]" in line for line in lines), output
