"""Dashboard cards: each app may contribute cards through ``<app>/dashboard.py``.

An app's module defines ``cards(request) -> list[Card]``; the dashboard shows them in app order. This keeps
the dashboard view ignorant of every app's rules (each card does its own gate checks).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from consent.gate import visibility
from consent.gate import visible_patient_ids as gate_visible_patient_ids
from consent.ledger import disclosure_rows
from consent.models import Disclosure

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


def visible_patient_ids(request: HttpRequest, scope: str) -> frozenset[int]:
    """``consent.gate.visible_patient_ids`` for the request's viewer: the gate answers once per request (one query
    for every scope, remembered by ``consent.request_memo``) and each card filters with ``patient_id__in=``."""
    return gate_visible_patient_ids(request.user, scope)


def effective_consents(request: HttpRequest) -> list[Any]:
    """The viewer's effective consents (newest first, with patient and form version) as the gate saw them for
    this request: the consent card lists them and the dashboard's ledger rows name them."""
    return list(visibility(request.user).consents)


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
    represented = visibility(viewer).represented
    for scope, ids, what in pending:
        rows += disclosure_rows(consents, ids - represented, scope, what=what, channel=Disclosure.Channel.WEB, at=at)
    Disclosure.objects.bulk_create(rows)
