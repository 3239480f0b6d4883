"""The Redis channel layer choice (``PORTAL_CHANNEL_LAYER``, family_portal/channel_layers.py) and the batched group
joins and leaves on both layers (messaging/group_join.py)."""

from __future__ import annotations

import asyncio
import uuid
from importlib.metadata import version
from typing import Any

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from family_portal import channel_layers
from family_portal.channel_layers import CAPACITY, LAYER_KINDS, redis_channel_layer
from family_portal.env import env_choice
from messaging import group_join


def test_the_setting_picks_the_backend():
    pubsub = redis_channel_layer("redis://127.0.0.1:6379/3", "pubsub")
    core = redis_channel_layer("redis://127.0.0.1:6379/3", "core")
    assert pubsub["BACKEND"] == "family_portal.channel_layers.PortalPubSubLayer"
    assert pubsub["CONFIG"]["prefix"] == "asgi.db3."  # pub/sub channels are server-wide: the database keeps apart
    assert core["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert core["CONFIG"]["capacity"] == pubsub["CONFIG"]["capacity"] == CAPACITY


def test_the_setting_accepts_only_the_two_layers(monkeypatch):
    monkeypatch.setenv("PORTAL_CHANNEL_LAYER", "core")
    assert env_choice("PORTAL_CHANNEL_LAYER", "pubsub", LAYER_KINDS) == "core"
    monkeypatch.delenv("PORTAL_CHANNEL_LAYER")
    assert env_choice("PORTAL_CHANNEL_LAYER", "pubsub", LAYER_KINDS) == "pubsub"
    monkeypatch.setenv("PORTAL_CHANNEL_LAYER", "memory")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_CHANNEL_LAYER must be one of pubsub, core"):
        env_choice("PORTAL_CHANNEL_LAYER", "pubsub", LAYER_KINDS)


def test_the_overridden_pub_sub_layer_is_the_one_written_for():
    """PortalPubSubLayer overrides private methods of channels_redis 4.3's pub/sub layer: read them again before
    moving to another version."""
    assert version("channels_redis").startswith("4.3.")


def test_a_socket_that_falls_behind_keeps_at_most_capacity_events():
    async def fill() -> list[Any]:
        queue = channel_layers._BoundedQueue(3)
        for item in range(5):
            queue.put_nowait(item)
        queue.put_nowait(channel_layers._OUTAGE)  # the outage mark always goes in
        return [queue.get_nowait() for _ in range(queue.qsize())]

    assert asyncio.run(fill()) == [0, 1, 2, channel_layers._OUTAGE]


def _layer(settings: Any, kind: str) -> Any:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL=redis://…)")
    config = redis_channel_layer(settings.REDIS_URL, kind)
    return import_string(config["BACKEND"])(**config["CONFIG"])


async def _nothing_arrives(layer: Any, channel: str) -> bool:
    try:
        await asyncio.wait_for(layer.receive(channel), 0.5)
    except TimeoutError:
        return True
    return False


@pytest.mark.redis
@pytest.mark.asyncio
@pytest.mark.parametrize("kind", LAYER_KINDS)
async def test_joined_groups_deliver_and_left_groups_stop(settings, kind):
    layer = _layer(settings, kind)
    channel = await layer.new_channel()
    groups = [f"layer-test-{uuid.uuid4().hex}" for _ in range(3)]
    try:
        await group_join.add_to_groups(layer, groups, channel)
        await asyncio.sleep(0.1)  # a SUBSCRIBE is sent without waiting for its reply
        for group in groups:
            await layer.group_send(group, {"type": "probe", "group": group})
            assert (await asyncio.wait_for(layer.receive(channel), 5))["group"] == group
        await group_join.discard_from_groups(layer, groups, channel)
        for group in groups:
            await layer.group_send(group, {"type": "probe", "group": group})
        assert await _nothing_arrives(layer, channel)
        if kind == "pubsub":
            assert layer.groups == {}  # the process unsubscribed from each group its last socket left
    finally:
        await layer.flush()


@pytest.mark.redis
@pytest.mark.asyncio
async def test_a_lost_subscription_fails_receive_and_joins_until_it_is_back(settings):
    """What the consumer needs to report "live: false" and later join again (WS-08): the stock pub/sub layer
    reconnects silently, so its sockets would never hear of the events they missed."""
    layer = _layer(settings, "pubsub")
    channel = await layer.new_channel()
    group = f"layer-test-{uuid.uuid4().hex}"
    try:
        await layer.group_add(group, channel)
        await asyncio.sleep(0.1)
        [shard] = layer._get_layer()._shards
        host, port = shard._pubsub.connection._writer.get_extra_info("sockname")[:2]
        with redis.Redis.from_url(settings.REDIS_URL) as admin:
            assert admin.client_kill(f"{host}:{port}")  # this subscription's connection only
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(layer.receive(channel), 5)
        with pytest.raises(ConnectionError):
            await layer.group_add(group, channel)
        for _ in range(50):  # redis-py connects and subscribes again within about a second
            await asyncio.sleep(0.1)
            try:
                await layer.group_add(group, channel)
                break
            except ConnectionError:
                continue
        await asyncio.sleep(0.1)
        await layer.group_send(group, {"type": "probe"})
        assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "probe"}
    finally:
        await layer.flush()
