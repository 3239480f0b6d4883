"""The family schedule's queries, their SQL compiled once per process (``family_portal.prepared``, issue #17).

Building and compiling these querysets cost more CPU than running them: each names the patients and programs the
consent gate lets the viewer see (``visible_to``), so its SQL differs by those ids and could not be reused as it
is. A family member whose schedule answer is one patient of one program (nearly all of them) is served by SQL
compiled once for that shape: the query is built by the same code as the ORM's (``visible_to`` and the view's
filters), for a stand-in viewer whose gate answer is one stand-in patient of one stand-in program (a gate memo
answering for them while it is built, ``consent.request_memo``), and each request puts the viewer's own ids in.
Any other answer (several patients, none, a program not known without a query) and any other viewer use the ORM
as before, so the gate is asked exactly as often as before and decides exactly the same rows
(``tests/scheduling/test_family_queries.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from consent import policy, request_memo
from consent.gate import visibility
from consent.models import Scope
from consent.visibility import Visibility
from family_portal.prepared import Prepared


class FamilyQuery:
    """``build(viewer, now)`` returns a queryset scoped by the gate for ``viewer``; ``rows(viewer, now)`` returns
    what iterating it would, through SQL compiled once, or ``None`` when the viewer's answer is not of the compiled
    shape (the caller then iterates ``build(viewer, now)`` itself)."""

    def __init__(self, build: Callable[[Any, datetime], QuerySet[Any]]) -> None:
        self.build = build
        self._prepared = Prepared(self._as_seen, viewer=int, patient=int, program=int, now=datetime)

    def rows(self, viewer: Any, now: datetime) -> list[Any] | None:
        if not (isinstance(viewer, User) and viewer.is_family and type(viewer.pk) is int):
            return None
        seen = visibility(viewer)  # the request's answer, the one ``visible_to`` would read
        patients, programs = seen.patient_ids(Scope.SCHEDULE), seen.program_ids(Scope.SCHEDULE)
        if not (patients and programs and len(patients) == 1 and len(programs) == 1):
            return None
        (patient,), (program,) = patients, programs
        try:
            return self._prepared.rows(viewer=viewer.pk, patient=patient, program=program, now=now)
        except TypeError:  # an id of another type than the compiled query's
            return None

    def _as_seen(self, viewer: int, patient: int, program: int, now: datetime) -> QuerySet[Any]:
        """``build`` for an active family member ``viewer`` whom the gate lets see ``patient`` (of ``program``)."""
        member = User(pk=viewer, role=User.Role.FAMILY, is_active=True)
        seen = Visibility(by_grant={policy.REPRESENTATIVE.name: frozenset({patient})}, programs={patient: program})
        with request_memo.opened() as memo:
            memo.remember(("visibility", viewer), lambda: seen)
            return self.build(member, now)
