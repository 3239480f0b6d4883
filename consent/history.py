"""Since when a family member may read a patient's shared history (MSG-01): the consent-side half of the rule.

A family member who may see a patient's ``scope`` through a consent sees what was shared before only from the
start of their own sharing on, never from before: a mother's message written when only she and the care team took
part must not reach a partner who is given the messaging scope later. That start is **the instant the earliest
consent of the current unbroken run began to apply**: consents naming the viewer for the patient that include
``scope`` and were approved, each applying from ``max(signed_at, approved_at)`` until the first of its expiry,
revocation and ending event (``Consent.is_effective`` read as an interval). A renewal signed before the previous
consent ended continues the run, so renewing keeps the history; a gap (revoked, expired, a later consent only)
starts a new run, and what was written during and before the gap stays unread.

Someone who acts as the patient (a personal representative within an effective authority) reads what the patient
reads: the whole history (``EVERYTHING``).

Whether the viewer may see the patient at all is the gate's question (``consent.gate``): this module only says
from when, as one SQL expression that callers fold into their own message queries, so applying it costs no query
(page, resume, unread counts, offline notices) and the consent table is read only here (AZ-09).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Subquery, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce, Greatest, Least

from consent import policy
from consent.gate import instant
from consent.models import SCOPE_FIELDS, Consent, Scope

__all__ = ["EVERYTHING", "history_start"]

EVERYTHING = datetime(1970, 1, 1, tzinfo=UTC)  # "from the beginning": earlier than any message


def history_start(viewer: Any, patient: Any, scope: str, at: datetime | None = None) -> Expression:
    """The instant from which ``viewer`` reads ``patient``'s shared ``scope`` history at ``at`` (default now), as an
    SQL expression: ``EVERYTHING`` while the viewer acts as the patient, else the start of the current unbroken
    run of their consents for ``scope`` (see the module docstring), else NULL (nothing: compare with ``>=`` and
    no row matches).

    ``viewer`` and ``patient`` are users, ids or expressions of the query the result goes into (``OuterRef``),
    so one query answers for many conversations, seats or recipients."""
    at = instant(at)
    viewer, patient = _ref(viewer), _ref(patient)
    represents = policy.REPRESENTATIVE.in_force(at).filter(
        **{policy.REPRESENTATIVE.viewer: viewer, policy.REPRESENTATIVE.patient: patient}
    )
    return Case(
        When(Exists(represents), then=Value(EVERYTHING, output_field=DateTimeField())),
        default=Subquery(_run_start(viewer, patient, Scope(scope), at), output_field=DateTimeField()),
        output_field=DateTimeField(),
    )


def _run_start(viewer: Any, patient: Any, scope: Scope, at: datetime) -> Any:
    """The latest start, at or before ``at``, of a consent that no other consent of the pair covered just before
    it began: the first consent of the run that reaches ``at`` (while the viewer is covered at ``at``)."""
    covered_just_before = _spans(scope).filter(
        recipient=OuterRef("recipient_id"),
        patient=OuterRef("patient_id"),
        starts__lt=OuterRef("starts"),
        ends__gte=OuterRef("starts"),
    )
    firsts = (
        _spans(scope).filter(recipient=viewer, patient=patient, starts__lte=at).exclude(Exists(covered_just_before))
    )
    return firsts.order_by("-starts").values("starts")[:1]


def _spans(scope: Scope) -> Any:  # a consent queryset with ``starts`` and ``ends`` (annotations the stubs cannot see)
    """Approved consents that include ``scope``, each annotated with the interval it applied: from ``starts``
    (signed and approved) until ``ends`` (expired, revoked or ended by an event, whichever came first). Consents
    that never applied (ended before they began) are left out."""
    return (
        Consent.objects.filter(
            review_status=Consent.ReviewStatus.APPROVED, approved_at__isnull=False, **{SCOPE_FIELDS[scope]: True}
        )
        .annotate(
            starts=Greatest("signed_at", "approved_at"),
            ends=Least("expires_at", Coalesce("revoked_at", "expires_at"), Coalesce("ended_by_event_at", "expires_at")),
        )
        .filter(ends__gt=F("starts"))
    )


def _ref(value: Any) -> Any:
    return value if hasattr(value, "resolve_expression") else getattr(value, "pk", value)
