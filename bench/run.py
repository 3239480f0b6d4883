"""``python -m bench`` / ``make bench``: the benchmark orchestrator (docs/performance.md, performance plan §2–§6).

Stages: 0 setup (fresh database, migrate, seed) · 1 calibration (the machine's limits) · 2 query counts ·
3 HTTP · 4 WebSocket · 5 reminders · 6 report. Options: ``--quick`` (one short repeat), ``--ci`` (reduced size;
exit 1 only on deterministic checks), ``--strict`` (also fail timings past 2× their goal), ``--stage N``
(repeatable), ``--db {sqlite,postgres}``, ``--layer {memory,redis}``, ``--out DIR``.

Safe by construction: loopback only, every child started through tests.support.procs (PID registry, stopped in a
``finally``), deadlines on every wait, a throw-away database (``bench/results/bench.sqlite3`` or ``fp_bench``).
"""

from __future__ import annotations

import argparse
import os
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


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short repeat of everything")
    parser.add_argument("--ci", action="store_true", help="reduced size; fail only on deterministic checks")
    parser.add_argument("--strict", action="store_true", help="also fail timings past 2x their goal")
    parser.add_argument("--stage", type=int, action="append", help="run only these stages (0 and 6 always run)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def prepare_environment(options: argparse.Namespace) -> str:
    """Point this process and every child at a fresh bench database (never the developer's db.sqlite3)."""
    os.environ.setdefault("DJANGO_DEBUG", "True")
    os.environ["DJANGO_SETTINGS_MODULE"] = "family_portal.settings"
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL", "SMTP_HOST"):
        os.environ.pop(name, None)  # the bench process itself never sends
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
    prepare_environment(options)
    import django

    django.setup()
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
            "debug": True,
        },
        "metrics": bench.metrics,
        "raw": bench.r,
        "errors": bench.errors,
    }
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


if __name__ == "__main__":
    sys.exit(main())
