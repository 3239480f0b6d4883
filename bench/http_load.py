"""A small asyncio HTTP/1.1 load generator (keep-alive), run as its own process: ``python -m bench.http_load JSON``.

Closed loop (``concurrency`` connections, each sends the next request when the previous answer arrives) finds the
maximum rate; open loop (``rate`` requests per second on a fixed schedule, latency measured from the scheduled
time, so queueing is not hidden) gives tail latency at a chosen load. Connections are spread round-robin over the
given ports (two web processes = two ports). Prints one JSON line: rps, p50/p99 ms, errors, requests.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status


async def _connect(port: int) -> Conn:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return Conn(reader, writer)


def _raw(path: str, port: int, cookie: str) -> bytes:
    # X-Forwarded-Proto as the TLS-terminating proxy sends it (read only with PORTAL_BEHIND_PROXY, the production run)
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: keep-alive", "X-Forwarded-Proto: https"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _summary(latencies: list[float], errors: int, elapsed: float, offered: float | None = None) -> dict[str, Any]:
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float | None:
        return round(latencies[min(n - 1, int(p * n))] * 1000, 3) if n else None

    return {
        "requests": n,
        "errors": errors,
        "rps": round(n / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 3) if n else None,
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "offered_rps": offered,
    }


async def closed_loop(
    ports: list[int], paths: list[str], cookies: list[str], concurrency: int, duration: float, warmup: float = 1.0
) -> dict[str, Any]:
    conns = [await _connect(ports[i % len(ports)]) for i in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop = measure_from + duration

    async def run(i: int) -> None:
        nonlocal errors
        conn = conns[i]
        port = ports[i % len(ports)]
        n = i
        while time.perf_counter() < stop:
            raw = _raw(paths[n % len(paths)], port, cookies[n % len(cookies)] if cookies else "")
            n += concurrency
            t0 = time.perf_counter()
            try:
                status = await conn.request(raw)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                conn = conns[i] = await _connect(port)
                continue
            t1 = time.perf_counter()
            if measure_from <= t1 <= stop:  # completions inside the window count, whenever they started
                if status >= 400:
                    errors += 1
                else:
                    latencies.append(t1 - t0)

    await asyncio.gather(*(run(i) for i in range(concurrency)))
    for conn in conns:
        conn.writer.close()
    return _summary(latencies, errors, duration)


async def open_loop(
    ports: list[int], paths: list[str], cookies: list[str], rate: float, duration: float, max_conns: int = 64
) -> dict[str, Any]:
    pool: asyncio.Queue[Conn] = asyncio.Queue()
    for i in range(max_conns):
        pool.put_nowait(await _connect(ports[i % len(ports)]))
    latencies: list[float] = []
    errors = 0
    tasks = []
    start = time.perf_counter() + 0.2

    async def one(n: int, scheduled: float) -> None:
        nonlocal errors
        conn = await pool.get()
        port = conn.writer.get_extra_info("peername")[1]
        raw = _raw(paths[n % len(paths)], port, cookies[n % len(cookies)] if cookies else "")
        try:
            status = await conn.request(raw)
            if status >= 400:
                errors += 1
            else:
                latencies.append(time.perf_counter() - scheduled)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn = await _connect(port)
        pool.put_nowait(conn)

    total = int(rate * duration)
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(n, scheduled)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 30)
    return _summary(latencies, errors, duration, offered=rate)


def main() -> None:
    spec = json.loads(sys.argv[1])
    mode = spec.pop("mode")
    runner = closed_loop if mode == "closed" else open_loop
    result = asyncio.run(runner(**spec))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
