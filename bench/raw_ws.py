"""The raw ``websockets`` floor server: ``/echo`` echoes, ``/room/<name>`` broadcasts each frame to everyone in the
room (sender included). Run as a child process; prints ``Listening on TCP address 127.0.0.1:<port>``."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from typing import Any

from websockets.asyncio.server import broadcast, serve

rooms: dict[str, set[Any]] = defaultdict(set)


async def handler(ws: Any) -> None:
    path = ws.request.path
    if path.startswith("/room/"):
        room = rooms[path]
        room.add(ws)
        try:
            async for frame in ws:
                broadcast(room, frame)
        finally:
            room.discard(ws)
        return
    async for frame in ws:
        await ws.send(frame)


async def main() -> None:
    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=2**20) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        sys.stdout.write(f"Listening on TCP address 127.0.0.1:{port}\n")
        sys.stdout.flush()
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
