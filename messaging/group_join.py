"""Joining a socket's channel-layer groups at connect, cheaply and within bounds (issue #17, W6).

In a connect storm every socket joins three or four groups; one Redis round trip per group, each waiting for its
reply, and hundreds of sockets doing so at once, overflowed channels_redis's connection pool. Here at most
``MAX_JOINING`` sockets of one process join at once (``joining``), and a socket's groups are joined in one
pipelined round trip per Redis shard (``add_to_groups``); at disconnect they are left the same way
(``discard_from_groups``). On the pub/sub layer (family_portal/channel_layers.py) a join or a leave costs no round
trip to wait for (a ``SUBSCRIBE`` or ``UNSUBSCRIBE`` the first or last time a process's socket joins or leaves a
group, nothing otherwise), so there ``group_add`` and ``group_discard`` are called one after the other.
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
    joined_at = time.time()
    for index, names in _by_shard(layer, groups, channel).items():
        async with layer.connection(index).pipeline(transaction=False) as pipe:
            for name in names:
                key = layer._group_key(name)
                pipe.zadd(key, {channel: joined_at})
                pipe.expire(key, layer.group_expiry)
            await pipe.execute()


async def discard_from_groups(layer: Any, groups: list[str], channel: str) -> None:
    """``layer.group_discard(group, channel)`` for each of ``groups``: on channels_redis's core layer the same
    ``ZREM`` per group in one pipelined round trip per Redis shard (a storm's disconnects waited for one each);
    on any other layer, one ``group_discard`` after the other. A failure is raised after the other groups are
    tried (the core layer also forgets a stale member by itself, at the group's expiry)."""
    if type(layer) is not RedisChannelLayer:
        failure: Exception | None = None
        for group in groups:
            try:
                await layer.group_discard(group, channel)
            except Exception as exc:
                failure = exc
        if failure is not None:
            raise failure
        return
    for index, names in _by_shard(layer, groups, channel).items():
        async with layer.connection(index).pipeline(transaction=False) as pipe:
            for name in names:
                pipe.zrem(layer._group_key(name), channel)
            await pipe.execute()


def _by_shard(layer: RedisChannelLayer, groups: list[str], channel: str) -> dict[int, list[str]]:
    """``groups`` by the index of the Redis shard that holds each; the names are checked as channels_redis does
    (``TypeError`` for an invalid one)."""
    layer.require_valid_channel_name(channel)
    shards: dict[int, list[str]] = {}
    for group in groups:
        layer.require_valid_group_name(group)
        shards.setdefault(layer.consistent_hash(group), []).append(group)
    return shards
