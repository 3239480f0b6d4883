"""The Redis channel layer that carries live events, chosen by ``PORTAL_CHANNEL_LAYER`` (issue #17, W2/W4).

``pubsub`` (the default): channels_redis's ``RedisPubSubChannelLayer``. A group send is one ``PUBLISH``; each process
subscribes once to every group one of its sockets joined and hands a published event to those sockets itself.
``core``: channels_redis's ``RedisChannelLayer``, which keeps every group's members in a sorted set and a queue per
process in Redis: about four round trips per group send and four more per event a process receives (measured, issue
#17), which held chat at 300 deliveries/s on one process and 150/s on two.

Both are at-most-once (WS-08): an event is lost for a socket not subscribed at that instant (the pub/sub layer has
no backlog at all, where the core layer keeps 30 s of one), and the client catches up by message id (``resume``).

``PortalPubSubLayer`` keeps two promises of the core layer that channels_redis's pub/sub layer does not make: a
socket that falls behind holds at most ``capacity`` events (the rest are dropped, as the core layer drops them; its
queue would otherwise grow without bound), and a lost Redis connection reaches the sockets as a failed ``receive``
(the consumer reports "live: false" and joins its groups again once the subscriptions are back, WS-08), where the
stock layer reconnects silently. Overrides of channels_redis 4.3's private methods; a version test guards them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, decode_hosts

logger = logging.getLogger(__name__)

LAYER_KINDS = ("pubsub", "core")
CORE_BACKEND = "channels_redis.core.RedisChannelLayer"
PUBSUB_BACKEND = "family_portal.channel_layers.PortalPubSubLayer"
CAPACITY = 200  # events one socket may have waiting, as the core layer's ``capacity``
_OUTAGE = object()  # queued to every socket of a process whose subscriptions were lost


def redis_channel_layer(url: str, kind: str) -> dict[str, Any]:
    """The ``CHANNEL_LAYERS["default"]`` entry for Redis at ``url``, of ``kind`` (one of ``LAYER_KINDS``)."""
    # redis-py 8 defaults socket_timeout to 5 s, channels_redis's blocking read time (channels_redis#422).
    host = {"address": url, "socket_timeout": 10}
    if kind == "core":
        return {"BACKEND": CORE_BACKEND, "CONFIG": {"hosts": [host], "capacity": 200, "expiry": 30}}
    # Pub/sub channel names are server-wide, not per database: the database number in the prefix keeps two
    # deployments (or test runs) that share one Redis server on different databases apart, as the core layer's keys
    # are.
    database = urlsplit(url).path.strip("/") or "0"
    config = {"hosts": [host], "prefix": f"asgi.db{database}.", "capacity": CAPACITY}
    return {"BACKEND": PUBSUB_BACKEND, "CONFIG": config}


class _BoundedQueue(asyncio.Queue[Any]):
    """A socket's waiting events: past ``capacity`` a new event is dropped (the outage mark always goes in)."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def put_nowait(self, item: Any) -> None:
        if item is not _OUTAGE and self.qsize() >= self.capacity:
            logger.warning("live event dropped: a socket has %s events waiting", self.capacity)
            return
        super().put_nowait(item)


class _Shard(RedisSingleShardConnection):  # type: ignore[misc]
    """One Redis server's publish connection and subscription of this process and event loop."""

    live = True  # False from a failed read of the subscription until one succeeds again

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    # On a dropped connection redis-py connects again and subscribes to every channel again.
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self.live = True
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:  # Redis down or restarting: tell every socket, try again in a second
                if self.live:
                    self.live = False
                    logger.warning("channel layer subscription lost: %s", type(exc).__name__)
                    for queue in self.channel_layer.channels.values():
                        queue.put_nowait(_OUTAGE)
                await asyncio.sleep(1)


class _LoopLayer(RedisPubSubLoopLayer):  # type: ignore[misc]
    def __init__(self, hosts: Any = None, *, capacity: int = CAPACITY, **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self.capacity = capacity
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = _BoundedQueue(self.capacity)
        try:
            await self._get_shard(channel).subscribe(channel)
        except Exception as exc:  # Redis unreachable: the socket opens anyway, and its group_add fails
            logger.warning("channel layer subscription failed: %s", type(exc).__name__)

    async def group_add(self, group: str, channel: str) -> None:
        """Join as the stock layer does (one ``SUBSCRIBE`` the first time a process joins ``group``, sent without
        waiting for a reply), subscribing the channel itself if ``new_channel`` could not; ``ConnectionError``
        while a lost subscription is not back yet, so the consumer keeps reporting "live: false"."""
        if channel in self.channels:
            await self._get_shard(channel).subscribe(channel)
        await super().group_add(group, channel)
        if not self._get_shard(self._get_group_channel_name(group)).live:
            raise ConnectionError("the channel layer's subscription is not back yet")


class PortalPubSubLayer(RedisPubSubChannelLayer):  # type: ignore[misc]
    """channels_redis's pub/sub layer with bounded socket queues and reported outages (module docstring)."""

    def __init__(self, *args: Any, capacity: int = CAPACITY, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._capacity = capacity

    def _get_layer(self) -> _LoopLayer:
        loop = asyncio.get_running_loop()
        layer: _LoopLayer | None = self._layers.get(loop)
        if layer is None:
            layer = _LoopLayer(*self._args, capacity=self._capacity, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer

    def deserialize(self, message: Any) -> Any:
        if message is _OUTAGE:
            raise ConnectionError("channel layer subscription lost")
        return super().deserialize(message)
