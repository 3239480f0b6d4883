"""Joining a socket's channel-layer groups at connect, cheaply and within bounds (issue #17, W6).

In a connect storm every socket joins three or four groups; one Redis round trip per group, each waiting for its
reply, and hundreds of sockets doing so at once, overflowed channels_redis's connection pool. Here at most
``MAX_JOINING`` sockets of one process join at once (``joining``), and a socket's groups are joined in one
pipelined round trip per Redis shard (``add_to_groups``).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

from channels_redis.core import RedisChannelLayer

MAX_JOINING = 32  # sockets of one process joining their groups at once: well inside the layer's pool of 100
_JOINING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def joining() -> asyncio.Semaphore:
    """The running loop's bound on sockets joining their groups (one per loop: a semaphore belongs to one)."""
    loop = asyncio.get_running_loop()
    if (bound := _JOINING.get(loop)) is None:
        bound = _JOINING[loop] = asyncio.Semaphore(MAX_JOINING)
    return bound


async def add_to_groups(layer: Any, groups: list[str], channel: str) -> None:
    """``layer.group_add(group, channel)`` for each of ``groups``: on channels_redis in one pipelined round trip
    per Redis shard (the same ``ZADD`` and ``EXPIRE`` per group that ``group_add`` sends one by one, each waiting
    for its reply: issue #17, W6); on any other layer, one ``group_add`` after the other."""
    if type(layer) is not RedisChannelLayer:
        for group in groups:
            await layer.group_add(group, channel)
        return
    layer.require_valid_channel_name(channel)  # raises TypeError, as group_add would
    shards: dict[int, list[str]] = {}
    for group in groups:
        layer.require_valid_group_name(group)
        shards.setdefault(layer.consistent_hash(group), []).append(group)
    joined_at = time.time()
    for index, names in shards.items():
        async with layer.connection(index).pipeline(transaction=False) as pipe:
            for name in names:
                key = layer._group_key(name)
                pipe.zadd(key, {channel: joined_at})
                pipe.expire(key, layer.group_expiry)
            await pipe.execute()
