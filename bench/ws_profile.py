"""CPU time per connect and per delivered message through the real conversation consumer, in one process.

``python -m bench.ws_profile [--families 40] [--messages 200] [--profile]`` with production settings on the
PostgreSQL and Redis the bench uses (``BENCH_DATABASE_URL``, ``BENCH_REDIS_URL``; the database is recreated).
Three signed-in sockets per family (two members and the counselor) are opened at once, then every family's
members take turns sending. The figures are ``time.process_time`` (this process's CPU, the test client's small
share included) and the database queries per connect and per message, so they mean something on a loaded
machine where wall-clock latencies do not. ``--profile`` prints the top of a cProfile of the message phase,
``--profile-connect`` of the connect phase (Python 3.12+'s cProfile sees every thread, so the worker threads'
database calls too). ``--memory`` then opens the same sockets twice more on the warmed process (closed again
before the message phase): the RSS growth per socket of the first storm and of the second, and the third's
allocations by tracemalloc (this process holds the test client's side too), by site. ``WS_PROFILE_SQL=1`` prints
the connect phase's first statements and the last statements run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import re
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.run import PG_BENCH_URL, REDIS_BENCH_URL, production_env


class QueryCounter:
    """Counts every SQL statement on every thread's connection (``connection_created`` adds the wrapper)."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        if os.environ.get("WS_PROFILE_SQL"):
            self.statements.append(sql[:160])
        return execute(sql, params, many, context)

    def install(self) -> None:
        from django.db.backends.signals import connection_created

        def attach(sender: Any, connection: Any, **kwargs: Any) -> None:
            if self not in connection.execute_wrappers:
                connection.execute_wrappers.append(self)

        connection_created.connect(attach, weak=False)


class ThreadCpu:
    """CPU seconds spent inside the socket's database calls (``time.thread_time`` of the worker thread that ran
    each), to split a message's or a handshake's cost between the database call and everything else."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def install(self) -> None:
        import functools

        from messaging import socket_auth, socket_calls

        for module, name in ((socket_auth, "signed_in"), (socket_calls, "admit"), (socket_calls, "send_and_describe")):
            original = getattr(module, name)

            def timed(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
                started = time.thread_time()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds[_name] = self.seconds.get(_name, 0.0) + time.thread_time() - started

            setattr(module, name, functools.wraps(original)(timed))


def setup(database_url: str, redis_url: str) -> None:
    import psycopg
    from psycopg import sql

    os.environ.update(production_env())
    os.environ.update({"DJANGO_SETTINGS_MODULE": "family_portal.settings", "PORTAL_LOG_LEVEL": "WARNING"})
    os.environ.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


async def _frames(communicator: Any, want: int, kind: str, timeout: float) -> int:
    got = 0
    while got < want:
        frame = json.loads(await communicator.receive_from(timeout=timeout))
        got += frame.get("type") == kind
    return got


def signed_in(families: list[Any]) -> list[list[str]]:
    """Session keys of each family's two first members and counselor, made before the loop starts (and this
    thread's connection then closed, so the pool's connections are all the sockets')."""
    from django.db import connection

    from tests.support.sessions import session_key_for

    keys = [[session_key_for(p) for p in (f.members[0], f.members[1], f.counselor)] for f in families]
    connection.close()
    return keys


