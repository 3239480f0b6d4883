"""A channel layer with an off switch, for the outage tests (WS-08, WS-09): channels' in-memory layer, except that
while it is down every call raises ``ConnectionError``, as channels_redis does while Redis is unreachable, and a
receive already waiting fails the moment it goes down. Configure it as ``tests.messaging.flaky_layer.FlakyLayer``;
the switch is class-level, and ``FlakyLayer.reset()`` puts it back up between tests."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from channels.layers import InMemoryChannelLayer


class FlakyLayer(InMemoryChannelLayer):
    down: ClassVar[bool] = False
    idle_timeouts: ClassVar[int] = 0  # receives that time out first, as an idle Redis read does (no outage)
    failing_discards: ClassVar[int] = 0  # group_discard calls that fail first
    _went_down: ClassVar[asyncio.Event | None] = None

    @classmethod
    def go_down(cls) -> None:
        cls.down = True
        if cls._went_down is not None:
            cls._went_down.set()

    @classmethod
    def reset(cls) -> None:
        cls.down = False
        cls.idle_timeouts = 0
        cls.failing_discards = 0
        cls._went_down = None

    def _refuse_while_down(self) -> None:
        if FlakyLayer.down:
            raise ConnectionError("channel layer unreachable")

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self._refuse_while_down()
        await super().send(channel, message)

    async def group_add(self, group: str, channel: str) -> None:
        self._refuse_while_down()
        await super().group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        self._refuse_while_down()
        if FlakyLayer.failing_discards > 0:
            FlakyLayer.failing_discards -= 1
            raise ConnectionError("connection reset")
        await super().group_discard(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self._refuse_while_down()
        await super().group_send(group, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        self._refuse_while_down()
        if FlakyLayer.idle_timeouts > 0:
            FlakyLayer.idle_timeouts -= 1
            raise TimeoutError
        if FlakyLayer._went_down is None:
            FlakyLayer._went_down = asyncio.Event()
        getter = asyncio.ensure_future(super().receive(channel))
        outage = asyncio.ensure_future(FlakyLayer._went_down.wait())
        done, pending = await asyncio.wait({getter, outage}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if getter in done:
            message: dict[str, Any] = getter.result()
            return message
        raise ConnectionError("channel layer unreachable")
