"""The viewer's unread-message counts (the navigation badge on every page, the dashboard card), cached per user.

Counting is one query, but an expensive one to build (the MSG-01 reading cut-off folded into every conversation),
and every page of a family member shows the badge. The count is kept in the project's cache (Redis in production,
so every process sees the same entries) under a key made of:

- the viewer, and what the consent gate lets them see *now* (``consent.gate.visibility``, already asked once per
  request): the patients whose messaging they may see, the consents and authorities that allow it. A consent that
  ends, expires, starts or changes, a caseload or break-glass change, a deactivation: each gives a new key, so a
  count is never served from an answer the gate no longer gives;
- a generation token per visible patient, replaced after every commit that can change a count about that patient:
  a message stored, edited or deleted, a read position moved, a seat or conversation created (``changed``);
- a global generation (``changed_everywhere``: a program's "patients join the care team" switch, the retention
  purge).

Entries expire after ``TTL_S``; a missing generation is created afresh (never "0"), so an evicted token can never
bring an old entry back.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from consent.gate import visibility, visible_patient_ids
from consent.models import Scope

TTL_S = 600
_PREFIX = "unread:v1"
_EVERYWHERE = f"{_PREFIX}:gen:all"


def _patient_key(patient_id: Any) -> str:
    return f"{_PREFIX}:gen:p:{patient_id}"


def counts(user: Any) -> tuple[int, int]:
    """``(unread messages, conversations with unread messages)`` from others, across every conversation ``user``
    may open now; from the cache when nothing that could change them happened since they were counted."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return 0, 0
    if not (user.is_counselor or user.is_family or user.is_patient):
        return 0, 0
    key = _key(user)
    found = cache.get(key)
    if found is None:
        found = _count(user)
        cache.set(key, found, TTL_S)
    return found[0], found[1]


def _count(user: Any) -> tuple[int, int]:
    from messaging.models import Conversation

    rows = list(Conversation.objects.visible_to(user).with_unread(user).filter(unread__gt=0).values_list("unread"))
    return sum(n for (n,) in rows), len(rows)


def _key(user: Any) -> str:
    patients = sorted(visible_patient_ids(user, Scope.MESSAGING))
    seen = visibility(user)
    consents = sorted(str(c.pk) for c in seen.consents if c.has_scope(Scope.MESSAGING))
    tokens = _tokens([_EVERYWHERE, *(_patient_key(pk) for pk in patients)])
    parts = [user.pk, user.role, patients, consents, sorted(seen.represented), tokens]
    return f"{_PREFIX}:u:{user.pk}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def _tokens(keys: list[str]) -> list[str]:
    """The current generation of each key, creating the missing ones (one round trip when none is missing)."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, None)
            found[key] = cache.get(key)
    return [str(found[key]) for key in keys]


def changed(patient_ids: Iterable[Any]) -> None:
    """Counts about these patients may have changed: new generations now and again once the current transaction
    commits (a reader that counted in between, before the commit, stored its answer under a key no longer used)."""
    keys = [_patient_key(pk) for pk in set(patient_ids) if pk is not None]
    if keys:
        _renew(keys)
        transaction.on_commit(lambda: _renew(keys))


def changed_everywhere() -> None:
    """Every count may have changed (rare, wide changes)."""
    _renew([_EVERYWHERE])
    transaction.on_commit(lambda: _renew([_EVERYWHERE]))


def _renew(keys: list[str]) -> None:
    if len(keys) == 1:  # a message's patient: one SET, not a pipeline (issue #17)
        cache.set(keys[0], uuid.uuid4().hex, None)
    else:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, None)
