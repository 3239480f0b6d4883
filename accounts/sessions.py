"""Session stores, read and ended the same way whatever ended them (WS-11).

``SESSION_ENGINE`` is ``cached_db``: the database row is the truth and the cache only a copy, so a row deleted
elsewhere (the admin, ``clearsessions``, allauth's "sign out other sessions") must take the copy with it, and a
check that must not be fooled by a stale copy reads the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone


def session_store(session_key: str | None = None) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def session_model() -> Any:
    """The model of a database-backed engine (``db``, ``cached_db``), else ``None`` (cache or cookie engines)."""
    get_model_class = getattr(import_module(settings.SESSION_ENGINE).SessionStore, "get_model_class", None)
    return get_model_class() if get_model_class is not None else None


def stored_session_data(session_key: str) -> Mapping[str, Any]:
    """The session's data as its store of record holds it now; ``{}`` when it is gone or expired.

    One query by primary key on a database-backed engine (never the cached copy); the store's own load otherwise.
    """
    store = session_store(session_key)
    model = session_model()
    if model is None:
        return store.load()  # type: ignore[no-any-return]
    rows = model.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).values_list(
        "session_data", flat=True
    )[:1]
    return store.decode(rows[0]) if rows else {}  # type: ignore[no-any-return]


def end_session(session_key: str) -> None:
    """End a session in its store (row and cached copy). Ending one already gone does nothing."""
    session_store().delete(session_key)


def forget_cached_copy(session_key: str) -> None:
    """Drop the cached_db copy of a session whose row was deleted, so its pages are signed out at once."""
    prefix = getattr(import_module(settings.SESSION_ENGINE).SessionStore, "cache_key_prefix", None)
    if prefix is not None:
        caches[settings.SESSION_CACHE_ALIAS].delete(prefix + session_key)
