"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache operation. Building one
copies redis-py's table of ~170 response callbacks into a case-insensitive dict, about 1 ms of CPU: more than
the round trip to Redis itself. A request touches the cache several times (the session, the unread badge, rate
limits) and a chat message four times, so on the production path that construction was a measured share of every
page and every message (docs/performance.md). A ``redis.Redis`` is safe to share between threads (each command
takes a connection from the pool and gives it back), so each pool gets one client, made on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` that keeps the client it builds for each server's connection pool."""

    # Django's own attributes (set by RedisCacheClient.__init__; django-stubs leave them out).
    _servers: list[str]
    _pools: dict[int, Any]
    _pool_class: Any
    _pool_options: dict[str, Any]
    _client: Any
    _get_connection_pool_index: Callable[[bool], int]

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients.setdefault(index, self._client(connection_pool=self._pools[index]))
        return client


class PortalRedisCache(RedisCache):
    """The project's cache backend in production: Django's ``RedisCache`` on ``ReusingRedisCacheClient``."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
