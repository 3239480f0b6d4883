"""Ops fixtures: skip cleanly off PostgreSQL / Redis, a child-process registry, and database URLs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.support.procs import ProcessRegistry


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
