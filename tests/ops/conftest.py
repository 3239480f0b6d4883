"""Ops fixtures: skip cleanly off PostgreSQL / Redis, a child-process registry, and database URLs."""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from bench.procs import ProcessRegistry


@pytest.fixture(autouse=True)
def _data_migration_rows(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the database, data-migration rows included; a reused PostgreSQL test database
    then lacks the consent form version every grant needs. Put it back (the migration's own function)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("transactional_db" if _transactional(request) else "db")
    from django.apps import apps

    from consent.models import ConsentFormVersion

    if not ConsentFormVersion.objects.exists():
        importlib.import_module("consent.migrations.0002_consent_form_v1").create_v1(apps, None)


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")


@pytest.fixture
def redis_only() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL=redis://…)")


@pytest.fixture
def pg_tools() -> None:
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")


@pytest.fixture
def procs() -> Iterator[ProcessRegistry]:
    """Every child a test starts is recorded by PID and stopped (TERM, then KILL) when the test ends."""
    with ProcessRegistry(grace_s=10) as registry:
        yield registry


def database_url(name: str | None = None) -> str:
    """A postgres:// URL for the test database (or ``name``) with the test run's credentials."""
    params = connection.settings_dict
    user = quote(params.get("USER") or "postgres")
    password = f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name or params['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that must use the TEST database (not the one DATABASE_URL names)."""
    env = {"DJANGO_DEBUG": "True", "DATABASE_URL": database_url(), "PORTAL_LOG_LEVEL": "INFO"}
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return {key: value for key, value in {**os.environ, **env}.items() if value is not None}
