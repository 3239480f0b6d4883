"""The production cache backend keeps one redis-py client per connection pool (family_portal/redis_cache.py)."""

from __future__ import annotations

import os
from typing import cast

import pytest
import redis

from family_portal.redis_cache import PortalRedisCache, ReusingRedisCacheClient

pytestmark = pytest.mark.redis


@pytest.fixture
def portal_cache() -> PortalRedisCache:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    return PortalRedisCache(url, {"KEY_PREFIX": "test-redis-cache", "OPTIONS": {"socket_timeout": 5}})


def test_every_operation_shares_one_client(portal_cache: PortalRedisCache) -> None:
    backend = cast(ReusingRedisCacheClient, portal_cache._cache)
    client = backend.get_client(write=True)
    assert isinstance(client, redis.Redis)
    assert backend.get_client() is client
    assert backend.get_client(write=True) is client
    assert client.connection_pool is backend._pools[0]


def test_the_cache_still_reads_what_it_wrote(portal_cache: PortalRedisCache) -> None:
    portal_cache.set("answer", {"n": 42}, 30)
    assert portal_cache.get("answer") == {"n": 42}
    assert portal_cache.incr("counter", 1) if portal_cache.add("counter", 1, 30) else True
    assert portal_cache.delete("answer") is True
    assert portal_cache.get("answer", "gone") == "gone"
    portal_cache.delete("counter")


def test_a_second_server_reads_through_its_own_client() -> None:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    cache = PortalRedisCache([url, url], {"KEY_PREFIX": "test-redis-cache"})
    backend = cast(ReusingRedisCacheClient, cache._cache)
    writer = backend.get_client(write=True)
    reader = backend.get_client()
    assert reader is not writer
    assert backend.get_client() is reader
    assert reader.connection_pool is backend._pools[1]


def test_every_backend_instance_shares_the_pool_and_client() -> None:
    """Django makes a cache object per async context, so each socket's task made its own (issue #17, W5)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    params = {"KEY_PREFIX": "test-redis-cache", "OPTIONS": {"socket_timeout": 5}}
    first = cast(ReusingRedisCacheClient, PortalRedisCache(url, params)._cache)
    second = cast(ReusingRedisCacheClient, PortalRedisCache(url, params)._cache)
    assert second.get_client(write=True) is first.get_client(write=True)
    assert second._pools[0] is first._pools[0]
    other = cast(ReusingRedisCacheClient, PortalRedisCache(url, {"OPTIONS": {"socket_timeout": 3}})._cache)
    assert other.get_client() is not first.get_client()
