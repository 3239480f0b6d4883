"""Stage 4: WebSocket latency and delivery (W1–W6), each next to the raw ``websockets`` floor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from bench import ws_client
from bench.seed import Dataset, Family
from tests.support.sessions import cookie_header, session_key_for


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw_floors(port: int, *, echo_count: int, rooms_duration: float, broadcast_duration: float) -> dict[str, Any]:
    base = f"ws://127.0.0.1:{port}"

    async def run() -> dict[str, Any]:
        echo = await ws_client.echo(f"{base}/echo", echo_count)
        rooms = [ws_client.Group([f"{base}/room/r{g}"] * 3, [{}] * 3) for g in range(100)]
        k3 = await ws_client.fanout(rooms, rate=100, duration=rooms_duration)
        wide = [ws_client.Group([f"{base}/room/wide"] * 100, [{}] * 100)]
        k100 = await ws_client.fanout(wide, rate=5, duration=broadcast_duration)
        return {"echo": echo, "k3": k3, "k100": k100}

    return asyncio.run(run())


def channels_layer(port: int, *, echo_count: int, broadcast_duration: float) -> dict[str, Any]:
    base = f"ws://127.0.0.1:{port}/ws/bench"

    async def run() -> dict[str, Any]:
        echo = await ws_client.echo(f"{base}/echo/", echo_count)
        wide = [ws_client.Group([f"{base}/room/wide/"] * 100, [{}] * 100)]
        k100 = await ws_client.fanout(wide, rate=5, duration=broadcast_duration)
        return {"echo": echo, "k100": k100}

    return asyncio.run(run())


# W4: a short open-loop rate sweep through the real consumer on the W2 connections (messages/s over every room;
# 3 deliveries each). Two senders per room keep each sender socket at ≤ 1 frame/s at the top step, the consumer's
# per-connection frame rate (messaging/ratelimit.py), so the sweep measures delivery, not the flood guard.
SWEEP_RATES = (10.0, 25.0, 50.0, 100.0, 150.0, 200.0)
SWEEP_STEP_S = 3.0
SWEEP_DRAIN_S = 3.0
SWEEP_P99_MS = 100.0
SWEEP_MIN_RATE = 50.0  # below this the stage is a completeness check (the CI run offers 10 msg/s): no sweep
STORM_PARALLEL = 100  # handshakes in flight at once during the connect storm (W6)
W5_PARALLEL = 20  # handshakes in flight at once while W5 opens its second set of connections


def default_sweep(rate: float) -> Sequence[float]:
    """The W4 steps for a stage offering ``rate`` messages/s in W2: none for the CI completeness run."""
    return SWEEP_RATES if rate >= SWEEP_MIN_RATE else ()


def sustained(step: dict[str, Any]) -> bool:
    """A sweep step holds when everything arrived, once, without errors, with p99 ≤ ``SWEEP_P99_MS``."""
    complete = step["delivered"] == step["expected"] and not step["duplicates"] and not step["errors"]
    return complete and step["p99_ms"] is not None and step["p99_ms"] <= SWEEP_P99_MS


async def _sweep(
    specs: list[ws_client.Group], connections: list[list[Any]], rates: Sequence[float], first_seq: int
) -> list[dict[str, Any]]:
    """Step up the offered rate until a step does not hold (time-capped: steps × (step + drain))."""
    steps = []
    for rate in rates:
        step = await ws_client.fanout(
            specs,
            rate=rate,
            duration=SWEEP_STEP_S,
            encode=ws_client.portal_encode,
            decode=ws_client.portal_decode,
            connections=connections,
            drain_s=SWEEP_DRAIN_S,
            first_seq=first_seq,
        )
        first_seq += step["messages"]
        steps.append({"rate": rate, **step, "sustained": sustained(step)})
        if not steps[-1]["sustained"]:
            break
    return steps


async def _storm(specs: list[ws_client.Group], parallel: int = STORM_PARALLEL) -> list[list[Any]]:
    """Open every room's connections at once (W6; ``parallel`` handshakes in flight), then group them back by
    room."""
    flat = await ws_client.open_all(
        [u for spec in specs for u in spec.urls], [h for spec in specs for h in spec.headers], parallel
    )
    rooms, at = [], 0
    for spec in specs:
        rooms.append(flat[at : at + len(spec.urls)])
        at += len(spec.urls)
    return rooms


async def _second_storm_kb(specs: list[ws_client.Group], parallel: int, rss_total: Callable[[], int]) -> float | None:
    """W5: RSS growth per connection of the same connections opened again beside the first storm's, on the warmed
    process (at most ``W5_PARALLEL`` handshakes in flight: a memory figure, not a timing); then closed, waiting (up
    to 30 s) until the server has removed their presence rows, so W2 runs on the first storm's connections alone."""
    total = sum(len(s.urls) for s in specs)
    if not total:
        return None
    before = rss_total()
    more = await _storm(specs, min(parallel, W5_PARALLEL))
    await asyncio.sleep(1.0)
    grown = rss_total() - before
    await ws_client.close_all(more)
    deadline = asyncio.get_running_loop().time() + 30.0
    while await asyncio.to_thread(_open_sockets) > total and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)  # the server's disconnects (group_discard, presence row) run after the close
    return round(grown / total, 1)


