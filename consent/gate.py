"""The disclosure gate: the one place that answers whether a viewer may see a patient's information.

Every read of patient-specific data — page, export, calendar feed, WebSocket connect and delivery, outbox
send — asks the gate at the moment of delivery (42 CFR 2.13(a), 2.31(c); AZ-02). The rules themselves live once,
in ``consent.policy`` (AZ-09); this module asks them in four shapes, each derived from the same ``Grant`` rows:

- one viewer, one patient: ``can_disclose``, ``require_disclosure`` (and its parts ``acts_as_patient``,
  ``is_care_team_for``, ``effective_consent``);
- one viewer, every patient: ``visibility``, ``visible_patients``, ``visible_patient_ids`` — inside a read-only
  request the answer for "now" is computed once and remembered by ``consent.request_memo`` (the only place the
  memo is read is ``_remembered``);
- many pairs at one instant: ``disclosable_pairs`` (a batch of reminders), one query whatever their number;
- one patient, every viewer: ``recipients`` and ``recipients_by_patient`` (a message's participants, session
  invitations, the counselor's family lists).

The gate fails closed: no grant, no disclosure; inactive accounts pass nothing (AZ-08, see ``consent.policy``).
Only the ``CONSENT`` grant is a disclosure under Part 2; ``consent.ledger`` writes its § 2.25 rows.
tests/consent/test_policy_agreement.py generates random worlds and proves every shape gives the same answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import User
from consent import policy, request_memo
from consent.models import Consent, Disclosure, PersonalRepresentative, Scope
from consent.policy import Pair
from consent.visibility import NOTHING, Visibility

__all__ = [
    "NOTHING",
    "DisclosureRefused",
    "Pair",
    "Visibility",
    "acts_as_patient",
    "can_disclose",
    "care_team_patients",
    "consents_relied_on",
    "disclosable_pairs",
    "disclosure_if_allowed",
    "effective_consent",
    "effective_consents_for",
    "instant",
    "is_care_team_for",
    "managed_consents",
    "patients_acted_for",
    "recipients",
    "recipients_by_patient",
    "represented_by",
    "scopes_still_covered",
    "require_disclosure",
    "visibility",
    "visible_patient_ids",
    "visible_patients",
]


class DisclosureRefused(Http404):
    """Raised by ``require_disclosure``; an ``Http404`` so refused objects look like missing ones (AZ-03)."""


def instant(at: datetime | None = None) -> datetime:
    """The instant a question is about: ``at``, else the read-only request's instant, else now."""
    if at is not None:
        return at
    memo = request_memo.current()
    return memo.at if memo is not None else timezone.now()


# --- one viewer, one patient ---------------------------------------------------------------------------------------


def can_disclose(viewer: Any, patient: Any, scope: str, at: datetime | None = None) -> bool:
    """True when ``viewer`` may see ``patient``'s information of kind ``scope`` at ``at`` (default now)."""
    Scope(scope)
    return _passes(viewer, patient, policy.GRANTS, scope, at)


def acts_as_patient(viewer: Any, patient: Any, at: datetime | None = None) -> bool:
    """The patient themself, or a personal representative within an effective authority (not a disclosure)."""
    return _passes(viewer, patient, policy.ACTING_AS_PATIENT, None, at)


def is_care_team_for(viewer: Any, patient: Any, at: datetime | None = None) -> bool:
    """Staff access: the counselor's caseload or break-glass, or the patient's program admin."""
    return _passes(viewer, patient, policy.CARE_TEAM, None, at)


