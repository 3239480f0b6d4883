"""``python -m bench`` / ``make bench``: the benchmark orchestrator (docs/performance.md, performance plan §2–§6).

Stages: 0 setup (fresh database, migrate, seed) · 1 calibration (the machine's limits) · 2 query counts ·
3 HTTP · 4 WebSocket · 5 reminders · 6 report. Options: ``--quick`` (one short repeat), ``--ci`` (reduced size;
exit 1 only on deterministic checks), ``--strict`` (also fail timings past 2× their goal), ``--stage N``
(repeatable), ``--db {sqlite,postgres}``, ``--layer {memory,redis}``, ``--out DIR``, ``--profile``:
``production`` (``DJANGO_DEBUG=False``, PostgreSQL through psycopg's pool, Redis, cached templates, static files
collected, clients behind a TLS-terminating proxy, a notifications worker running beside Daphne), ``embedded`` (the
development default: ``DJANGO_DEBUG=True``, and ``--db``/``--layer``), or ``auto`` (production when PostgreSQL and
Redis answer, else embedded, said loudly; what ``make bench`` runs).

Safe by construction: loopback only, every child started through tests.support.procs (PID registry, stopped in a
``finally``), deadlines on every wait, a throw-away database (``bench/results/bench.sqlite3`` or ``fp_bench``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fp_bench")
REDIS_BENCH_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")


def production_env() -> dict[str, str]:
    """Production settings for this process and every child, as deploy/ and .env.example set them, except what the
    bench must own: loopback host names, a throw-away secret key, no real mail or texts (workers get ``TWILIO_*``
    pointing at the fake Twilio; the bench process and Daphne never text)."""
    return {
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "PORTAL_DB_POOL": "True",
        "PORTAL_BEHIND_PROXY": "True",  # clients send X-Forwarded-Proto: https, as deploy/nginx.conf does
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "9",  # nothing in the bench sends mail; a stray one fails fast and is retried
        "PORTAL_ALLOW_CONSOLE_SMS": "True",
    }


def reachable(url: str, default_port: int) -> bool:
    """True when something accepts a TCP connection at ``url``'s host and port within a second."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def resolve_profile(options: argparse.Namespace) -> None:
    """Turn ``--profile auto`` into production or embedded; production implies PostgreSQL and Redis."""
    if options.profile == "auto":
        services = reachable(PG_BENCH_URL, 5432) and reachable(REDIS_BENCH_URL, 6379)
        options.profile = "production" if services else "embedded"
        if not services:
            print(
                "[bench] *** PostgreSQL or Redis is not reachable: falling back to the EMBEDDED DEFAULT "
                "(DJANGO_DEBUG=True, SQLite, in-memory channel layer). These numbers describe a development setup, "
                "not production. ***",
                flush=True,
            )
    if options.profile == "production":
        options.db, options.layer = "postgres", "redis"
        print("[bench] production settings: DJANGO_DEBUG=False, PostgreSQL + pool, Redis, cached templates", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short repeat of everything")
    parser.add_argument("--ci", action="store_true", help="reduced size; fail only on deterministic checks")
    parser.add_argument("--strict", action="store_true", help="also fail timings past 2x their goal")
    parser.add_argument("--stage", type=int, action="append", help="run only these stages (0 and 6 always run)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        choices=["auto", "production", "embedded"],
        default="embedded",
        help="production settings, the embedded default, or production when PostgreSQL and Redis answer (auto)",
    )
    return parser.parse_args(argv)


def prepare_environment(options: argparse.Namespace) -> str:
    """Point this process and every child at a fresh bench database (never the developer's db.sqlite3)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "family_portal.settings"
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL", "SMTP_HOST"):
        os.environ.pop(name, None)  # the bench process itself never sends
    if options.profile == "production":
        os.environ.update(production_env())
    else:
        os.environ.setdefault("DJANGO_DEBUG", "True")
    if options.db == "sqlite":
        options.out.mkdir(parents=True, exist_ok=True)
        path = options.out / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        import psycopg
        from psycopg import sql

        url = PG_BENCH_URL
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = url
    if options.layer == "redis":
        os.environ["REDIS_URL"] = REDIS_BENCH_URL
    else:
        os.environ.pop("REDIS_URL", None)
    return url


class Bench:
    def __init__(self, options: argparse.Namespace) -> None:
        self.o = options
        self.size = "ci" if options.ci else "quick" if options.quick else "full"
        self.r: dict[str, Any] = {}
        self.errors: list[str] = []
        self.metrics: list[Any] = []

    def scaled(self, full: float, quick: float, ci: float | None = None) -> float:
        return {"full": full, "quick": quick, "ci": quick if ci is None else ci}[self.size]

    def wanted(self, stage: int) -> bool:
        return not self.o.stage or stage == 0 or stage in self.o.stage

    def stage(self, number: int, name: str, fn: Callable[[], None]) -> None:
        if not self.wanted(number):
            return
        started = time.monotonic()
        print(f"[bench] stage {number}: {name} …", flush=True)
        try:
            fn()
        except Exception as exc:  # a broken stage is reported; the others still run
            self.errors.append(f"stage {number} ({name}): {type(exc).__name__}: {exc}")
            traceback.print_exc()
        print(f"[bench] stage {number} done in {time.monotonic() - started:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    resolve_profile(options)
    prepare_environment(options)
    import django

    django.setup()
    from django.conf import settings

    if options.profile == "production":
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)  # the manifest storage needs it, as deploys do
    from tests.support.procs import ProcessRegistry

    bench = Bench(options)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    loadavg = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    with ProcessRegistry(grace_s=5) as procs:
        from bench import stages

        stages.run_all(bench, procs)
    from bench import report
    from bench.evaluate import evaluate

    bench.metrics = evaluate(bench.r)
    result = {
        "meta": {
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "mode": bench.size,
            "db": options.db,
            "layer": options.layer,
            "seed": bench.r.get("seed"),
            "families": bench.r.get("families"),
            "duration_s": round(time.monotonic() - t0, 1),
            "loadavg": loadavg,
            "load_warning": loadavg != "?" and float(loadavg) > 0.5,
            "machine": report.machine(),
            "profile": options.profile,
            "debug": settings.DEBUG,
            "db_pool": bool(settings.DATABASES["default"].get("OPTIONS", {}).get("pool")),
            "cached_templates": cached_templates(),
        },
        "metrics": bench.metrics,
        "raw": bench.r,
        "errors": bench.errors,
    }
    close_pools()
    json_path, md_path = report.write(result, options.out, started.strftime("%Y%m%dT%H%M%SZ"))
    print(md_path.read_text())
    print(f"[bench] wrote {json_path} and {md_path}")
    gate_failures = [m.id for m in bench.metrics if m.gate and m.passed is False]
    strict_failures = [m.id for m in bench.metrics if m.strict_fail]
    if (options.ci or options.strict) and (gate_failures or bench.errors):
        print(f"[bench] deterministic checks failed: {gate_failures or bench.errors}")
        return 1
    if options.strict and strict_failures:
        print(f"[bench] timings past 2x their goal: {strict_failures}")
        return 1
    return 0


def cached_templates() -> bool:
    """Whether Django's template engine caches compiled templates (the default when DEBUG is off)."""
    from django.template import engines
    from django.template.loaders.cached import Loader

    return any(isinstance(loader, Loader) for loader in engines["django"].engine.template_loaders)  # type: ignore[attr-defined]


def close_pools() -> None:
    """Close psycopg's pool before exit (left open, its threads hold the interpreter's exit for ~5 s each)."""
    from django.db import connections

    for conn in connections.all():
        close_pool = getattr(conn, "close_pool", None)
        if close_pool is not None:
            conn.close()
            close_pool()


if __name__ == "__main__":
    sys.exit(main())
