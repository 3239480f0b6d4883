"""The stages themselves, in order; each writes its raw numbers into ``bench.r`` (see bench/evaluate.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench import pages, reminders, seed, websocket
from tests.support.procs import LISTENING, ProcessRegistry
from tests.support.sessions import cookie_header, session_key_for

SERVER_CPU = 0
CLIENT_CPU = 1
# Handshakes in flight at once in the CI run's storm: it only sets up W2's completeness gate there (W6 is a timing),
# and 100 at once on a loaded machine queue past Daphne's 5 s handshake deadline ("did not receive a valid HTTP
# response"), which failed the gate for the machine's load, not the portal's.
CI_STORM_PARALLEL = 20


def _two_cpus() -> bool:
    return (os.cpu_count() or 1) >= 2


def load(spec: dict[str, Any], cpu: int | None = CLIENT_CPU) -> dict[str, Any]:
    """Run bench.http_load in its own process (pinned to the client CPU) and return its JSON line."""
    command = [sys.executable, "-m", "bench.http_load", json.dumps(spec)]
    if cpu is not None and _two_cpus():
        command = ["taskset", "-c", str(cpu), *command]
    timeout = float(spec.get("duration", 10)) + 60
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True, cwd=seed_root())
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed_root() -> str:
    from tests.support.procs import ROOT

    return str(ROOT)


def run_all(bench: Any, procs: ProcessRegistry) -> None:
    r = bench.r
    state: dict[str, Any] = {}

    def setup() -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")  # persistent: every process uses WAL
        families = int(bench.scaled(500, 150, 60))
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        started = timezone.now()
        data = seed.seed(now=now, families=families)
        r["seed"], r["families"] = data.seed, families
        r["seed_s"] = round((timezone.now() - started).total_seconds(), 1)
        r["dataset"] = data.counts
        state["data"] = data
        if _two_cpus():
            os.sched_setaffinity(0, {CLIENT_CPU})

    bench.stage(0, "setup: migrate and seed", setup)
    data = state.get("data")
    if data is None:
        return
    family_q, family_h = data.families[0], data.families[1]
    env = {"PORTAL_LOG_LEVEL": "INFO"}  # Daphne announces its port at INFO

    def calibration() -> None:
        from bench import floors

        ci = bench.size == "ci"  # CI needs only the servers, not the floors
        if not ci:
            echo = procs.start("echo-server", [sys.executable, "-m", "bench.floors", "echo-server"], cpu=SERVER_CPU)
            port = int(echo.wait_for(LISTENING, timeout=30).group(2))
            r["rtt"] = floors.loopback_rtt(port, int(bench.scaled(20000, 5000)))
            procs.stop(echo)
        duration = bench.scaled(5, 3, 2)
        if not ci:
            _, bare = procs.start_daphne("daphne-bare", env, app="tests.support.bare_asgi:application", cpu=SERVER_CPU)
            r["bare_asgi_c16"] = load(
                {
                    "mode": "closed",
                    "ports": [bare],
                    "paths": ["/"],
                    "cookies": [],
                    "concurrency": 16,
                    "duration": duration,
                }
            )
        _, portal = procs.start_daphne("daphne-portal", env, app="bench.channels_asgi:application", cpu=SERVER_CPU)
        state["portal_port"] = portal
        state["portal_pid"] = procs.children[-1].pid
        if not ci:
            for concurrency in (16, 1):
                r[f"healthz_daphne_c{concurrency}"] = load(
                    {
                        "mode": "closed",
                        "ports": [portal],
                        "paths": ["/healthz?live"],
                        "cookies": [],
                        "concurrency": concurrency,
                        "duration": duration,
                    }
                )
        fake = procs.start("fake-twilio", [sys.executable, "-m", "bench.fake_twilio"], cpu=SERVER_CPU)
        state["fake_port"] = int(fake.wait_for(LISTENING, timeout=30).group(2))
        if bench.o.profile == "production":
            # As deployed: the notifications worker runs beside Daphne (heartbeat, periodic scans, LISTEN) through
            # the HTTP and WebSocket stages; stage 5 stops it and measures workers of its own.
            state["background_worker"] = reminders.start_worker(
                procs, "worker-background", reminders.worker_env(state["fake_port"], mps=1.0), cpu=SERVER_CPU
            )
        if not ci:
            r["twilio_raw"] = floors.twilio_raw(f"http://127.0.0.1:{state['fake_port']}", int(bench.scaled(1000, 300)))
            r["noop_outbox"] = floors.noop_outbox_loop(family_q.members[0].pk, int(bench.scaled(1000, 300)))

    if bench.o.stage and 1 not in bench.o.stage and {3, 4, 5} & set(bench.o.stage):
        bench.o.stage.append(1)  # the servers those stages use start in stage 1
    bench.stage(1, "calibration", calibration)

    def query_counts() -> None:
        r["q1_floor"] = pages.floor_queries(family_q)
        r["q1"] = pages.query_counts(data, family_q)

    bench.stage(2, "query counts at 1x and 10x", query_counts)

    def http() -> None:
        if bench.size == "ci":
            return
        r["h1"] = pages.in_process_times(data, family_h, int(bench.scaled(15, 8, 5)))
        port = state.get("portal_port")
        if port is None:
            return
        _, second = procs.start_daphne("daphne-portal-2", env, app="bench.channels_asgi:application")
        member = cookie_header(session_key_for(family_h.members[0]))
        staff = cookie_header(session_key_for(family_h.counselor))
        targets = [
            p
            for p in pages.key_pages(data, family_h)
            if p.name in ("family dashboard", "conversation", "counselor inbox")
        ]
        duration = bench.scaled(5, 3, 2)
        r["http"] = {}
        for page in targets:
            cookie = staff if page.side == "staff" else member
            spec = {"paths": [page.url], "cookies": [cookie]}
            two = load(
                {"mode": "closed", "ports": [port, second], "concurrency": 16, "duration": duration, **spec}, cpu=None
            )
            one = load({"mode": "closed", "ports": [port], "concurrency": 16, "duration": duration, **spec})
            c1 = load({"mode": "closed", "ports": [port], "concurrency": 1, "duration": duration / 2, **spec})
            rate = max(1.0, two["rps"] * 0.5)
            open_loop = load(
                {"mode": "open", "ports": [port, second], "rate": rate, "duration": duration, **spec}, cpu=None
            )
            r["http"][page.name] = {"two_c16": two, "one_c16": one, "one_c1": c1, "open_50pct": open_loop}
        r["healthz_two_c16"] = load(
            {
                "mode": "closed",
                "ports": [port, second],
                "paths": ["/healthz?live"],
                "cookies": [],
                "concurrency": 16,
                "duration": duration,
            },
            cpu=None,
        )

    bench.stage(3, "HTTP pages", http)

    def ws() -> None:
        echo_count = int(bench.scaled(3000, 1000, 500))
        rooms_s, bcast_s = bench.scaled(10, 5, 3), bench.scaled(8, 4, 3)
        if bench.size != "ci":
            raw = procs.start("raw-websockets", [sys.executable, "-m", "bench.raw_ws"], cpu=SERVER_CPU)
            raw_port = int(raw.wait_for(LISTENING, timeout=30).group(2))
            r["ws_raw"] = websocket.raw_floors(
                raw_port, echo_count=echo_count, rooms_duration=rooms_s, broadcast_duration=bcast_s
            )
            procs.stop(raw)
        port = state.get("portal_port")
        if port is None:
            return
        r["ws_channels"] = websocket.channels_layer(port, echo_count=echo_count, broadcast_duration=bcast_s)
        groups = int(bench.scaled(100, 100, 40))
        rate = float(groups) if bench.size != "ci" else 10.0  # CI checks completeness at a rate the app sustains
        # A fresh process for W2/W5/W6, so RSS growth is the connections' and not earlier stages' heap.
        fresh, fresh_port = procs.start_daphne("daphne-ws", env, cpu=SERVER_CPU)
        r["ws_family"] = websocket.family_rooms(
            data,
            [fresh_port],
            [fresh.pid],
            groups=groups,
            rate=rate,
            duration=rooms_s,
            drain_s=bench.scaled(15, 6, 15),
            sweep_rates=() if bench.size == "ci" else websocket.SWEEP_RATES,  # W4 is a timing: never in CI
            storm_parallel=CI_STORM_PARALLEL if bench.size == "ci" else websocket.STORM_PARALLEL,
        )
        procs.stop(fresh)
        if bench.size == "ci":
            return
        # The same rooms on two fresh Daphne processes (unpinned, as H2's), sockets spread over both: W2, W6 and
        # W4 as deployed behind a balancer, and W4's scaling from one process to two.
        pair = [procs.start_daphne(f"daphne-ws-{n}", env) for n in (1, 2)]
        try:
            r["ws_family_two"] = websocket.family_rooms(
                data,
                [port for _, port in pair],
                [child.pid for child, _ in pair],
                groups=groups,
                rate=rate,
                duration=rooms_s,
                drain_s=bench.scaled(15, 6, 15),
                sweep_rates=websocket.SWEEP_RATES,
                ended_members=False,
                second_storm=False,  # W5 is the one-process run's
            )
        finally:
            for child, _ in pair:
                procs.stop(child)

    bench.stage(4, "WebSocket", ws)

    def sms() -> None:
        if (background := state.pop("background_worker", None)) is not None:
            procs.stop(background)
        fake_port = state.get("fake_port")
        if fake_port is None:
            return
        fake = reminders.Fake(fake_port)
        allowed, ended = reminders.prepare_recipients(data)
        r["r6"] = reminders.enqueue_cost(allowed, int(bench.scaled(200, 50, 50)))
        r["r1"] = reminders.dispatch(procs, fake, fake_port, allowed, ended, int(bench.scaled(1000, 300, 200)))
        if bench.size != "ci":
            r["r2"] = reminders.slow_api(procs, fake, fake_port, allowed, bench.scaled(10, 6))
        r["r3"] = reminders.rate_limit(procs, fake, fake_port, allowed, 3.0, bench.scaled(12, 8, 6))
        if bench.size != "ci":
            r["r4"] = reminders.pickup(procs, fake, fake_port, allowed, int(bench.scaled(6, 4)))
        r["r5"] = reminders.crash(procs, fake, fake_port, allowed, int(bench.scaled(300, 150, 150)))

    bench.stage(5, "reminders", sms)
    r["finished_at"] = (timezone.now() + timedelta(0)).isoformat()
