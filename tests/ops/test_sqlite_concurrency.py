"""ROB-01: concurrent writers on the embedded SQLite default wait for each other instead of failing.

The portal runs as ``make run`` runs it (``python -m family_portal.serve``: Daphne, DJANGO_DEBUG=True, a SQLite
file) and many people use it at once: counselors go through the two-step sign-in (password, then their
authenticator's code), family members sign in, and everyone posts to the same care-team conversation (each post
locks and updates the conversation, adds the message and moves read positions). SQLite has one writer at a time;
with deferred transactions a transaction that read first and then writes fails at once with ``database is
locked`` (a 500, the message lost). IMMEDIATE transactions and a busy timeout make writers queue instead.

The threads start together at a barrier (synchronisation by event, no sleeps). Every response must be below 500,
every post must land on its conversation page, and every posted message must be in the database afterwards.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import sqlite3
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import server as srv
from tests.support.browser.totp import fresh_totp

COUNSELORS = 4
FAMILY_MEMBERS = 16
POSTS_EACH = 2
REQUEST_TIMEOUT_S = 60
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Runs in a child process with the server's environment: migrate the fresh file, then one program, one patient,
# counselors with an authenticator, consented family members, and the patient's care-team conversation. The
# passwords are stored with the server's hasher, computed once (not once per person) to keep the set-up short.
SEED = f"""
import json
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from accounts.models import User
from messaging.services import care_team_conversation
from tests.support import personas
fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
fast.enable()
program = personas.make_program("Harbor Program")
patient = personas.make_user("patient@load.example", User.Role.PATIENT, program, full_name="Pat Load")
people = []
for n in range({COUNSELORS}):
    counselor = personas.make_user(f"counselor{{n}}@load.example", User.Role.COUNSELOR, program)
    secret = generate_totp_secret()
    TOTP.activate(counselor, secret)
    personas.assign(counselor, patient)
    people.append({{"email": counselor.email, "totp_secret": secret}})
for n in range({FAMILY_MEMBERS}):
    member = personas.make_user(f"family{{n}}@load.example", User.Role.FAMILY, None)
    personas.consent_for(patient, member)
    people.append({{"email": member.email, "totp_secret": ""}})
conversation = care_team_conversation(patient)
fast.disable()
User.objects.update(password=make_password(personas.PASSWORD))  # the server's own hasher, computed once
print(json.dumps({{"people": people, "password": personas.PASSWORD, "conversation": conversation.get_absolute_url()}}))
"""


@dataclass
class Portal:
    server: srv.LiveServer
    database: Path
    people: list[dict[str, str]]
    password: str
    conversation: str


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    # Each visitor comes from its own address, as people do behind the reverse proxy: the per-address sign-in
    # limits (AUTH-03) then count each person, not the whole crowd as one loopback client.
    env = srv.portal_env(tmp_path / "portal.sqlite3", tmp_path / "mail", ALLAUTH_TRUSTED_PROXY_COUNT="1")
    out = srv.run_checked("seed", [sys.executable, "manage.py", "shell", "-c", SEED], env)
    seeded = json.loads(out.strip().splitlines()[-1])
    with srv.live_server(env, tmp_path / "mail") as live:
        yield Portal(live, tmp_path / "portal.sqlite3", seeded["people"], seeded["password"], seeded["conversation"])


@dataclass
class Visitor:
    """One person's browser: a cookie jar, and every answer the portal gave it."""

    base_url: str
    address: str
    answers: list[tuple[int, str, str]] = field(default_factory=list)  # (status, method path, first line of body)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.addheaders = [("X-Forwarded-For", self.address)]

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """GET (or POST ``form``), following redirects; returns status, final path and body."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        label = f"{'POST' if form is not None else 'GET'} {path}"
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=REQUEST_TIMEOUT_S) as response:
                status, final, body = response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, final, body = exc.code, exc.url, exc.read().decode(errors="replace")
        self.answers.append((status, label, body.strip().splitlines()[0] if body.strip() else ""))
        return status, urllib.parse.urlsplit(final).path, body

    def submit(self, page: str, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """Post the form on ``page`` (the HTML of ``path`` just loaded, for its CSRF token) as a browser would."""
        token = CSRF_FIELD.search(page)
        assert token, f"no form on {path}"
        return self.request(path, {**fields, "csrfmiddlewaretoken": token.group(1)})


def _use_the_portal(portal: Portal, person: dict[str, str], start: threading.Barrier, visitor: Visitor) -> list[str]:
    """Sign in (two steps for staff) and post to the care-team conversation; returns the bodies that were sent."""
    _, _, page = visitor.request("/accounts/login/")
    start.wait(timeout=REQUEST_TIMEOUT_S)
    credentials = {"login": person["email"], "password": portal.password}
    status, landed, page = visitor.submit(page, "/accounts/login/", credentials)
    if person["totp_secret"]:
        assert landed == "/accounts/2fa/authenticate/", f"{person['email']} was not asked for a code: {status}"
        status, landed, page = visitor.submit(page, landed, {"code": fresh_totp(person["totp_secret"])})
    assert not landed.startswith("/accounts/"), f"{person['email']} is not signed in: {status} {landed}"
    status, landed, page = visitor.request(portal.conversation)
    sent = []
    for n in range(POSTS_EACH):
        body = f"Load check {n} from {person['email']}"
        status, landed, page = visitor.submit(page, portal.conversation, {"body": body})
        assert (status, landed) == (200, portal.conversation), f"{person['email']}'s post {n}: {status} {landed}"
        sent.append(body)
    return sent


def test_concurrent_sign_ins_and_posts_on_sqlite_never_fail(portal: Portal) -> None:
    start = threading.Barrier(len(portal.people))
    visitors = [Visitor(portal.server.url, f"192.0.2.{n + 1}") for n in range(len(portal.people))]
    sent: list[str] = []
    failures: list[str] = []

    def run(person: dict[str, str], visitor: Visitor) -> None:
        try:
            sent.extend(_use_the_portal(portal, person, start, visitor))
        except Exception as exc:  # collected and reported below, with the server's output
            failures.append(f"{person['email']}: {exc!r}")

    threads = [threading.Thread(target=run, args=pair) for pair in zip(portal.people, visitors, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_S * 2)
    assert not any(thread.is_alive() for thread in threads), "a visitor is still waiting for the portal"

    errors = [answer for visitor in visitors for answer in visitor.answers if answer[0] >= 500]
    locked = [line for line in portal.server.output().splitlines() if "database is locked" in line]
    assert not errors, f"{len(errors)} server errors, e.g. {errors[:3]}; server log: {locked[:3]}"
    assert not failures, "\n".join(failures)
    assert len(sent) == len(portal.people) * POSTS_EACH
    assert sorted(sent) == sorted(_stored_bodies(portal.database))


def _stored_bodies(database: Path) -> list[Any]:
    with sqlite3.connect(database) as db:
        return [row[0] for row in db.execute("SELECT body FROM messaging_message")]
