"""The disclosure policy: who may see a patient's information of one kind at one instant, written once (AZ-09).

A ``Grant`` is one way a viewer may see a patient. Each is defined here and nowhere else, as the rows of one
table that are in force at an instant, each row naming a viewer and a patient:

=================  ==========================================================================================
``SELF``           an active patient sees their own information
``REPRESENTATIVE`` an active family member with a personal-representative authority that is verified, not
                   expired and not ended acts as the patient (§ 2.15, HIPAA 164.502(g))
``CASELOAD``       an active counselor with the patient on their caseload (assigned, not ended) (AZ-06)
``BREAK_GLASS``    an active counselor with started, unexpired emergency access (AZ-06)
``PROGRAM``        an active program admin of the patient's program
``CONSENT``        an active family member named on a consent effective at the instant that includes the
                   scope (§ 2.31, § 2.13(a)): the only grant that is a disclosure, and so written to the ledger
=================  ==========================================================================================

Inactive accounts fail closed (AZ-08): an inactive viewer passes no grant. An inactive patient's information
reaches no family member and no representative (the grants marked ``family_side``) until staff reactivate the
account; the staff grants ignore the patient's activity, so records work goes on.

Every shape of question the gate answers (``consent.gate``: one pair, one viewer, many pairs, one patient) is
derived from ``Grant.rows``: there is no second copy of a rule to drift.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet, Value

from accounts.models import CaseloadAssignment, User
from consent.models import SCOPE_FIELDS, BreakGlassAccess, Consent, PersonalRepresentative, Scope
from family_portal.prepared import Prepared

Pair = tuple[Any, Any]  # (viewer id, patient id)


@dataclass(frozen=True)
class Grant:
    """One way a viewer may see a patient: the in-force rows of one table, and which fields name the two.

    ``viewer`` and ``patient`` are lookup paths from a row to the viewing and the viewed user ("" is the row
    itself). ``scoped`` grants hold only for the scopes the row includes (consents); ``family_side`` grants
    stop while the patient's account is inactive; ``discloses`` marks the grant whose use is a § 2.25
    disclosure."""

    name: str
    viewer_role: str
    in_force: Callable[[datetime], QuerySet[Any]]
    viewer: str
    patient: str
    family_side: bool = False
    scoped: bool = False
    discloses: bool = False

    def rows(
        self,
        at: datetime,
        scope: str | None = None,
        *,
        viewers: Collection[Any] | None = None,
        patients: Collection[Any] | None = None,
    ) -> QuerySet[Any]:
        """The grant's rows in force at ``at`` for ``scope`` (every scope when ``None``), optionally only those
        of some viewers or patients. The conditions on the viewer go in one ``filter`` call, so a multi-valued
        path (a program's users) is joined once."""
        viewer: dict[str, Any] = {_path(self.viewer, "is_active"): True, _path(self.viewer, "role"): self.viewer_role}
        if viewers is not None:
            viewer[_path(self.viewer, "pk__in")] = viewers
        patient: dict[str, Any] = {_path(self.patient, "role"): User.Role.PATIENT}
        if self.family_side:
            patient[_path(self.patient, "is_active")] = True
        if patients is not None:
            patient[_path(self.patient, "pk__in")] = patients
        rows = self.in_force(at).filter(**viewer).filter(**patient)
        if self.scoped and scope is not None:
            rows = rows.filter(**{SCOPE_FIELDS[Scope(scope)]: True})
        return rows

    def pairs(self, at: datetime, scope: str | None = None, **only: Collection[Any] | None) -> QuerySet[Any]:
        """``rows`` as (viewer id, patient id) tuples."""
        return self.rows(at, scope, **only).order_by().values_list(_path(self.viewer, "pk"), _path(self.patient, "pk"))


def _path(prefix: str, field: str) -> str:
    return f"{prefix}__{field}" if prefix else field


SELF = Grant("self", User.Role.PATIENT, lambda at: User.objects.all(), viewer="", patient="", family_side=True)
REPRESENTATIVE = Grant(
    "representative",
    User.Role.FAMILY,
    lambda at: PersonalRepresentative.objects.effective(at),
    viewer="representative",
    patient="patient",
    family_side=True,
)
CASELOAD = Grant(
    "caseload",
    User.Role.COUNSELOR,
    lambda at: CaseloadAssignment.objects.active(at),
    viewer="counselor",
    patient="patient",
)
BREAK_GLASS = Grant(
    "break_glass",
    User.Role.COUNSELOR,
    lambda at: BreakGlassAccess.objects.active(at),
    viewer="counselor",
    patient="patient",
)
PROGRAM = Grant(
    "program",
    User.Role.PROGRAM_ADMIN,
    lambda at: User.objects.filter(program__isnull=False),
    viewer="program__users",
    patient="",
)
CONSENT = Grant(
    "consent",
    User.Role.FAMILY,
    lambda at: Consent.objects.effective(at),
    viewer="recipient",
    patient="patient",
    family_side=True,
    scoped=True,
    discloses=True,
)

GRANTS: tuple[Grant, ...] = (SELF, REPRESENTATIVE, CASELOAD, BREAK_GLASS, PROGRAM, CONSENT)
ACTING_AS_PATIENT: tuple[Grant, ...] = (SELF, REPRESENTATIVE)
CARE_TEAM: tuple[Grant, ...] = (CASELOAD, BREAK_GLASS, PROGRAM)
NOT_DISCLOSURES: tuple[Grant, ...] = tuple(grant for grant in GRANTS if not grant.discloses)


def for_role(role: str | None, grants: Iterable[Grant] = GRANTS) -> tuple[Grant, ...]:
    """The grants a viewer of ``role`` can hold (the others cannot match: each filters the viewer's role)."""
    return tuple(grant for grant in grants if grant.viewer_role == role)


def allowed_pairs(
    grants: Iterable[Grant],
    at: datetime,
    scope: str | None,
    *,
    viewers: Collection[Any] | Among | None = None,
    patients: Collection[Any] | None = None,
) -> set[Pair]:
    """Every (viewer id, patient id) pair that ``grants`` allow at ``at`` for ``scope``, in one query (a UNION
    of each grant's rows), optionally only those of some viewers or patients.

    The usual questions (every viewer or one, of every patient or one, by id) reuse the union's SQL, compiled
    once per shape (``family_portal.prepared``): building it is most of the CPU of a chat message (issue #17).
    So are the viewers of an ``Among`` subquery (a conversation's seats) for one patient or every patient. Other
    shapes (many ids, any other subquery of viewers) are built each time."""
    grants = tuple(grants)
    if not grants:
        return set()
    if isinstance(viewers, Among):
        if (patient := _lone_id(patients)) is not _MANY and viewers.preparable():
            values = {"at": at, **viewers.values} | ({"patient": patient} if patient is not None else {})
            return set(_prepared_among(grants, scope, viewers, patient is not None).rows(**values))
        viewers = viewers.queryset()
    viewer, patient = _lone_id(viewers), _lone_id(patients)
    if viewer is not _MANY and patient is not _MANY:
        values = {"at": at} | ({"viewer": viewer} if viewer is not None else {})
        values |= {"patient": patient} if patient is not None else {}
        return set(_prepared_pairs(grants, scope, viewer is not None, patient is not None).rows(**values))
    return set(_union([grant.pairs(at, scope, viewers=viewers, patients=patients) for grant in grants]))


_MANY = object()
_PREPARED_PAIRS: dict[tuple[Any, ...], Prepared] = {}


def _lone_id(ids: Collection[Any] | None) -> Any:
    """``None`` for no restriction, the id of a one-id list, else ``_MANY`` (not a shape that is prepared)."""
    if ids is None:
        return None
    if isinstance(ids, list | tuple | set | frozenset) and len(ids) == 1:
        (only,) = ids
        if type(only) is int:
            return only
    return _MANY


def _prepared_pairs(grants: tuple[Grant, ...], scope: str | None, by_viewer: bool, by_patient: bool) -> Prepared:
    key = (tuple(grant.name for grant in grants), scope, by_viewer, by_patient)
    if (prepared := _PREPARED_PAIRS.get(key)) is None:

        def build(at: datetime, viewer: int | None = None, patient: int | None = None) -> QuerySet[Any]:
            viewers, patients = (None if viewer is None else [viewer]), (None if patient is None else [patient])
            return _union([grant.pairs(at, scope, viewers=viewers, patients=patients) for grant in grants])

        kinds: dict[str, type] = {"at": datetime} | ({"viewer": int} if by_viewer else {})
        prepared = Prepared(build, **kinds | ({"patient": int} if by_patient else {}))
        _PREPARED_PAIRS[key] = prepared
    return prepared


@dataclass(frozen=True)
class Among:
    """Viewers narrowed to a subquery that is the same but for some values (a conversation's seats, a private
    thread's counselors and member): ``build(**values)`` returns a queryset of one column of user ids. Passed as
    ``viewers`` to ``allowed_pairs``, the union with it is compiled once per ``build``, grants and scope
    (``family_portal.prepared``) instead of on every call; the rows are those of ``viewers=build(**values)``."""

    build: Callable[..., QuerySet[Any]]
    items: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, build: Callable[..., QuerySet[Any]], **values: Any) -> Among:
        if values.keys() & {"at", "patient"}:
            raise ValueError("'at' and 'patient' name the union's own values")
        return cls(build, tuple(sorted(values.items())))

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.items)

    def queryset(self) -> QuerySet[Any]:
        return self.build(**self.values)

    def preparable(self) -> bool:
        """Whether every value has a type ``Prepared`` binds (else the union is built by the ORM each time)."""
        return all(type(value) in _AMONG_KINDS for _, value in self.items)


