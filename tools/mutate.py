"""Mutation-test one module with the tests that cover it (mutmut 3), and print the score and the survivors.

    make mutate MODULE=consent/audit.py
    .venv/bin/python tools/mutate.py consent/audit.py [--max-children 1] [--db postgres]

The static mutmut settings are in pyproject's ``[tool.mutmut]`` (every app is copied into ``mutants/`` so Django
starts there). This script narrows them to the module (``only_mutate``) and to the test files listed for it in
``TESTS_FOR``, runs ``mutmut run`` on the embedded SQLite default (``DATABASE_URL`` and ``REDIS_URL`` are
dropped), one child at a time unless told otherwise, then reports. ``--db postgres`` runs the tests on PostgreSQL
instead (``DATABASE_URL`` if it names PostgreSQL, else ``POSTGRES_URL`` below): for code with a PostgreSQL-only
path, such as the audit log's advisory lock. Every run starts from an empty ``mutants/``:
mutmut keeps a mutant's old verdict unless asked to rerun it, so a survivor would stay "survived" after the test
that kills it is written. ``mutants/`` is removed afterwards (``--keep`` keeps it): the suite's source-walking
tests would read its copies. ``docs/testing.md`` records the last scores and the survivors judged equivalent.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sqlite3
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# ``--db postgres`` without a PostgreSQL ``DATABASE_URL``: the local server the suite's postgres-marked tests use.
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/family_portal_mutate"

# Which tests cover which module. Add a module here before mutating it; keep each list to the tests written for it.
TESTS_FOR: dict[str, list[str]] = {
    "consent/audit.py": ["tests/consent/test_audit.py"],
    "consent/invitations.py": ["tests/consent/test_invitations.py", "tests/consent/test_first_visit.py"],
    "consent/policy.py": [
        "tests/consent/test_policy_agreement.py",
        "tests/consent/test_gate.py",
        "tests/consent/test_gate_batch.py",
        "tests/consent/test_state_machine.py",
    ],
    "consent/gate.py": [
        "tests/consent/test_policy_agreement.py",
        "tests/consent/test_gate.py",
        "tests/consent/test_gate_batch.py",
        "tests/consent/test_state_machine.py",
        "tests/consent/test_request_memo.py",
        "tests/consent/test_consent_change.py",
    ],
    "education/access.py": ["tests/education/test_access.py", "tests/education/test_assignments.py"],
    "education/services.py": ["tests/education/test_learning.py", "tests/education/test_assignments.py"],
    "accounts/middleware.py": [
        "tests/foundation/test_sessions.py",
        "tests/foundation/test_mfa.py",
        "tests/foundation/test_headers.py",
    ],
    "messaging/consumers.py": [
        "tests/messaging/test_consumers.py",
        "tests/messaging/test_session_end.py",
        "tests/messaging/test_readers_socket.py",
    ],
    "messaging/socket_calls.py": [
        "tests/messaging/test_consumers.py",
        "tests/messaging/test_session_end.py",
        "tests/messaging/test_readers_socket.py",
    ],
    "notifications/webhooks.py": ["tests/notifications/test_webhooks.py"],
    "notifications/worker/rules.py": ["tests/notifications/test_worker.py", "tests/notifications/test_worker_rules.py"],
}

# The random worlds of tests/consent/test_policy_agreement.py under mutation: few (every surviving mutant runs them
# all), and the same ones for every mutant (the "mutate" Hypothesis profile below), so a verdict never depends on
# a seed. Its fixed @examples pin the boundaries whatever the count.
POLICY_WORLDS = "40"


def _django_apps() -> list[Path]:
    """Every top-level directory with an ``apps.py``: a new app is copied into mutants/ without editing pyproject."""
    return sorted(path.parent.relative_to(ROOT) for path in ROOT.glob("*/apps.py"))


def _narrow_mutmut_config(module: str, tests: list[str]) -> None:
    """Point mutmut at one module and its tests. mutmut 3 reads its settings from pyproject only, so the loaded
    configuration is replaced before anything asks for it (``configuration._config`` is mutmut's own cache)."""
    from mutmut import configuration

    base = configuration._load_config()
    source_paths = sorted(set(base.source_paths) | set(_django_apps()))
    configuration._config = dataclasses.replace(
        base,
        source_paths=source_paths,
        resolved_mutated_source_paths=[ROOT.resolve() / "mutants" / path for path in source_paths],
        only_mutate=[module],
        pytest_add_cli_args_test_selection=list(tests),
    )


def _fresh_postgres_test_database(url: str) -> None:
    """Drop the test database of ``url``: pyproject's ``--reuse-db`` keeps it between the many pytest runs of one
    mutmut run (each would otherwise migrate a new one), so the first run migrates it afresh, as CI's does."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    params = dj_database_url.parse(url)
    with psycopg.connect(
        dbname="postgres",
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        autocommit=True,
    ) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(f"test_{params['NAME']}"))
        )


def _run_mutmut(max_children: int) -> int:
    from mutmut.__main__ import cli

    try:
        cli.main(["run", "--max-children", str(max_children)], prog_name="mutmut", standalone_mode=False)
    except SystemExit as exc:  # mutmut exits 1 when the clean run fails
        return int(exc.code or 0)
    return 0


def _report(module: str) -> tuple[float, list[str]]:
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    data = SourceFileMutationData(path=Path(module))
    data.load()
    statuses = {name: status_by_exit_code[code] for name, code in data.exit_code_by_key.items()}
    counts = Counter(statuses.values())
    survivors = sorted(name for name, status in statuses.items() if status != "killed")
    scored = len(statuses)
    score = 100.0 * counts["killed"] / scored if scored else 0.0
    print()
    print(f"Mutation score for {module}: {counts['killed']}/{scored} killed ({score:.1f}%)")
    print("  " + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
    for name in survivors:
        print()
        print(f"--- {name}: {statuses[name]}")
        print(get_diff_for_mutant(name, path=data.path))
    return score, survivors


# The first run's freshly migrated in-memory database, copied once (see ``pytest_configure``).
_MIGRATED: dict[str, sqlite3.Connection] = {}


def _new_sync_executor_in_child() -> None:
    """asgiref runs every thread-sensitive ``sync_to_async`` call (each ``database_sync_to_async`` of a consumer)
    on one class-level worker thread. A forked mutant inherits that executor but not its thread, so its first such
    call would wait forever and every Channels test would time out: the child gets an executor of its own."""
    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)


def pytest_configure(config: object) -> None:
    """A pytest hook: Hypothesis derandomized, then the migrated database (``_restore_migrated_copy``).

    Every Hypothesis test draws the same examples on every run (``derandomize``: the seed is the test's own
    digest; no example database is read or written), so a mutant is killed or survives whatever the clock says.
    Tests that set their own ``settings`` inherit this, since their settings are built when collected, after it."""
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("mutate", derandomize=True, database=None)
    hypothesis_settings.load_profile("mutate")
    _restore_migrated_copy()


def _restore_migrated_copy() -> None:
    """Migrate once, then start every later run in this process (and its forks) from a copy.

    Migrating the in-memory test database takes longer than most modules' tests, and mutmut starts a pytest run
    per mutant. The first ``create_test_db`` of the process migrates as usual and keeps a private copy of the
    result (SQLite's backup API, so triggers and every table's rows come along); later calls restore that copy
    into the new connection and skip ``migrate``. A fork inherits the copy, so each mutant starts from exactly
    the database a new ``pytest`` process would migrate."""
    from django.conf import settings
    from django.db.backends.sqlite3.creation import DatabaseCreation

    if getattr(DatabaseCreation.create_test_db, "_restores_migrated_copy", False):
        return
    os.register_at_fork(after_in_child=_new_sync_executor_in_child)  # once per process, before any mutant forks
    migrate: Any = DatabaseCreation.create_test_db

    def create_test_db(self: Any, *args: Any, **kwargs: Any) -> str:
        alias = self.connection.alias
        if not self.connection.is_in_memory_db() or kwargs.get("serialize"):
            return migrate(self, *args, **kwargs)
        if alias not in _MIGRATED:
            name: str = migrate(self, *args, **kwargs)
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            self.connection.connection.backup(copy)
            _MIGRATED[alias] = copy
            return name
        name = self._get_test_db_name()
        self.connection.close()
        settings.DATABASES[alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        _MIGRATED[alias].backup(self.connection.connection)
        return name

    create_test_db._restores_migrated_copy = True  # type: ignore[attr-defined]
    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign,assignment]


def pytest_unconfigure(config: object) -> None:
    """A pytest hook: mutmut loads this module into its pytest runs (``-p tools.mutate`` in pyproject).

    mutmut calls pytest many times in one process (stats, clean run, then a fork per mutant). Django never closes
    an in-memory SQLite database, since closing destroys it, so without this each run would start from whatever
    the previous one left behind (the audit log's append-only triggers dropped by a transactional test's flush,
    for one), not from a freshly migrated database as a new ``pytest`` process does. Close it for real here."""
    from django.conf import settings

    if not settings.configured:
        return
    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper

    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite":
            if connection.is_in_memory_db():  # type: ignore[attr-defined]
                BaseDatabaseWrapper.close(connection)
            continue
        connection.close()  # a PostgreSQL socket left open here would be shared by every forked mutant
        # With --reuse-db pytest-django skips the teardown that gives the connection its own name back, so the next
        # run in this process would create "test_test_<name>", then "test_test_test_<name>"…: pin the test name.
        name, test = connection.settings_dict["NAME"], connection.settings_dict.setdefault("TEST", {})
        if name.startswith("test_") and not test.get("NAME"):
            test["NAME"] = name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("module", help=f"one of: {', '.join(TESTS_FOR)}")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant runs (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep mutants/ afterwards (for `mutmut browse`)")
    parser.add_argument(
        "--db", choices=["sqlite", "postgres"], default="sqlite", help="the tests' database (default: embedded SQLite)"
    )
    args = parser.parse_args(argv)
    module = args.module.removeprefix("./")
    if module not in TESTS_FOR:
        parser.error(f"no tests are listed for {module!r} in tools/mutate.py TESTS_FOR; known: {', '.join(TESTS_FOR)}")
    if args.max_children < 1:
        parser.error("--max-children must be at least 1")

    os.chdir(ROOT)
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    os.environ["DJANGO_DEBUG"] = "True"
    os.environ.setdefault("PORTAL_POLICY_WORLDS", POLICY_WORLDS)
    os.environ.pop("REDIS_URL", None)
    database_url = os.environ.pop("DATABASE_URL", "")
    if args.db == "postgres":
        os.environ["DATABASE_URL"] = database_url if database_url.startswith("postgres") else POSTGRES_URL
        _fresh_postgres_test_database(os.environ["DATABASE_URL"])
    _narrow_mutmut_config(module, TESTS_FOR[module])
    try:
        code = _run_mutmut(args.max_children)
        if code != 0:
            print(f"mutmut stopped with exit code {code}", file=sys.stderr)
            return code
        _report(module)
        return 0
    finally:
        if not args.keep:  # the tree's source-walking tests (e.g. tests/messaging/test_boundaries.py) would read it
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
