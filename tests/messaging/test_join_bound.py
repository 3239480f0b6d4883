"""A connect storm joins the channel layer's groups at most ``MAX_JOINING`` sockets at a time per process: each
join holds a connection of the layer's Redis pool, and fast handshakes arriving together overflowed it
(``MaxConnectionsError``, issue #17)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from messaging import consumers, group_join


class _SlowLayer:
    """Joins wait until released, counting how many are under way at once."""

    def __init__(self, full_at: int) -> None:
        self.active = self.most = self.joined = 0
        self.full_at = full_at
        self.full = asyncio.Event()
        self.release = asyncio.Event()

    async def group_add(self, group: str, channel: str) -> None:
        self.active += 1
        self.most = max(self.most, self.active)
        if self.active >= self.full_at:
            self.full.set()
        await self.release.wait()
        self.active -= 1
        self.joined += 1


def _consumer(layer: _SlowLayer, n: int) -> Any:
    consumer = consumers.ConversationConsumer()
    consumer.channel_layer = layer
    consumer.channel_name = f"socket-{n}"
    consumer._group_names = ["conversation", "user", "session"]
    return consumer


@pytest.mark.asyncio
async def test_no_more_than_max_joining_sockets_join_at_once(monkeypatch):
    monkeypatch.setattr(group_join, "MAX_JOINING", 3)
    layer = _SlowLayer(full_at=3)
    joins = [asyncio.ensure_future(_consumer(layer, n)._join_groups()) for n in range(8)]
    await layer.full.wait()  # three joins under way; every other socket has had its turn to start by now
    assert layer.most == 3
    layer.release.set()
    assert await asyncio.gather(*joins) == [True] * 8
    assert (layer.most, layer.joined) == (3, 8 * 3)


@pytest.mark.redis
@pytest.mark.asyncio
async def test_the_pipelined_join_is_group_add_for_every_group(settings):
    """On channels_redis every group gets the same member and expiry ``group_add`` gives it, and a group send
    reaches the channel through each."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL=redis://…)")
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="join-test")
    channel = await layer.new_channel()
    groups = ["join-test-conversation", "join-test-user", "join-test-session"]
    try:
        await group_join.add_to_groups(layer, groups, channel)
        redis = layer.connection(0)
        for group in groups:
            key = layer._group_key(group)
            assert await redis.zrange(key, 0, -1) == [channel.encode()]
            assert 0 < await redis.ttl(key) <= layer.group_expiry
            await layer.group_send(group, {"type": "probe", "group": group})
            assert (await layer.receive(channel))["group"] == group
    finally:
        for group in groups:
            await layer.group_discard(group, channel)
        await layer.close_pools()
