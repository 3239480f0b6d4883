"""Stage 4: WebSocket latency and delivery (W1–W6), each next to the raw ``websockets`` floor."""

from __future__ import annotations

import asyncio
from typing import Any

from bench import ws_client
from bench.seed import Dataset, Family
from bench.sessions import cookie_header, session_key_for


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


def family_rooms(
    data: Dataset, port: int, pid: int, *, groups: int, rate: float, duration: float, drain_s: float = 15.0
) -> dict[str, Any]:
    """W2 + W5 + W6 through the real consumer: per family the two first members and the counselor, signed in;
    members take turns sending. Then consent under load: members whose consent ended try to connect."""
    families = [f for f in data.families if len(f.members) >= 2][:groups]
    origin = {"Origin": f"http://127.0.0.1:{port}"}

    def header(user: Any) -> dict[str, str]:
        return {**origin, "Cookie": cookie_header(session_key_for(user))}

    specs = []
    for family in families:
        url = f"ws://127.0.0.1:{port}/ws/conversations/{family.conversation.pk}/"
        people = [family.members[0], family.members[1], family.counselor]
        specs.append(ws_client.Group([url] * 3, [header(p) for p in people], senders=[0, 1]))
    ended: list[tuple[Family, Any]] = [(f, m) for f in data.families for m in f.ended][:20]
    ended_specs = [(f"ws://127.0.0.1:{port}/ws/conversations/{f.conversation.pk}/", header(m)) for f, m in ended]

    async def run() -> dict[str, Any]:
        idle_rss = rss_kb(pid)
        started = asyncio.get_running_loop().time()
        connections = []
        for spec in specs:
            connections.append(await ws_client.open_all(spec.urls, spec.headers))
        storm_s = asyncio.get_running_loop().time() - started
        await asyncio.sleep(1.0)  # let the server settle before reading RSS (bench: polling/sleep is allowed)
        loaded_rss = rss_kb(pid)
        result = await ws_client.fanout(
            specs,
            rate=rate,
            duration=duration,
            encode=ws_client.portal_encode,
            decode=ws_client.portal_decode,
            connections=connections,
            drain_s=drain_s,
        )
        await ws_client.close_all(connections)
        refused = 0
        for url, head in ended_specs:
            try:
                ws = await ws_client.open_all([url], [head])
                await ws[0].close()
            except Exception:  # noqa: BLE001  (refused handshake = the expected outcome)
                refused += 1
        total = sum(len(s.urls) for s in specs)
        return {
            **result,
            "storm_connections": total,
            "storm_s": round(storm_s, 3),
            "rss_per_connection_kb": round((loaded_rss - idle_rss) / total, 1) if total else None,
            "ended_attempts": len(ended_specs),
            "ended_refused": refused,
        }

    return asyncio.run(run())