async def measure(
    families: list[Any],
    keys: list[list[str]],
    messages: int,
    profile: bool,
    counter: QueryCounter,
    profile_connect: bool = False,
    memory: bool = False,
) -> dict[str, Any]:
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from messaging.routing import websocket_urlpatterns
    from messaging.socket_auth import SocketAuthMiddleware

    app = SocketAuthMiddleware(URLRouter(websocket_urlpatterns))  # the portal's stack minus the Origin check

    def communicators() -> list[list[Any]]:
        return [
            [
                WebsocketCommunicator(
                    app,
                    f"/ws/conversations/{family.conversation.pk}/",
                    headers=[(b"cookie", f"{settings.SESSION_COOKIE_NAME}={k}".encode())],
                )
                for k in family_keys
            ]
            for family, family_keys in zip(families, keys, strict=True)
        ]

    rooms = communicators()
    sockets = [c for room in rooms for c in room]
    rss_before = _rss_kb()
    connect_profiler = cProfile.Profile(time.process_time) if profile_connect else None
    queries, cpu, wall = counter.count, time.process_time(), time.perf_counter()
    if connect_profiler:
        connect_profiler.enable()
    results = await asyncio.gather(*(c.connect(timeout=60) for c in sockets))
    if connect_profiler:
        connect_profiler.disable()
    if os.environ.get("WS_PROFILE_SQL"):
        print("\n".join(counter.statements[queries : queries + 40]), file=sys.stderr)
    connect: dict[str, Any] = {
        "sockets": len(sockets),
        "refused": sum(not ok for ok, _ in results),
        "cpu_ms_per_connect": round((time.process_time() - cpu) * 1000 / len(sockets), 3),
        "queries_per_connect": round((counter.count - queries) / len(sockets), 2),
        "wall_s": round(time.perf_counter() - wall, 3),
    }
    if memory:
        connect["memory"] = await _memory(communicators, len(sockets), rss_before)
    profiler = cProfile.Profile(time.process_time) if profile else None
    per_room = [0] * len(rooms)
    for n in range(messages):
        per_room[n % len(rooms)] += 1
    queries, cpu, wall = counter.count, time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for n in range(messages):
        room = rooms[n % len(rooms)]
        sender = room[(n // len(rooms)) % 2]
        await sender.send_to(text_data=json.dumps({"type": "message", "body": f"load {n}"}))
        await asyncio.sleep(0)
    delivered = sum(
        await asyncio.gather(*(_frames(c, per_room[i], "message", 60) for i, room in enumerate(rooms) for c in room))
    )
    if profiler:
        profiler.disable()
    cpu_s = time.process_time() - cpu
    sent = {
        "messages": messages,
        "deliveries": delivered,
        "cpu_ms_per_message": round(cpu_s * 1000 / messages, 3),
        "cpu_ms_per_delivery": round(cpu_s * 1000 / max(1, delivered), 3),
        "queries_per_message": round((counter.count - queries) / messages, 2),
        "wall_s": round(time.perf_counter() - wall, 3),
    }
    await asyncio.gather(*(c.disconnect() for c in sockets))
    if os.environ.get("WS_PROFILE_SQL"):
        print("\n".join(counter.statements[-60:]), file=sys.stderr)
    for phase_profiler in (connect_profiler, profiler):
        if phase_profiler:
            _print_profile(phase_profiler)
    return {"connect": connect, "message": sent}


def _rss_kb() -> int:
    from bench.websocket import rss_kb

    gc.collect()
    return rss_kb(os.getpid())


async def _memory(communicators: Any, count: int, rss_before: int) -> dict[str, Any]:
    """Per socket: the first storm's RSS growth (``rss_before`` to now), a second storm's on the warmed process, and
    a third's traced allocations, whose top sites are printed."""
    first = _rss_kb() - rss_before
    extra = [c for room in communicators() for c in room]
    before = _rss_kb()
    await asyncio.gather(*(c.connect(timeout=60) for c in extra))
    second = _rss_kb() - before
    traced = [c for room in communicators() for c in room]
    tracemalloc.start(12)
    gc.collect()
    start = tracemalloc.take_snapshot()
    await asyncio.gather(*(c.connect(timeout=60) for c in traced))
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    await asyncio.gather(*(c.disconnect() for c in extra + traced))
    diff = snapshot.compare_to(start, "traceback")
    grown = sum(d.size_diff for d in diff)
    _print_sites(diff, count)
    return {
        "rss_kb_per_socket_first_storm": round(first / count, 1),
        "rss_kb_per_socket_second_storm": round(second / count, 1),
        "traced_kb_per_socket_third_storm": round(grown / count / 1024, 1),
    }


def _print_sites(diff: list[tracemalloc.StatisticDiff], count: int) -> None:
    """The traced growth per socket by the innermost frame and the innermost frame of the portal's own code."""
    root = str(Path(__file__).resolve().parent.parent)
    sites: dict[str, float] = {}
    for d in diff:
        frames = list(d.traceback)  # most recent last
        inner = f"{frames[-1].filename.removeprefix(root)}:{frames[-1].lineno}"
        ours = next((f for f in reversed(frames) if f.filename.startswith(root) and "/.venv/" not in f.filename), None)
        owner = f"{ours.filename.removeprefix(root)}:{ours.lineno}" if ours else "-"
        key = f"{owner}  <-  {inner}"
        sites[key] = sites.get(key, 0.0) + d.size_diff / count
    for key, size in sorted(sites.items(), key=lambda item: -item[1])[:40]:
        print(f"{size:8.0f} B/socket  {key}", file=sys.stderr)


def _print_profile(profiler: cProfile.Profile) -> None:
    root = re.escape(str(Path(__file__).resolve().parent.parent))
    apps = "messaging|accounts|consent|family_portal"
    ours = rf"{root}/({apps})/|compiler.py.*execute_sql|psycopg/cursor.py.*execute"
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(ours, 45)
    stats.sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ws_profile", description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=40)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-connect", action="store_true")
    parser.add_argument("--memory", action="store_true")
    options = parser.parse_args(argv)
    setup(os.environ.get("BENCH_DATABASE_URL", PG_BENCH_URL), os.environ.get("BENCH_REDIS_URL", REDIS_BENCH_URL))
    from django.utils import timezone

    from bench import seed

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    data = seed.seed(now=now, families=options.families, messages_per_family=5)
    families = [f for f in data.families if len(f.members) >= 2]
    counter = QueryCounter()
    counter.install()
    keys = signed_in(families)
    threads = ThreadCpu()
    threads.install()
    result = asyncio.run(
        measure(families, keys, options.messages, options.profile, counter, options.profile_connect, options.memory)
    )
    result["connect"]["cpu_ms_in_admit"] = round(threads.seconds["admit"] * 1000 / result["connect"]["sockets"], 3)
    signing_in = threads.seconds["signed_in"] * 1000 / result["connect"]["sockets"]
    result["connect"]["cpu_ms_in_signed_in"] = round(signing_in, 3)
    sent = threads.seconds["send_and_describe"] * 1000 / result["message"]["messages"]
    result["message"]["cpu_ms_in_send_and_describe"] = round(sent, 3)
    print(json.dumps({"families": len(families), **result}))


if __name__ == "__main__":
    main()