def effective_consent(viewer: Any, patient: Any, scope: str, at: datetime | None = None) -> Consent | None:
    """The consent naming ``viewer`` that allows ``scope`` for ``patient`` at ``at``, if any: the latest signed."""
    Scope(scope)
    if not _is_active_user(viewer) or patient is None or not viewer.is_family:
        return None
    patient_id = _pk(patient)
    if (seen := _remembered(viewer, at)) is not None:
        return next((c for c in seen.consents if c.patient_id == patient_id and c.has_scope(scope)), None)
    return policy.consent_in_force(instant(at), scope, viewer.pk, patient_id)


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
    row for a refusal. Returns the consent relied on (``None`` for the patient, their representative and their
    care team); raises ``DisclosureRefused`` (a 404) otherwise."""
    from consent.ledger import record_disclosure

    Scope(scope)
    if _passes(viewer, patient, policy.NOT_DISCLOSURES, None, at):  # none of them is scoped
        return None
    consent = effective_consent(viewer, patient, scope, at)
    if consent is not None:
        record_disclosure(consent=consent, scope=scope, channel=channel, what=what, at=instant(at))
        return consent
    _audit_refusal(viewer, patient, scope, channel, request)
    raise DisclosureRefused("Not found")


def disclosure_if_allowed(
    viewer: Any, patient: Any, scope: str, *, channel: str, what: str, at: datetime
) -> tuple[bool, Consent | None]:
    """``can_disclose`` and ``require_disclosure`` asked as one question, for a caller that would ask both (a
    socket's handshake, issue #17): ``(True, None)`` when ``viewer`` sees ``patient`` without a disclosure (the
    patient, their representative, their care team), ``(True, consent)`` once the ledger row for the consent
    relied on is written (§ 2.25), ``(False, None)`` when refused, with no audit row (as a refused
    ``can_disclose`` writes none). A representative authority is looked for only for a viewer ever named by one
    (``recorded_as_representative``, as ``visibility`` does), so most family members cost the consent query
    alone."""
    from consent.ledger import record_disclosure

    Scope(scope)
    if not _is_active_user(viewer) or patient is None:
        return False, None
    others = [grant for grant in policy.NOT_DISCLOSURES if _may_hold(viewer, grant)]
    if _passes(viewer, patient, others, None, at):
        return True, None
    consent = effective_consent(viewer, patient, scope, at)
    if consent is None:
        return False, None
    record_disclosure(consent=consent, scope=scope, channel=channel, what=what, at=at)
    return True, consent


def _passes(viewer: Any, patient: Any, grants: Iterable[policy.Grant], scope: str | None, at: datetime | None) -> bool:
    """Whether one of ``grants`` lets ``viewer`` see ``patient`` for ``scope`` (every scope when ``None``)."""
    if not _is_active_user(viewer) or patient is None:
        return False
    mine = policy.for_role(viewer.role, grants)
    if not mine:
        return False
    patient_id = _pk(patient)
    if (seen := _remembered(viewer, at)) is not None:
        return patient_id in seen.granted(mine, scope)
    pairs = policy.allowed_pairs(mine, instant(at), scope, viewers=[viewer.pk], patients=[patient_id])
    return bool(pairs)


# --- many pairs at one instant -------------------------------------------------------------------------------------


def disclosable_pairs(pairs: Iterable[Pair], scope: str, at: datetime | None = None) -> set[Pair]:
    """``can_disclose`` for many (viewer id, patient id) pairs at once: the subset that may be disclosed at ``at``,
    in one query whatever the number of pairs. For hot paths that decide many deliveries at one instant."""
    Scope(scope)
    wanted = {(v, p) for v, p in pairs if v is not None and p is not None}
    if not wanted:
        return set()
    viewers, patients = {v for v, _ in wanted}, {p for _, p in wanted}
    return wanted & policy.allowed_pairs(policy.GRANTS, instant(at), scope, viewers=viewers, patients=patients)


# --- one patient, every viewer -------------------------------------------------------------------------------------


def recipients(
    patient: Any,
    scope: str,
    at: datetime | None = None,
    *,
    grants: Iterable[policy.Grant] = policy.GRANTS,
    among: Any = None,
) -> frozenset[int]:
    """The ids of everyone who may see ``patient``'s information of kind ``scope`` at ``at`` (one query):
    ``can_disclose`` asked the other way round. ``grants`` narrows it to some ways of seeing (e.g.
    ``policy.CASELOAD``: the counselors assigned to the patient), ``among`` to some people (ids or a subquery)."""
    Scope(scope)
    pairs = policy.allowed_pairs(grants, instant(at), scope, viewers=among, patients=[_pk(patient)])
    return frozenset(viewer_id for viewer_id, _ in pairs)


def recipients_by_patient(
    patient_ids: Collection[Any],
    scope: str,
    at: datetime | None = None,
    *,
    grants: Iterable[policy.Grant] = policy.GRANTS,
) -> dict[Any, frozenset[int]]:
    """``recipients`` for many patients in one query: patient id → the ids of everyone who may see them."""
    Scope(scope)
    found: dict[Any, set[int]] = {pk: set() for pk in patient_ids}
    if found:
        for viewer_id, patient_id in policy.allowed_pairs(grants, instant(at), scope, patients=list(found)):
            found[patient_id].add(viewer_id)
    return {pk: frozenset(ids) for pk, ids in found.items()}


# --- one viewer, every patient (the answer's shape is consent.visibility.Visibility) -------------------------------


def visibility(viewer: Any, at: datetime | None = None) -> Visibility:
    """The gate's whole answer for ``viewer`` at ``at`` (default now), every scope at once.

    Inside a read-only request (``consent.middleware.GateMemoMiddleware``) the answer for "now" is computed once
    and reused by every view, card and template tag of that request — and the one-patient questions above are
    answered from it; elsewhere it is computed per call."""
    if at is None and (memo := request_memo.current()) is not None:
        return memo.remember(("visibility", getattr(viewer, "pk", None)), lambda: _visibility(viewer, memo.at))
    return _visibility(viewer, instant(at))


def _visibility(viewer: Any, at: datetime) -> Visibility:
    if not _is_active_user(viewer):
        return NOTHING
    if viewer.is_program_admin:
        return Visibility(by_grant=None)
    grants = policy.for_role(viewer.role)
    by_grant: dict[str, set[int]] = {grant.name: set() for grant in grants if not grant.scoped}
    programs: dict[int, int | None] = {}
    if policy.SELF in grants:  # the SELF row is the viewer, already loaded and checked active
        by_grant[policy.SELF.name].add(viewer.pk)
        programs[viewer.pk] = viewer.program_id
    others = [grant for grant in grants if not grant.scoped and grant is not policy.SELF and _may_hold(viewer, grant)]
    for name, patient_id, program_id in policy.patients_seen(others, at, viewer.pk):
        by_grant[name].add(patient_id)
        programs[patient_id] = program_id
    consents: tuple[Consent, ...] = ()
    if policy.CONSENT in grants:
        consents = tuple(policy.viewer_consents(at, viewer.pk))
        programs |= {c.patient_id: c.patient.program_id for c in consents}
    return Visibility(
        by_grant={name: frozenset(ids) for name, ids in by_grant.items()}, consents=consents, programs=programs
    )


def _may_hold(viewer: Any, grant: policy.Grant) -> bool:
    """False when ``viewer`` cannot hold ``grant`` whatever the rows say, so its query is skipped: a person never
    named by a personal-representative authority (``recorded_as_representative``, set when one is saved) holds no
    ``REPRESENTATIVE`` grant. Most family members, so their whole answer is the consents' one query."""
    return grant is not policy.REPRESENTATIVE or bool(getattr(viewer, "recorded_as_representative", True))


