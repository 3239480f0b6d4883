"""The disclosure gate: the one place that decides whether a viewer may see a patient's information.

Every read of patient-specific data — page, export, calendar feed, WebSocket connect and delivery, outbox
send — asks ``can_disclose`` or ``require_disclosure`` at the moment of delivery (42 CFR 2.13(a), 2.31(c);
AZ-02). Nobody re-derives consent from fields. The gate fails closed: no consent, no disclosure.

Who passes, for a given patient and scope:
- the patient themself, and a verified personal representative acting for them;
- a counselor with the patient on their active caseload, or with unexpired break-glass access (AZ-06);
- a program admin of the patient's program;
- a family member named as recipient on a consent that is effective at that instant and includes the scope.
Only the last kind is a disclosure under Part 2, so only it is written to the ledger.

The same rules answer three shapes of question: one viewer and one patient (``can_disclose``,
``require_disclosure``), one viewer and every patient (``visibility``, ``visible_patients``: flat queries, remembered
for a read-only request by ``consent.request_memo``), and many pairs at one instant (``disclosable_pairs``: a
message's recipients, a batch of reminders). tests/consent/test_gate_batch.py proves they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import CaseloadAssignment, User
from consent import request_memo
from consent.models import BreakGlassAccess, Consent, Disclosure, PersonalRepresentative, Scope


class DisclosureRefused(Http404):
    """Raised by ``require_disclosure``; an ``Http404`` so refused objects look like missing ones (AZ-03)."""


def effective_consent(viewer: Any, patient: Any, scope: str, at: datetime | None = None) -> Consent | None:
    """The consent naming ``viewer`` that allows ``scope`` for ``patient`` at ``at``, if any."""
    if not _is_active_user(viewer) or not getattr(viewer, "is_family", False):
        return None
    if (seen := _remembered(viewer, at)) is not None:
        patient_id = _pk(patient)
        return next((c for c in seen.consents if c.patient_id == patient_id and c.has_scope(scope)), None)
    return (
        Consent.objects.effective(at)
        .with_scope(scope)
        .filter(recipient=viewer, patient_id=_pk(patient))
        .select_related("form_version")  # the ledger row names it
        .order_by("-signed_at")
        .first()
    )


def is_care_team_for(viewer: Any, patient: Any, at: datetime | None = None) -> bool:
    """Staff access: the counselor's caseload, break-glass, or the patient's program admin."""
    if not _is_active_user(viewer):
        return False
    patient_id = _pk(patient)
    if viewer.is_counselor and (seen := _remembered(viewer, at)) is not None:
        return patient_id in (seen.patient_ids(Scope.SCHEDULE) or ())
    at = at or timezone.now()
    if viewer.is_counselor:
        if CaseloadAssignment.objects.active().filter(counselor=viewer, patient_id=patient_id).exists():
            return True
        return BreakGlassAccess.objects.filter(
            counselor=viewer, patient_id=patient_id, started_at__lte=at, expires_at__gt=at
        ).exists()
    if viewer.is_program_admin:
        return User.objects.filter(pk=patient_id, program_id=viewer.program_id, role=User.Role.PATIENT).exists()
    return False


def acts_as_patient(viewer: Any, patient: Any, at: datetime | None = None) -> bool:
    """The patient themself, or a personal representative within an unexpired authority."""
    if not _is_active_user(viewer):
        return False
    patient_id = _pk(patient)
    if viewer.pk == patient_id and viewer.is_patient:
        return True
    if (seen := _remembered(viewer, at)) is not None:
        return patient_id in seen.represented
    at = at or timezone.now()
    return PersonalRepresentative.objects.effective(at).filter(representative=viewer, patient_id=patient_id).exists()


def can_disclose(viewer: Any, patient: Any, scope: str, at: datetime | None = None) -> bool:
    """True when ``viewer`` may see ``patient``'s information of kind ``scope`` at ``at`` (default now)."""
    Scope(scope)  # an unknown scope is a programming error, not a refusal
    if not _is_active_user(viewer) or patient is None:
        return False
    if acts_as_patient(viewer, patient, at) or is_care_team_for(viewer, patient, at):
        return True
    return effective_consent(viewer, patient, scope, at) is not None