_AMONG_KINDS = (int, str, uuid.UUID)
_PREPARED_AMONG: dict[tuple[Any, ...], Prepared] = {}


def _prepared_among(grants: tuple[Grant, ...], scope: str | None, among: Among, by_patient: bool) -> Prepared:
    kinds = {name: type(value) for name, value in among.items}
    key = (tuple(grant.name for grant in grants), scope, among.build, tuple(kinds.items()), by_patient)
    if (prepared := _PREPARED_AMONG.get(key)) is None:

        def build(at: datetime, patient: int | None = None, **values: Any) -> QuerySet[Any]:
            viewers, patients = among.build(**values), (None if patient is None else [patient])
            return _union([grant.pairs(at, scope, viewers=viewers, patients=patients) for grant in grants])

        prepared = Prepared(build, **{"at": datetime} | ({"patient": int} if by_patient else {}) | kinds)
        _PREPARED_AMONG[key] = prepared
    return prepared


def patients_seen(grants: Iterable[Grant], at: datetime, viewer_id: Any) -> list[tuple[str, int, int | None]]:
    """(grant name, patient id, the patient's program id) for every patient ``grants`` let one viewer see at
    ``at`` (every scope), in one query: a viewer's whole answer (``consent.gate.visibility``). Its SQL is compiled
    once per tuple of grants for a viewer id (``family_portal.prepared``): every staff page asks it (issue #17)."""
    grants = tuple(grants)
    if not grants:
        return []
    if type(viewer_id) is not int:
        return list(_seen(grants, at, viewer_id))
    key = tuple(grant.name for grant in grants)
    if (prepared := _PREPARED_SEEN.get(key)) is None:
        prepared = Prepared(lambda at, viewer: _seen(grants, at, viewer), at=datetime, viewer=int)
        _PREPARED_SEEN[key] = prepared
    return prepared.rows(at=at, viewer=viewer_id)


