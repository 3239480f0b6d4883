"""One-way WebSocket latency with one clock (performance plan §2): one process holds every receiver and sender.

Senders stamp each frame with a sequence number and ``perf_counter_ns()`` on a fixed schedule; receivers record
now − stamp. After the schedule the client waits (with a deadline) for deliveries still outstanding and reports
p50/p99/max, delivered/expected, duplicates and the offered deliveries per second. Compression off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

Encode = Callable[[int, int], str]
Decode = Callable[[str], tuple[int, int] | None]


@dataclass
class Group:
    urls: list[str]
    headers: list[dict[str, str]]
    senders: list[int] = field(default_factory=lambda: [0])


def raw_encode(seq: int, stamp: int) -> str:
    return f"{seq} {stamp}"


def raw_decode(text: str) -> tuple[int, int] | None:
    seq, _, stamp = text.partition(" ")
    return (int(seq), int(stamp)) if stamp else None


def portal_encode(seq: int, stamp: int) -> str:
    return json.dumps({"type": "message", "body": f"bench {seq} {stamp}"})


def portal_decode(text: str) -> tuple[int, int] | None:
    frame = json.loads(text)
    if frame.get("type") != "message":
        if frame.get("type") == "error":
            raise RuntimeError(f"portal error frame: {frame.get('error')}")
        return None
    body = "".join(part.get("text", "") for part in frame["message"].get("parts", []))
    words = body.split()
    if len(words) == 3 and words[0] == "bench":
        return int(words[1]), int(words[2])
    return None


async def open_all(urls: list[str], headers: list[dict[str, str]], parallel: int = 50) -> list[ClientConnection]:
    gate = asyncio.Semaphore(parallel)

    async def one(url: str, header: dict[str, str]) -> ClientConnection:
        async with gate:
            return await connect(
                url,
                additional_headers=header,
                compression=None,
                max_size=None,
                open_timeout=60,
                ping_interval=None,
                max_queue=None,
            )

    return list(await asyncio.gather(*(one(u, h) for u, h in zip(urls, headers, strict=True))))


def _stats(latencies_ns: list[int]) -> dict[str, float | None]:
    if not latencies_ns:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    values = sorted(latencies_ns)
    return {
        "p50_ms": round(statistics.median(values) / 1e6, 3),
        "p99_ms": round(values[min(len(values) - 1, int(0.99 * len(values)))] / 1e6, 3),
        "max_ms": round(values[-1] / 1e6, 3),
    }


async def echo(url: str, count: int, header: dict[str, str] | None = None, warmup: int = 200) -> dict[str, Any]:
    """Round trips on one connection (W1 and its raw floor)."""
    async with connect(url, additional_headers=header or {}, compression=None, ping_interval=None) as ws:
        rtts = []
        for n in range(warmup + count):
            t0 = time.perf_counter_ns()
            await ws.send(f"{n} {t0}")
            await ws.recv()
            if n >= warmup:
                rtts.append(time.perf_counter_ns() - t0)
    return {"count": count, **_stats(rtts)}


async def fanout(
    groups: list[Group],
    *,
    rate: float,
    duration: float,
    encode: Encode = raw_encode,
    decode: Decode = raw_decode,
    drain_s: float = 15.0,
    connections: list[list[ClientConnection]] | None = None,
    first_seq: int = 0,
) -> dict[str, Any]:
    """Open every group's connections (unless given), send ``rate`` frames/s round-robin over groups for
    ``duration`` s, and collect deliveries on every connection (senders included). Sequence numbers start at
    ``first_seq``; frames numbered outside this run (late deliveries of an earlier run on the same connections)
    are ignored."""
    opened_at = time.perf_counter()
    if connections is None:
        connections = []
        for group in groups:
            connections.append(await open_all(group.urls, group.headers))
    connect_s = time.perf_counter() - opened_at
    expected_per = [len(g.urls) for g in groups]
    latencies: list[int] = []
    seen: set[tuple[int, int, int]] = set()
    duplicates = 0
    errors: list[str] = []
    total = int(rate * duration)
    expected = sum(expected_per[n % len(groups)] for n in range(total))
    ours = range(first_seq, first_seq + total)
    done = asyncio.Event()

    async def reader(g: int, c: int, ws: ClientConnection) -> None:
        nonlocal duplicates
        try:
            async for text in ws:
                try:
                    decoded = decode(text if isinstance(text, str) else text.decode())
                except RuntimeError as exc:
                    errors.append(str(exc))
                    continue
                if decoded is None:
                    continue
                seq, stamp = decoded
                if seq not in ours:
                    continue
                key = (seq, g, c)
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                latencies.append(time.perf_counter_ns() - stamp)
                if len(seen) >= expected:
                    done.set()
        except Exception as exc:  # a closed socket is reported, not raised
            errors.append(type(exc).__name__)

    readers = [
        asyncio.ensure_future(reader(g, c, ws)) for g, conns in enumerate(connections) for c, ws in enumerate(conns)
    ]
    start = time.perf_counter() + 0.5
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        g = n % len(groups)
        group = groups[g]
        sender = group.senders[(n // len(groups)) % len(group.senders)]
        await connections[g][sender].send(encode(first_seq + n, time.perf_counter_ns()))
    if expected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=drain_s)
    for task in readers:
        task.cancel()
    return {
        "connections": sum(len(c) for c in connections),
        "connect_s": round(connect_s, 3),
        "messages": total,
        "expected": expected,
        "delivered": len(seen),
        "duplicates": duplicates,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "offered_deliveries_per_s": round(expected / duration, 1) if duration else None,
        **_stats(latencies),
    }


async def settle(
    connections: list[list[ClientConnection]], quiet_s: float = 1.0, max_s: float = 30.0
) -> dict[str, Any]:
    """Read and drop what the server still delivers from an earlier phase until nothing arrived for ``quiet_s``
    (or ``max_s`` passed), so a backlog left by an overloaded phase does not count against the next one."""
    late = 0
    arrived = asyncio.Event()

    async def reader(ws: ClientConnection) -> None:
        nonlocal late
        with contextlib.suppress(Exception):
            async for _ in ws:
                late += 1
                arrived.set()

    readers = [asyncio.ensure_future(reader(ws)) for conns in connections for ws in conns]
    started = time.perf_counter()
    while time.perf_counter() - started < max_s:
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), timeout=quiet_s)
        except TimeoutError:
            break
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {"late": late, "seconds": round(time.perf_counter() - started, 1)}


async def close_all(connections: list[list[ClientConnection]]) -> None:
    await asyncio.gather(*(ws.close() for conns in connections for ws in conns), return_exceptions=True)