Pair = tuple[Any, Any]  # (viewer id, patient id)


def disclosable_pairs(pairs: Iterable[Pair], scope: str, at: datetime | None = None) -> set[Pair]:
    """``can_disclose`` for many (viewer id, patient id) pairs at once: the subset that may be disclosed at ``at``.

    The same rules as ``can_disclose``, answered with at most six queries whatever the number of pairs (the
    viewers, then only where a pair is still undecided: personal representatives, caseloads, break-glass, the
    patients' programs for admins, consents for family members). For hot paths that decide many deliveries at
    one instant: a message's recipients, a batch of reminders."""
    Scope(scope)
    at = at or timezone.now()
    wanted = {(v, p) for v, p in pairs if v is not None and p is not None}
    if not wanted:
        return set()
    active = User.objects.filter(pk__in=_viewer_ids(wanted), is_active=True)
    viewers = {pk: (role, program) for pk, role, program in active.values_list("pk", "role", "program_id")}
    wanted = {(v, p) for v, p in wanted if v in viewers}
    allowed = {(v, p) for v, p in wanted if v == p and viewers[v][0] == User.Role.PATIENT}
    allowed |= _represented_pairs(wanted - allowed, at)
    by_role: dict[str, set[Pair]] = {}
    for v, p in wanted - allowed:
        by_role.setdefault(viewers[v][0], set()).add((v, p))
    if counselors := by_role.get(User.Role.COUNSELOR):
        on_caseload = CaseloadAssignment.objects.active().filter(
            counselor_id__in=_viewer_ids(counselors), patient_id__in=_patient_ids(counselors)
        )
        glass = BreakGlassAccess.objects.active(at).filter(
            counselor_id__in=_viewer_ids(counselors), patient_id__in=_patient_ids(counselors)
        )
        allowed |= counselors & set(on_caseload.values_list("counselor_id", "patient_id"))
        allowed |= counselors & set(glass.values_list("counselor_id", "patient_id"))
    if admins := by_role.get(User.Role.PROGRAM_ADMIN):
        programs = dict(
            User.objects.filter(pk__in=_patient_ids(admins), role=User.Role.PATIENT).values_list("pk", "program_id")
        )
        allowed |= {(v, p) for v, p in admins if p in programs and programs[p] == viewers[v][1]}
    if family := by_role.get(User.Role.FAMILY):
        consents = (
            Consent.objects.effective(at)
            .with_scope(scope)
            .filter(recipient_id__in=_viewer_ids(family), patient_id__in=_patient_ids(family))
            .values_list("recipient_id", "patient_id")
        )
        allowed |= family & set(consents)
    return allowed


def _represented_pairs(pairs: set[Pair], at: datetime) -> set[Pair]:
    """The pairs whose viewer holds an unexpired personal-representative authority for the patient."""
    if not pairs:
        return set()
    rows = (
        PersonalRepresentative.objects.effective(at)
        .filter(
            representative_id__in=_viewer_ids(pairs),
            patient_id__in=_patient_ids(pairs),
        )
        .values_list("representative_id", "patient_id")
    )
    return pairs & set(rows)


def _viewer_ids(pairs: Iterable[Pair]) -> set[Any]:
    return {v for v, _ in pairs}


def _patient_ids(pairs: Iterable[Pair]) -> set[Any]:
    return {p for _, p in pairs}