def _open_sockets() -> int:
    """Presence rows: one per socket the server holds open (``messaging.presence``)."""
    from django.db import connection

    from messaging.models import SocketConnection

    try:
        return SocketConnection.objects.count()
    finally:
        connection.close()  # this worker thread's own connection


def family_rooms(
    data: Dataset,
    ports: Sequence[int],
    pids: Sequence[int],
    *,
    groups: int,
    rate: float,
    duration: float,
    drain_s: float = 15.0,
    sweep_rates: Sequence[float] | None = None,
    ended_members: bool = True,
    storm_parallel: int = STORM_PARALLEL,
    second_storm: bool = True,
) -> dict[str, Any]:
    """W2 + W4 + W5 + W6 through the real consumer: per family the two first members and the counselor, signed
    in; members take turns sending. The connect storm opens all of them at once (W6); W4 steps the rate up on
    the same connections (``sweep_rates``, default ``default_sweep(rate)``). Then consent under load: members
    whose consent ended try to connect (``ended_members``). ``storm_parallel`` bounds the handshakes in flight
    (CI opens fewer at once: there the storm only sets up the completeness check, and on a loaded machine a
    handshake queued past Daphne's 5 s deadline is closed unanswered).

    With several Daphne processes (``ports``, ``pids``) the sockets go round-robin over them, so the three
    sockets of a room sit in different processes and every delivery but the sender's own crosses the Redis
    channel layer, as it would behind a load balancer; RSS per connection is over all of them.

    W5 (``rss_per_connection_kb``) is the memory of one more authenticated connection on a warmed process: with the
    first storm's connections still open, the same connections are opened a second time, and the RSS growth over
    that second storm is divided by its connections; they are closed again (and their server side gone) before
    W2. The first storm's own growth (``rss_first_storm_per_connection_kb``, for reference) also counts what the
    process allocates once when a storm first reaches it (its worker threads' database connections, the pools,
    the allocator's arenas, code first run), which made W5 read 38–62 KB in runs of the same code (issue #17).
    ``second_storm=False`` reports only the first storm's figure."""
    sweep_rates = default_sweep(rate) if sweep_rates is None else sweep_rates
    families = [f for f in data.families if len(f.members) >= 2][:groups]
    turn = iter(range(1 << 30))

    def url(conversation_pk: int) -> str:
        return f"ws://127.0.0.1:{ports[next(turn) % len(ports)]}/ws/conversations/{conversation_pk}/"

    def header(user: Any, ws_url: str) -> dict[str, str]:
        origin = {"Origin": "http://" + ws_url.split("/")[2], "X-Forwarded-Proto": "https"}
        return {**origin, "Cookie": cookie_header(session_key_for(user))}

    specs = []
    for family in families:
        people = [family.members[0], family.members[1], family.counselor]
        urls = [url(family.conversation.pk) for _ in people]
        specs.append(ws_client.Group(urls, [header(p, u) for p, u in zip(people, urls, strict=True)], senders=[0, 1]))
    ended: list[tuple[Family, Any]] = [(f, m) for f in data.families for m in f.ended][:20] if ended_members else []
    ended_specs = [(u, header(m, u)) for f, m in ended for u in [url(f.conversation.pk)]]

    def rss_total() -> int:
        return sum(rss_kb(pid) for pid in pids)

    async def run() -> dict[str, Any]:
        idle_rss = rss_total()
        started = asyncio.get_running_loop().time()
        connections = await _storm(specs, storm_parallel)
        storm_s = asyncio.get_running_loop().time() - started
        await asyncio.sleep(1.0)  # let the server settle before reading RSS (bench: polling/sleep is allowed)
        loaded_rss = rss_total()
        marginal_kb = await _second_storm_kb(specs, storm_parallel, rss_total) if second_storm else None
        result = await ws_client.fanout(
            specs,
            rate=rate,
            duration=duration,
            encode=ws_client.portal_encode,
            decode=ws_client.portal_decode,
            connections=connections,
            drain_s=drain_s,
        )
        settled = await ws_client.settle(connections) if sweep_rates else None
        sweep = await _sweep(specs, connections, sweep_rates, first_seq=result["messages"])
        await ws_client.close_all(connections)
        refused = 0
        for url, head in ended_specs:
            try:
                ws = await ws_client.open_all([url], [head])
                await ws[0].close()
            except Exception:  # refused handshake = the expected outcome
                refused += 1
        total = sum(len(s.urls) for s in specs)
        return {
            **result,
            "processes": len(ports),
            "storm_connections": total,
            "storm_s": round(storm_s, 3),
            "rss_per_connection_kb": marginal_kb,
            "rss_first_storm_per_connection_kb": round((loaded_rss - idle_rss) / total, 1) if total else None,
            "ended_attempts": len(ended_specs),
            "ended_refused": refused,
            "sweep": sweep,
            "settled_before_sweep": settled,
        }

    return asyncio.run(run())
