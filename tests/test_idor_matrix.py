"""AZ-03: every object URL answers 404 to people who may not see the object.

Object URLs come from each app's ``tests/<app>/idor.py`` (``object_urls(owner_patient)``); apps that have not
written theirs yet are skipped. The resolver walk then checks that every URL pattern with a uuid/int kwarg in
the portal's app namespaces is covered by at least one of those URLs, so a new object URL must be registered."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, UUIDConverter

from tests.support.idor import status_of

pytestmark = pytest.mark.django_db

APP_NAMESPACES = (
    "consent", "education", "scheduling", "messaging", "notifications", "console", "accounts", "summaries"
)  # fmt: skip
# Patterns whose uuid/int kwarg is not a patient's object: education content (modules, lessons, questions and
# their versions) is the same for every family; its draft/publish visibility is tested in tests/education.
NON_OBJECT_ALLOWLIST: set[str] = {
    "education:lesson",
    "education:version_preview",
    "education:lesson_edit",
    "education:lesson_move",
    "education:lesson_delete",
    "education:question_edit",
    "education:question_delete",
    # A program's support groups for families are program content, not a patient's object; staff of other programs
    # and everyone who is not staff get 404 (tests/education/test_support_groups.py).
    "education:support_group_edit",
    "education:support_group_active",
}
INTRUDERS = ("outsider", "unassigned_counselor", "learner")
TESTS_DIR = Path(__file__).resolve().parent


def _idor_modules() -> dict[str, ModuleType]:
    modules = {}
    for app in APP_NAMESPACES:
        if (TESTS_DIR / app / "idor.py").exists():
            modules[app] = importlib.import_module(f"tests.{app}.idor")
    return modules


def _walk(patterns: list, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, inner or "")
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def object_patterns() -> dict[str, URLPattern]:
    """Named patterns in the app namespaces that take a uuid or int kwarg."""
    found = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        if name.split(":", 1)[0] not in APP_NAMESPACES:
            continue
        converters = getattr(pattern.pattern, "converters", {})
        if any(isinstance(c, (UUIDConverter, IntConverter)) for c in converters.values()):
            found[name] = pattern
    return found


@pytest.fixture
def object_urls(patient) -> list[str]:
    urls: list[str] = []
    for module in _idor_modules().values():
        urls.extend(module.object_urls(patient))
    return urls


def test_every_object_url_is_404_for_outsider_unassigned_counselor_and_learner(request, login, object_urls):
    assert object_urls, "no tests/<app>/idor.py returned any URL"
    failures = []
    for persona in INTRUDERS:
        client = login(request.getfixturevalue(persona), Client())
        for url in object_urls:
            status = status_of(client, url)  # a POST-only action is POSTed
            if status != 404:
                failures.append(f"GET/POST {url} as {persona}: {status}")
            if url.startswith("/consent/"):
                status = client.post(url, {"confirm": "STOP", "decision": "approve"}).status_code
                if status != 404:
                    failures.append(f"POST {url} as {persona}: {status}")
    assert failures == []


def test_every_object_url_pattern_is_registered_in_an_idor_module(object_urls):
    modules = _idor_modules()
    covered = {resolve(url.split("?", 1)[0]).view_name for url in object_urls}
    missing = sorted(
        name
        for name in object_patterns()
        if name.split(":", 1)[0] in modules and name not in covered and name not in NON_OBJECT_ALLOWLIST
    )
    assert missing == [], f"add these to the app's tests/<app>/idor.py object_urls(): {missing}"


def test_resolver_walk_finds_consent_object_urls():
    names = set(object_patterns())
    assert {"consent:consent_detail", "consent:patient_detail", "consent:what_you_can_see_detail"} <= names
    assert "consent:accept_invitation" not in names  # a string token, not an object id