def require_disclosure(
    viewer: Any,
    patient: Any,
    scope: str,
    *,
    channel: str = Disclosure.Channel.WEB,
    what: str,
    request: HttpRequest | None = None,
    at: datetime | None = None,
) -> Consent | None:
    """Allow or refuse one disclosure, recording it: a ledger row for a family recipient (§ 2.25), an audit
    row for a refusal. Returns the consent relied on (``None`` for the patient and their care team);
    raises ``DisclosureRefused`` (a 404) otherwise."""
    Scope(scope)
    if _is_active_user(viewer) and patient is not None:
        if acts_as_patient(viewer, patient, at) or is_care_team_for(viewer, patient, at):
            return None
        consent = effective_consent(viewer, patient, scope, at)
        if consent is not None:
            record_disclosure(consent=consent, scope=scope, channel=channel, what=what, at=at or timezone.now())
            return consent
    _audit_refusal(viewer, patient, scope, channel, request)
    raise DisclosureRefused("Not found")


def record_disclosure(*, consent: Consent, scope: str, channel: str, what: str, at: datetime | None = None) -> None:
    """Write one ledger row for a disclosure made under ``consent``."""
    _ledger_row(consent, scope, channel, what, at or timezone.now()).save()


def record_disclosures(
    viewer: Any,
    patient_ids: Iterable[Any],
    scope: str,
    *,
    what: str,
    channel: str = Disclosure.Channel.WEB,
    at: datetime | None = None,
) -> None:
    """``require_disclosure``'s ledger rows for many patients at once, in two queries whatever their number.

    The patients come from a list already scoped through this gate in the same request, so none is refused here.
    As in ``require_disclosure``, a personal representative acting for the patient and staff get no row (not a
    disclosure), and each row names the consent relied on: the latest signed effective one including ``scope``."""
    Scope(scope)
    ids = {pk for pk in patient_ids if pk is not None}
    if not ids or not getattr(viewer, "is_family", False) or not viewer.is_active:
        return
    if (seen := _remembered(viewer, at)) is not None:
        consents = list(seen.consents)
        ids -= seen.represented
    else:
        consents = list(
            Consent.objects.effective(at)
            .with_scope(scope)
            .filter(recipient=viewer, patient_id__in=ids)
            .exclude(patient_id__in=represented_by(viewer, at).values("patient_id"))
            .select_related("form_version")
        )
    at = at or timezone.now()
    Disclosure.objects.bulk_create(disclosure_rows(consents, ids, scope, what=what, channel=channel, at=at))


def disclosure_rows(
    consents: list[Consent], patient_ids: set[Any], scope: str, *, what: str, channel: str, at: datetime
) -> list[Disclosure]:
    """Unsaved ledger rows, one per patient in ``patient_ids``, each naming the consent relied on (the latest
    signed of ``consents`` that includes ``scope``); callers that batch several scopes insert them together."""
    relied_on: dict[Any, Consent] = {}
    for consent in consents:
        if consent.patient_id in patient_ids and consent.has_scope(scope):
            best = relied_on.get(consent.patient_id)
            if best is None or consent.signed_at > best.signed_at:
                relied_on[consent.patient_id] = consent
    return [_ledger_row(consent, scope, channel, what, at) for _, consent in sorted(relied_on.items())]


def represented_by(viewer: Any, at: datetime | None = None) -> QuerySet[PersonalRepresentative]:
    """The unexpired personal-representative authorities ``viewer`` holds (``acts_as_patient`` for many)."""
    return PersonalRepresentative.objects.effective(at or timezone.now()).filter(representative=viewer)


def _ledger_row(consent: Consent, scope: str, channel: str, what: str, at: datetime) -> Disclosure:
    return Disclosure(
        recipient_id=consent.recipient_id,
        recipient_name=consent.recipient_name,
        patient_id=consent.patient_id,
        consent=consent,
        form_version=consent.form_version.version if consent.form_version_id else "",
        scope=scope,
        channel=channel,
        what=what[:200],
        at=at,
    )


