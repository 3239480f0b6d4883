"""Shared fixtures: personas, fast hashing, in-memory channel layer, a loopback-only network guard."""

from __future__ import annotations

import importlib
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client
from django.utils import translation

from accounts.models import Program, User
from consent.models import Consent
from tests.support import personas

# Every log record of the run is scanned for patient data at the end (DATA-05).
pytest_plugins = ["tests.support.phi_log_scan"]


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_local_cache(settings: Any) -> None:
    """Each test starts with an empty cache: ids repeat between tests, cached answers must not. A local-memory cache
    is cleared; a Redis cache, shared with other processes (xdist workers, an earlier run's keys), is left alone and
    the test gets a key prefix of its own instead, so another test's cached answer for the same ids is never read."""
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
        return
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}}


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request through LocaleMiddleware leaves its language active in
    the thread, which would otherwise leak into the next test that pytest-xdist runs in this worker."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    inet = self.family in (socket.AF_INET, socket.AF_INET6)
    if inet and isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")):
        raise RuntimeError(f"Tests may only connect to loopback, not {host!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _sqlite_audit_triggers_off_for_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """SQLite flushes with DELETE, which the append-only trigger refuses; transactional tests drop the
    triggers just before the flush and the next test's migration state re-creates them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames
    if transactional:
        request.getfixturevalue("transactional_db")
        _ensure_sqlite_triggers()
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for action in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS consent_auditevent_no_{action}")


def _ensure_sqlite_triggers() -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for action in ("UPDATE", "DELETE"):
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS consent_auditevent_no_{action.lower()} BEFORE {action} "
                "ON consent_auditevent BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
            )


@pytest.fixture(autouse=True)
def _consent_form_text(request: pytest.FixtureRequest) -> None:
    """A transactional test's flush empties the data migrations' rows (and ``--reuse-db`` keeps that state):
    put the consent form text (and its Spanish translation) back with the migrations' own idempotent steps before
    each database test."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames
    request.getfixturevalue("transactional_db" if transactional else "db")
    importlib.import_module("consent.migrations.0002_consent_form_v1").create_v1(django_apps, None)
    importlib.import_module("consent.migrations.0008_consent_form_language").add_spanish_form(django_apps, None)


@pytest.fixture
def program(db: None) -> Program:
    return personas.make_program()


@pytest.fixture
def patient(program: Program) -> User:
    return personas.make_user("pat@example.org", User.Role.PATIENT, program, full_name="Pat Rivera")


@pytest.fixture
def counselor(program: Program, patient: User) -> User:
    user = personas.make_staff("casey@example.org", program, full_name="Casey Morgan")
    personas.assign(user, patient)
    return user


@pytest.fixture
def unassigned_counselor(program: Program) -> User:
    return personas.make_staff("uma@example.org", program, full_name="Uma Unassigned")


@pytest.fixture
def program_admin(program: Program) -> User:
    return personas.make_staff(
        "admin@example.org", program, role=User.Role.PROGRAM_ADMIN, full_name="Ada Admin", is_staff=True
    )


@pytest.fixture
def family_member(program: Program, patient: User) -> User:
    """Family of ``patient`` with an effective consent covering every scope."""
    member = personas.make_user("fran@example.org", User.Role.FAMILY, None, full_name="Fran Rivera")
    personas.consent_for(patient, member)
    return member


@pytest.fixture
def consent(patient: User, family_member: User) -> Consent:
    return Consent.objects.get(patient=patient, recipient=family_member)


@pytest.fixture
def revoked_member(program: Program, patient: User) -> User:
    member = personas.make_user("rory@example.org", User.Role.FAMILY, None, full_name="Rory Rivera")
    personas.revoke(personas.consent_for(patient, member))
    return member


@pytest.fixture
def other_patient(program: Program) -> User:
    return personas.make_user("olive@example.org", User.Role.PATIENT, program, full_name="Olive Oakes")


@pytest.fixture
def outsider(program: Program, other_patient: User) -> User:
    member = personas.make_user("otto@example.org", User.Role.FAMILY, None, full_name="Otto Oakes")
    personas.consent_for(other_patient, member)
    return member


@pytest.fixture
def learner(db: None) -> User:
    return personas.make_user("lee@example.org", User.Role.FAMILY, None, full_name="Lee Learner")


@pytest.fixture
def login(client: Client):
    """``login(user)`` signs the test client in as ``user`` (staff with a passed MFA stage)."""

    def _login(user: User, c: Client | None = None) -> Client:
        return personas.login(c or client, user)

    return _login
