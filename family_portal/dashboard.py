"""Dashboard cards: each app may contribute cards through ``<app>/dashboard.py``.

An app's module defines ``cards(request) -> list[Card]``; the dashboard shows them in app order. This keeps
the dashboard view ignorant of every app's rules (each card does its own gate checks).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Value
from django.http import HttpRequest
from django.utils import timezone

from consent.gate import disclosure_rows, effective_consents_for, represented_by, visible_patients
from consent.models import Disclosure, Scope

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
            represented = represented_by(viewer, at).filter(patient=OuterRef("pk"))
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

    at = timezone.now()
    consents = [c for c in effective_consents(request) if c.is_effective(at)]
    rows = []
    represented = set(_gate_answers(request)[_REPRESENTED])
    for scope, ids, what in pending:
        rows += disclosure_rows(consents, ids - represented, scope, what=what, channel=Disclosure.Channel.WEB, at=at)
    Disclosure.objects.bulk_create(rows)