@dataclass(frozen=True)
class Visibility:
    """What one viewer may see through the gate at one instant, answered with at most one flat query.

    ``by_scope`` maps each scope to the ids of the active patients whose information of that kind the viewer may
    see (``None`` for program admins: their whole program, filtered by a queryset instead of a list).
    ``consents`` are the effective consents naming the viewer, newest first, with patient, the patient's program
    and the form version.
    ``represented`` lists the patients the viewer acts as (``acts_as_patient``): showing them their own
    information is not a disclosure. ``linked_programs`` and ``linked`` serve education's rule that a family
    member with any effective consent or authority reads shared and their patients' programs' content."""

    by_scope: dict[str, frozenset[int]] | None
    consents: tuple[Consent, ...] = ()
    represented: frozenset[int] = frozenset()
    linked_programs: frozenset[int | None] = frozenset()
    linked: bool = False
    programs: dict[int, int | None] | None = None  # patient id → program id, where known (family members)

    def patient_ids(self, scope: str) -> frozenset[int] | None:
        return None if self.by_scope is None else self.by_scope[Scope(scope)]

    def program_ids(self, scope: str) -> frozenset[int] | None:
        """The programs of the patients visible for ``scope``; ``None`` when not known without a query."""
        ids = self.patient_ids(scope)
        if ids is None or self.programs is None:
            return None
        return frozenset(program for pk in ids if (program := self.programs.get(pk)) is not None)


NOTHING = Visibility(by_scope={scope.value: frozenset() for scope in Scope})


def visibility(viewer: Any, at: datetime | None = None) -> Visibility:
    """The gate's whole answer for ``viewer`` at ``at`` (default now), every scope at once.

    Inside a read-only request (``consent.middleware.GateMemoMiddleware``) the answer for "now" is computed once
    and reused by every view, card and template tag of that request — and the one-patient questions below
    (``effective_consent``, ``acts_as_patient``, a counselor's ``is_care_team_for``) are answered from it;
    elsewhere it is computed per call."""
    if at is None:
        memo = request_memo.current()
        if memo is not None:
            return memo.remember(("visibility", getattr(viewer, "pk", None)), lambda: _visibility(viewer, memo.at))
    return _visibility(viewer, at or timezone.now())


def _visibility(viewer: Any, at: datetime) -> Visibility:
    if not _is_active_user(viewer):
        return NOTHING
    if viewer.is_program_admin:
        return Visibility(by_scope=None)
    if viewer.is_patient:
        own = frozenset({viewer.pk})
        programs = {viewer.pk: viewer.program_id}
        return Visibility(by_scope={scope.value: own for scope in Scope}, represented=own, programs=programs)
    if viewer.is_counselor:
        return Visibility(by_scope=dict.fromkeys((s.value for s in Scope), frozenset(_care_team_ids(viewer, at))))
    return _family_visibility(viewer, at)


def _care_team_ids(counselor: Any, at: datetime) -> set[int]:
    live = {"patient__is_active": True, "patient__role": User.Role.PATIENT}
    caseload = CaseloadAssignment.objects.active().filter(counselor=counselor, **live).order_by()
    glass = BreakGlassAccess.objects.active(at).filter(counselor=counselor, **live).order_by()
    return {pk for (pk,) in caseload.values_list("patient_id").union(glass.values_list("patient_id")).order_by()}


def _remembered(viewer: Any, at: datetime | None) -> Visibility | None:
    """The request's remembered answer for ``viewer`` when the question is about "now" inside a memo."""
    if at is not None or request_memo.current() is None or getattr(viewer, "is_program_admin", False):
        return None
    return visibility(viewer)


def _family_visibility(viewer: Any, at: datetime) -> Visibility:
    """Two queries: the viewer's effective consents (objects, for ledger rows) and unexpired authorities."""
    consents = tuple(
        Consent.objects.effective(at)
        .filter(recipient=viewer)
        .select_related("patient__program", "form_version")
        .order_by("-signed_at")
    )
    authorities = (
        PersonalRepresentative.objects.effective(at)
        .filter(
            representative=viewer,
            patient__is_active=True,
            patient__role=User.Role.PATIENT,
        )
        .values_list("patient_id", "patient__program_id")
    )
    represented = dict(authorities)
    by_scope = {scope.value: set(represented) for scope in Scope}
    for consent in consents:
        if consent.patient.is_active and consent.patient.is_patient:
            for scope in Scope:
                if consent.has_scope(scope):
                    by_scope[scope.value].add(consent.patient_id)
    programs = {c.patient_id: c.patient.program_id for c in consents} | represented
    return Visibility(
        by_scope={scope: frozenset(ids) for scope, ids in by_scope.items()},
        consents=consents,
        programs=programs,
        represented=frozenset(represented),
        linked_programs=frozenset({c.patient.program_id for c in consents} | set(represented.values())),
        linked=bool(consents or represented),
    )