_PREPARED_SEEN: dict[tuple[str, ...], Prepared] = {}


def _seen(grants: tuple[Grant, ...], at: datetime, viewer_id: Any) -> QuerySet[Any]:
    queries = [
        grant.rows(at, viewers=[viewer_id])
        .order_by()
        .annotate(grant_name=Value(grant.name))
        .values_list("grant_name", _path(grant.patient, "pk"), _path(grant.patient, "program_id"))
        for grant in grants
    ]
    return _union(queries)


def _union(queries: list[QuerySet[Any]]) -> QuerySet[Any]:
    """One UNION ALL of ``queries`` (Django makes one query of a single one), unordered: ``union`` puts back the
    first model's default ordering, which names no column of the union."""
    first, *others = queries
    combined = first.union(*others, all=True)
    combined.query.clear_ordering()
    return combined


def consents_in_force(
    at: datetime,
    scope: str | None = None,
    *,
    viewers: Collection[Any] | None = None,
    patients: Collection[Any] | None = None,
) -> QuerySet[Consent]:
    """The ``CONSENT`` grant's rows as consent objects, newest signature first: the consents a disclosure may
    rely on (the ledger names the one relied on)."""
    rows = CONSENT.rows(at, scope, viewers=viewers, patients=patients)
    return rows.select_related("form_version").order_by("-signed_at")


def viewer_consents(at: datetime, viewer: Any) -> list[Consent]:
    """``consents_in_force`` for one viewer, every scope, with each consent's patient, the patient's program and
    the form version joined: the consents part of a family member's whole answer (``consent.gate.visibility``),
    its SQL compiled once for a viewer id (``family_portal.prepared``): every family page asks it (issue #17)."""
    if type(viewer) is not int:
        return list(_viewer_consents(at, viewer))
    return _PREPARED_VIEWER_CONSENTS.rows(at=at, viewer=viewer)


def _viewer_consents(at: datetime, viewer: Any) -> QuerySet[Consent]:
    return consents_in_force(at, viewers=[viewer]).select_related("patient__program")  # and form_version


_PREPARED_VIEWER_CONSENTS = Prepared(_viewer_consents, at=datetime, viewer=int)
_PREPARED_CONSENT: dict[str | None, Prepared] = {}


def consent_in_force(at: datetime, scope: str | None, viewer: Any, patient: Any) -> Consent | None:
    """The first of ``consents_in_force`` for one viewer and one patient (the consent a disclosure relies on),
    its SQL compiled once per scope when both are ids (``family_portal.prepared``)."""
    if type(viewer) is not int or type(patient) is not int:
        return consents_in_force(at, scope, viewers=[viewer], patients=[patient]).first()
    if (prepared := _PREPARED_CONSENT.get(scope)) is None:
        prepared = Prepared(
            lambda at, viewer, patient: consents_in_force(at, scope, viewers=[viewer], patients=[patient])[:1],
            at=datetime,
            viewer=int,
            patient=int,
        )
        _PREPARED_CONSENT[scope] = prepared
    found = prepared.rows(at=at, viewer=viewer, patient=patient)
    return found[0] if found else None


def patients_query(grants: Iterable[Grant], at: datetime, scope: str | None, viewer: Any) -> QuerySet[User]:
    """The patients ``grants`` let ``viewer`` see, as a queryset filter built from the same rows (for viewers
    whose answer is a whole program, too large to list)."""
    ids = [grant.rows(at, scope, viewers=[viewer.pk]).values(_path(grant.patient, "pk")) for grant in grants]
    patients = User.objects.none()
    for query in ids:
        patients = patients | User.objects.filter(pk__in=query)
    return patients
