"""Queries over one list of ids of any length up to ``LONGEST``, their SQL compiled once per process for a few
lengths (issue #17: the staff pages, whose caseloads run to dozens of patients).

``family_portal.dashboard.PreparedWithIds`` compiles one query per exact length of its lists, which suits a family
member's one to four patients. A counselor's caseload is longer and its length varies from one counselor to the
next, so here the sorted ids are padded to the next of ``LENGTHS`` by repeating the last one: ``pk IN (1, 2, 2, 2)``
selects what ``pk IN (1, 2)`` does, and eight compiled queries cover every list up to 128 ids. The query itself is
an ordinary queryset built by a function of the list and the other values (``family_portal.prepared.Prepared``
checks the compiled SQL takes each id as a parameter and nowhere else).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Any

from family_portal.prepared import Prepared

LENGTHS = (1, 2, 4, 8, 16, 32, 64, 128)
LONGEST = LENGTHS[-1]


def padded(ids: Collection[Any]) -> list[int] | None:
    """``ids`` sorted, without repeats, and padded with the last id to the next of ``LENGTHS``; ``None`` when
    there are none, more than ``LONGEST``, or one that is not an ``int`` (the caller then runs the ORM)."""
    listed = sorted(set(ids)) if all(type(pk) is int for pk in ids) else []
    if not listed or len(listed) > LONGEST:
        return None
    length = next(n for n in LENGTHS if n >= len(listed))
    return listed + [listed[-1]] * (length - len(listed))


class PreparedList:
    """``build(ids, **values)`` returns the queryset for the list ``ids`` and ``values`` (of the types ``kinds``
    names), as the ORM path builds it; ``rows(ids, **values)`` runs its SQL, compiled once per padded length, and
    returns what iterating the queryset would, or ``None`` when the list does not fit (see ``padded``)."""

    def __init__(self, build: Callable[..., Any], **kinds: type) -> None:
        self.build = build
        self.kinds = kinds
        self._by_length: dict[int, Prepared] = {}
        self._lock = threading.Lock()

    def rows(self, ids: Collection[Any], **values: Any) -> list[Any] | None:
        listed = padded(ids)
        if listed is None:
            return None
        named = {f"id_{n}": pk for n, pk in enumerate(listed)}
        return self._prepared(len(listed)).rows(**values, **named)

    def _prepared(self, length: int) -> Prepared:
        if (found := self._by_length.get(length)) is not None:
            return found
        with self._lock:
            if length not in self._by_length:

                def build(**values: Any) -> Any:
                    ids = [values.pop(f"id_{n}") for n in range(length)]
                    return self.build(ids, **values)

                kinds = self.kinds | {f"id_{n}": int for n in range(length)}
                self._by_length[length] = Prepared(build, **kinds)
            return self._by_length[length]