def visible_patient_ids(viewer: Any, scope: str, at: datetime | None = None) -> frozenset[int]:
    """The ids of ``visible_patients(viewer, scope, at)``, from ``visibility`` (no query inside a memoised request
    once the viewer's answer is known)."""
    ids = visibility(viewer, at).patient_ids(scope)
    if ids is None:
        return frozenset(visible_patients(viewer, scope, at).values_list("pk", flat=True))
    return ids


def visible_patients(viewer: Any, scope: str, at: datetime | None = None) -> QuerySet[User]:
    """Patients whose ``scope`` information ``viewer`` may see at ``at``: scope querysets through this."""
    Scope(scope)
    patients = User.objects.filter(role=User.Role.PATIENT, is_active=True)
    if not _is_active_user(viewer):
        return patients.none()
    if viewer.is_program_admin:
        return patients.filter(program_id=viewer.program_id)
    return patients.filter(pk__in=visibility(viewer, at).patient_ids(scope) or ())


def effective_consents_for(viewer: Any, at: datetime | None = None) -> QuerySet[Consent]:
    """The consents naming ``viewer`` that are effective now: a family member's "what you can see" list."""
    if not _is_active_user(viewer):
        return Consent.objects.none()
    return Consent.objects.effective(at).filter(recipient=viewer).select_related("patient", "form_version")


def patients_acted_for(viewer: Any, at: datetime | None = None) -> QuerySet[User]:
    """Patients ``viewer`` may act as: themself, and those they represent within an unexpired authority."""
    patients = User.objects.filter(role=User.Role.PATIENT, is_active=True)
    if not _is_active_user(viewer):
        return patients.none()
    represented = PersonalRepresentative.objects.effective(at).filter(representative=viewer, patient=OuterRef("pk"))
    return patients.filter(Q(pk=viewer.pk) | Exists(represented))


def care_team_patients(viewer: Any, at: datetime | None = None) -> QuerySet[User]:
    """Patients whose records ``viewer`` may handle as staff: caseload, break-glass, or their program (admins).

    Unlike ``visible_patients`` this is empty for family members, whatever their consents say."""
    if not _is_active_user(viewer) or not getattr(viewer, "is_care_staff", False):
        return User.objects.none()
    return visible_patients(viewer, Scope.EDUCATION, at)  # staff access does not depend on the scope


def managed_consents(viewer: Any, at: datetime | None = None) -> QuerySet[Consent]:
    """Consents ``viewer`` may open as their giver (patient, representative) or as the patient's care team.

    Recipients are not included: they see a consent only while it is effective (``effective_consents_for``)."""
    if not _is_active_user(viewer):
        return Consent.objects.none()
    return Consent.objects.filter(
        Q(patient__in=patients_acted_for(viewer, at)) | Q(patient__in=care_team_patients(viewer, at))
    )


def _audit_refusal(viewer: Any, patient: Any, scope: str, channel: str, request: HttpRequest | None) -> None:
    from consent.audit import record_audit
    from consent.models import AuditEvent

    record_audit(
        kind=AuditEvent.Kind.DISCLOSURE_REFUSED,
        actor=viewer if _is_active_user(viewer) else None,
        patient=patient,
        request=request,
        data={"scope": scope, "channel": channel},
    )


def _is_active_user(viewer: Any) -> bool:
    return bool(viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.is_active)


def _pk(obj: Any) -> Any:
    return getattr(obj, "pk", obj)
