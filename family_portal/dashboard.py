"""Dashboard cards: each app may contribute cards through ``<app>/dashboard.py``.

An app's module defines ``cards(request) -> list[Card]``; the dashboard shows them in app order. This keeps
the dashboard view ignorant of every app's rules (each card does its own gate checks).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, Value
from django.http import HttpRequest
from django.utils import timezone

CARD_APPS = ("consent", "education", "scheduling", "messaging", "notifications")


@dataclass
class Card:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


def collect_cards(request: HttpRequest) -> list[Card]:
    cards: list[Card] = []
    for app in CARD_APPS:
        try:
            module = importlib.import_module(f"{app}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.dashboard":
                raise
            continue
        cards.extend(module.cards(request))
    _flush_disclosures(request)
    return sorted(cards, key=lambda card: card.order)


DASHBOARD_SCOPES = ("education", "schedule", "messaging")
_REPRESENTED = "represented"


def visible_patient_ids(request: HttpRequest, scope: str) -> list[int]:
    """``consent.gate.visible_patients(request.user, scope)`` evaluated once per request for every scope the
    cards ask about (one UNION query), then reused: each card filters with ``patient_id__in=`` this list.

    The same query also lists the patients the viewer represents (the gate's ``acts_as_patient`` rule), which
    the ledger needs: showing a represented patient's information is not a disclosure."""
    return _gate_answers(request).get(scope, [])


def _gate_answers(request: HttpRequest) -> dict[str, list[int]]:
    from consent.gate import visible_patients
    from consent.models import Scope

    memo: dict[str, list[int]] | None = request.__dict__.get("_gate_answers")
    if memo is None:
        viewer, at = request.user, timezone.now()
        parts = [
            visible_patients(viewer, Scope(scope), at)
            .order_by()
            .annotate(asked=Value(scope))
            .values_list("pk", "asked")
            for scope in DASHBOARD_SCOPES
        ]
        if getattr(viewer, "is_family", False):
            represented = _represented_query(viewer, None, at).filter(patient=OuterRef("pk"))
            parts.append(
                visible_patients(viewer, Scope.EDUCATION, at)
                .order_by()
                .filter(Exists(represented))
                .annotate(asked=Value(_REPRESENTED))
                .values_list("pk", "asked")
            )
        memo = {scope: [] for scope in (*DASHBOARD_SCOPES, _REPRESENTED)}
        for pk, asked in parts[0].union(*parts[1:], all=True).order_by():
            memo[asked].append(pk)
        request.__dict__["_gate_answers"] = memo
    return memo


def effective_consents(request: HttpRequest) -> list[Any]:
    """``consent.gate.effective_consents_for(request.user)`` (with patient and form version) fetched once per
    request: the consent card lists them and the dashboard's ledger rows name them."""
    from consent.gate import effective_consents_for

    memo = request.__dict__
    if "_effective_consents" not in memo:
        memo["_effective_consents"] = list(effective_consents_for(request.user).order_by("-signed_at"))
    return memo["_effective_consents"]  # type: ignore[no-any-return]


def disclose(request: HttpRequest, patient_ids: Iterable[Any], scope: str, *, what: str) -> None:
    """Queue one ledger row per patient whose ``scope`` information this dashboard shows a family member.

    ``collect_cards`` writes every card's rows in one insert before the page renders (§ 2.25)."""
    pending: list[tuple[str, set[Any], str]] = request.__dict__.setdefault("_pending_disclosures", [])
    ids = {pk for pk in patient_ids if pk is not None}
    if ids:
        pending.append((scope, ids, what))


def _flush_disclosures(request: HttpRequest) -> None:
    pending: list[tuple[str, set[Any], str]] = request.__dict__.pop("_pending_disclosures", [])
    viewer = request.user
    if not pending or not getattr(viewer, "is_family", False) or not viewer.is_active:
        return
    from consent.models import Disclosure

    at = timezone.now()
    consents = [c for c in effective_consents(request) if c.is_effective(at)]
    rows = []
    represented = set(_gate_answers(request)[_REPRESENTED])
    for scope, ids, what in pending:
        relied_on = _relied_on(consents, ids - represented, scope)
        rows += [
            _ledger_row(consent, scope, Disclosure.Channel.WEB, what, at) for _, consent in sorted(relied_on.items())
        ]
    Disclosure.objects.bulk_create(rows)


def record_disclosures(
    viewer: Any, patient_ids: Iterable[Any], scope: str, *, what: str, channel: str = "", at: datetime | None = None
) -> None:
    """One ledger row per patient in ``patient_ids`` whose ``scope`` information a family member was shown,
    in two queries whatever their number: what ``consent.gate.require_disclosure`` writes for each of them.

    The patients come from a list already scoped through the gate in this request, so none is refused here. As
    in the gate, a personal representative acting for the patient and staff get no row (not a disclosure), and
    the row names the consent relied on (the most recently signed effective one that includes ``scope``)."""
    from consent.models import Consent, Disclosure, Scope

    Scope(scope)
    ids = {pk for pk in patient_ids if pk is not None}
    if not ids or not getattr(viewer, "is_family", False) or not viewer.is_active:
        return
    at = at or timezone.now()
    consents = (
        Consent.objects.effective(at)
        .with_scope(scope)
        .filter(recipient=viewer, patient_id__in=ids)
        .exclude(patient_id__in=_represented_query(viewer, ids, at).values("patient_id"))
        .select_related("form_version")
    )
    relied_on = _relied_on(list(consents), ids, scope)
    Disclosure.objects.bulk_create(
        [_ledger_row(c, scope, channel or Disclosure.Channel.WEB, what, at) for _, c in sorted(relied_on.items())]
    )


def _relied_on(consents: list[Any], ids: set[Any], scope: str) -> dict[Any, Any]:
    """Per patient in ``ids``, the consent the gate relies on: the latest signed effective one with ``scope``."""
    relied_on: dict[Any, Any] = {}
    for consent in consents:
        if consent.patient_id in ids and consent.has_scope(scope):
            best = relied_on.get(consent.patient_id)
            if best is None or consent.signed_at > best.signed_at:
                relied_on[consent.patient_id] = consent
    return relied_on


def _represented_query(viewer: Any, ids: set[Any] | None, at: datetime) -> Any:
    """The gate's personal-representative rule (``acts_as_patient``) for many patients at once."""
    from consent.models import PersonalRepresentative

    authorities = PersonalRepresentative.objects.filter(representative=viewer).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at), Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )
    return authorities if ids is None else authorities.filter(patient_id__in=ids)


def _ledger_row(consent: Any, scope: str, channel: str, what: str, at: datetime) -> Any:
    """The row ``consent.gate.record_disclosure`` writes."""
    from consent.models import Disclosure

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
