"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache operation. Building one
copies redis-py's table of ~170 response callbacks into a case-insensitive dict: measured, a ``cache.get`` took
0.21–0.24 ms of CPU with it and 0.10–0.12 ms without (docs/performance.md). A request touches the cache several
times (the session, the unread badge, rate limits) and a chat message four times. A ``redis.Redis`` is safe to
share between threads (each command takes a connection from the pool and gives it back), so each pool gets one
client, made on first use.

The pools and their clients are also shared by every instance of the backend in the process. Django keeps its
cache objects per async context (``caches`` is an asgiref ``Local`` that is not thread-critical), so each
WebSocket, whose consumer task has its own context, built its own backend, pool, client and Redis connection on its
first cache read (the session): about 23 KB of the 67 KB each socket added in the measured process, and one Redis
connection per open socket (issue #17, W5).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_SHARED: dict[tuple[Any, ...], tuple[Any, Any]] = {}  # (servers, index, classes, options) -> (pool, client)
_SHARED_LOCK = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` that keeps one client per server's connection pool, shared process-wide."""

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
            options = repr(sorted(self._pool_options.items()))
            key = (tuple(self._servers), index, self._pool_class, self._client, options)
            with _SHARED_LOCK:
                if (shared := _SHARED.get(key)) is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    shared = _SHARED[key] = (pool, self._client(connection_pool=pool))
            self._pools[index], client = shared
            self._clients[index] = client
        return client


class PortalRedisCache(RedisCache):
    """The project's cache backend in production: Django's ``RedisCache`` on ``ReusingRedisCacheClient``."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
