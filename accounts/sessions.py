"""Session stores, read and ended the same way whatever ended them (WS-11).

``SESSION_ENGINE`` is ``cached_db``: the database row is the truth and the cache only a copy, so a row deleted
elsewhere (the admin, ``clearsessions``, allauth's "sign out other sessions") must take the copy with it, and a
check that must not be fooled by a stale copy reads the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY
from django.core.cache import caches
from django.db.models import QuerySet, Subquery
from django.utils import timezone

from family_portal.prepared import Prepared


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
    rows = _prepared(model).session_data.rows(session_key=session_key, now=timezone.now())
    return store.decode(rows[0]) if rows else {}  # type: ignore[no-any-return]


def user_with_stored_session(user_id: int, session_key: str) -> tuple[Any, Mapping[str, Any]]:
    """The user (``None`` when gone) and ``stored_session_data(session_key)``, read together: one query on a
    database-backed engine (the session row as a subquery of the user's), the store's own load otherwise."""
    from accounts.models import User

    model = session_model()
    if model is None:
        return User.objects.filter(pk=user_id).first(), stored_session_data(session_key)
    users = _prepared(model).user_with_session.rows(user_id=user_id, session_key=session_key, now=timezone.now())
    if not users:
        return None, {}
    user = users[0]
    encoded = user.__dict__.pop("stored_session")
    return user, (session_store(session_key).decode(encoded) if encoded is not None else {})


@dataclass(frozen=True)
class _SessionQueries:
    """The two session reads a socket makes on every frame and handshake, compiled once (issue #17)."""

    session_data: Prepared
    user_with_session: Prepared


_PREPARED: dict[Any, _SessionQueries] = {}


def _prepared(model: Any) -> _SessionQueries:
    if (queries := _PREPARED.get(model)) is None:
        from accounts.models import User

        def row(session_key: str, now: datetime) -> QuerySet[Any]:
            return model.objects.filter(session_key=session_key, expire_date__gt=now)  # type: ignore[no-any-return]

        def user_with_session(user_id: int, session_key: str, now: datetime) -> QuerySet[Any]:
            stored = Subquery(row(session_key, now).values("session_data")[:1])
            return User.objects.filter(pk=user_id).annotate(stored_session=stored)[:1]

        queries = _SessionQueries(
            session_data=Prepared(
                lambda session_key, now: row(session_key, now).values_list("session_data", flat=True)[:1],
                session_key=str,
                now=datetime,
            ),
            user_with_session=Prepared(user_with_session, user_id=int, session_key=str, now=datetime),
        )
        _PREPARED[model] = queries
    return queries


def end_session(session_key: str) -> None:
    """End a session in its store (row and cached copy). Ending one already gone does nothing."""
    session_store().delete(session_key)


def forget_cached_copy(session_key: str) -> None:
    """Drop the cached_db copy of a session whose row was deleted, so its pages are signed out at once."""
    prefix = getattr(import_module(settings.SESSION_ENGINE).SessionStore, "cache_key_prefix", None)
    if prefix is not None:
        caches[settings.SESSION_CACHE_ALIAS].delete(prefix + session_key)


def live_session_keys(user: Any) -> set[str]:
    """The keys of every session signed in as ``user``: those allauth lists and, on a database-backed engine,
    every unexpired row whose data names the user."""
    from allauth.usersessions.models import UserSession

    keys = set(UserSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
    model = session_model()
    if model is not None:
        store = session_store()
        rows = model.objects.filter(expire_date__gt=timezone.now()).values_list("session_key", "session_data")
        keys |= {key for key, data in rows.iterator() if str(store.decode(data).get(AUTH_USER_KEY)) == str(user.pk)}
    return keys


def end_sessions_of(user: Any) -> int:
    """End every session signed in as ``user`` (row, cached copy, allauth's listing of it); how many ended.

    The sessions are those allauth lists for the user and, on a database-backed engine, every unexpired row whose
    data names the user (a session allauth never listed, such as one started by ``force_login``): a rare admin
    action may afford decoding the table once. Each deleted row announces ``session_ended``
    (``accounts.signals``), so the sockets opened on those sessions close too (WS-11)."""
    from allauth.usersessions.models import UserSession  # the app registry is ready by the time anyone calls this

    keys = live_session_keys(user)
    for key in keys:
        end_session(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)
