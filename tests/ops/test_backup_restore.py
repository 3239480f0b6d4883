"""DEP-07: a pg_dump backup restores into a fresh database whose audit chain verifies and whose rows all match.

The procedure is the one docs/operations.md gives operators: ``pg_dump --format=custom`` → ``createdb`` →
``pg_restore --no-owner`` → ``manage.py verify_audit``.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from consent.audit import record_audit
from consent.models import AuditEvent
from tests.ops.conftest import child_env, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts = {}
        for table in tables:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
            assert row is not None
            counts[table] = int(row[0])
        return counts


def _admin_url() -> str:
    return database_url("postgres")


def test_backup_restores_with_a_valid_audit_chain_and_identical_row_counts(
    postgres_only, pg_tools, tmp_path, patient, family_member, revoked_member, counselor
):
    for n in range(5):
        record_audit(kind=AuditEvent.Kind.values[0], actor=counselor, patient=patient, data={"n": n})
    source = database_url()
    dump = tmp_path / "portal.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", f"--dbname={source}"],
        check=True,
        timeout=120,
    )
    restored_name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored_name)))
    try:
        restored = database_url(restored_name)
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={restored}", str(dump)],
            check=True,
            timeout=120,
        )
        verify = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"],
            cwd=ROOT,
            env=child_env(DATABASE_URL=restored),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
        assert "intact" in verify.stdout
        source_counts = _counts(source)
        assert source_counts["consent_auditevent"] >= 5
        assert _counts(restored) == source_counts
    finally:
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(restored_name)))


def test_a_tampered_restore_fails_verification(postgres_only, pg_tools, tmp_path, patient, family_member):
    """The check is not vacuous: editing an audit row in the restored copy makes verify_audit exit non-zero."""
    source = database_url()
    dump = tmp_path / "portal.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", f"--file={dump}", f"--dbname={source}"], check=True, timeout=120)
    restored_name = f"{connection.settings_dict['NAME']}_tamper_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored_name)))
    try:
        restored = database_url(restored_name)
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)], check=True, timeout=120)
        with psycopg.connect(restored, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # superuser: bypass the append-only trigger
            conn.execute("UPDATE consent_auditevent SET data = '{\"forged\": true}' WHERE seq = 1")
        verify = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"],
            cwd=ROOT,
            env=child_env(DATABASE_URL=restored),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verify.returncode != 0
        assert "broken at seq 1" in verify.stderr
    finally:
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(restored_name)))
