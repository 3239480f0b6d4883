"""A memo that lives for one read-only request, so the gate's answer for "now" is computed once per page.

A page asks the gate many times (the view, each dashboard card, the navigation badge); all of them mean the same
instant. ``GateMemoMiddleware`` opens a memo for GET and HEAD requests only: a safe method never changes consent,
caseloads or authorities, so nothing can make the remembered answer stale before the response is sent. Outside
such a request (POST handlers, WebSocket consumers, the notifications worker, tests calling the gate directly)
there is no memo and every call asks the database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from django.utils import timezone

T = TypeVar("T")


class Memo:
    """Answers remembered for one request, all taken at the request's instant ``at``."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._answers: dict[Hashable, Any] = {}

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        if key not in self._answers:
            self._answers[key] = compute()
        return self._answers[key]  # type: ignore[no-any-return]


_current: ContextVar[Memo | None] = ContextVar("consent_request_memo", default=None)


def current() -> Memo | None:
    """The open memo, if this code runs inside a read-only request."""
    return _current.get()


@contextmanager
def opened(at: datetime | None = None) -> Iterator[Memo]:
    """Remember gate answers until the block ends (one request)."""
    memo = Memo(at or timezone.now())
    token = _current.set(memo)
    try:
        yield memo
    finally:
        _current.reset(token)