def _remembered(viewer: Any, at: datetime | None) -> Visibility | None:
    """The request's remembered answer for an active ``viewer`` when the question is about "now" inside a memo
    (program admins excepted: their answer is a whole program, asked with a query each time)."""
    if at is not None or request_memo.current() is None or viewer.is_program_admin:
        return None
    return visibility(viewer)


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
    patients = User.objects.filter(role=User.Role.PATIENT)
    if not _is_active_user(viewer):
        return patients.none()
    if viewer.is_program_admin:
        return patients & policy.patients_query(policy.for_role(viewer.role), instant(at), scope, viewer)
    return patients.filter(pk__in=visibility(viewer, at).patient_ids(scope) or ())


def consents_relied_on(viewer: Any, patient_ids: Collection[Any], scope: str, at: datetime) -> list[Consent]:
    """The consents a disclosure of ``scope`` to ``viewer`` about ``patient_ids`` relies on (the ledger names
    them): none for a patient the viewer acts as, since showing a representative the patient's information is
    not a disclosure."""
    memo = request_memo.current()
    seen = visibility(viewer) if memo is not None and at == memo.at else _visibility(viewer, at)
    wanted = set(patient_ids) - seen.represented
    return [c for c in seen.consents if c.patient_id in wanted and c.has_scope(scope)]


def release_consents(patient: Any, scope: str, at: datetime | None = None) -> QuerySet[Consent]:
    """The consents of ``patient`` effective at ``at`` that include ``scope``, whoever they name (a family member
    or an external recipient such as a probation officer): the recipients a record may be released to."""
    consents = Consent.objects.effective(instant(at)).with_scope(scope).filter(patient_id=_pk(patient))
    return consents.select_related("form_version").order_by("recipient_name")


def scopes_still_covered(consent: Consent, at: datetime | None = None) -> list[str]:
    """The scopes the person ``consent`` names may still see about its patient under their other consents
    effective at ``at``, in scope order: what ending ``consent`` leaves them. A recipient with neither an account
    nor an email (a court or probation, § 2.35) cannot be matched to another consent: nothing is left."""
    if not consent.recipient_id and not consent.recipient_email:
        return []
    same_person = (
        Q(recipient_id=consent.recipient_id)
        if consent.recipient_id
        else Q(recipient_email__iexact=consent.recipient_email, recipient__isnull=True)
    )
    others = Consent.objects.effective(instant(at)).filter(same_person, patient_id=consent.patient_id)
    covered = {code for other in others.exclude(pk=consent.pk) for code in other.scopes}
    return [scope.value for scope in Scope if scope.value in covered]


def no_consents() -> QuerySet[Consent]:
    """An empty consent queryset (a form's choices before the gate has said which consents apply)."""
    return Consent.objects.none()


def effective_consents_for(viewer: Any, at: datetime | None = None) -> QuerySet[Consent]:
    """The consents naming ``viewer`` that are effective now: a family member's "what you can see" list."""
    if not _is_active_user(viewer):
        return Consent.objects.none()
    return policy.consents_in_force(instant(at), viewers=[viewer.pk]).select_related("patient")


def represented_by(viewer: Any, at: datetime | None = None) -> QuerySet[PersonalRepresentative]:
    """The personal-representative authorities through which ``viewer`` acts as a patient now."""
    if not _is_active_user(viewer):
        return PersonalRepresentative.objects.none()
    return policy.REPRESENTATIVE.rows(instant(at), viewers=[viewer.pk])


def patients_acted_for(viewer: Any, at: datetime | None = None) -> QuerySet[User]:
    """Patients ``viewer`` may act as: themself, and those they represent within an effective authority."""
    if not _is_active_user(viewer):
        return User.objects.none()
    return User.objects.filter(pk__in=visibility(viewer, at).granted(policy.ACTING_AS_PATIENT, None))


def care_team_patients(viewer: Any, at: datetime | None = None) -> QuerySet[User]:
    """Patients whose records ``viewer`` may handle as staff: caseload, break-glass, or their program (admins).

    Unlike ``visible_patients`` this is empty for family members, whatever their consents say."""
    if not _is_active_user(viewer) or not viewer.is_care_staff:
        return User.objects.none()
    return visible_patients(viewer, Scope.EDUCATION, at)  # staff grants do not depend on the scope


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
