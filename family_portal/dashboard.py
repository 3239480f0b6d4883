"""Dashboard cards: each app may contribute cards through ``<app>/dashboard.py``.

An app's module defines ``cards(request) -> list[Card]``; the dashboard shows them in app order. This keeps
the dashboard view ignorant of every app's rules (each card does its own gate checks).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from consent.gate import visibility
from consent.gate import visible_patient_ids as gate_visible_patient_ids
from consent.ledger import disclosure_rows
from consent.models import Disclosure
from family_portal.prepared import Prepared

CARD_APPS = ("consent", "education", "scheduling", "messaging", "notifications")
PREPARED_IDS = 4  # id lists up to this long run a card's query prepared; longer ones are built by the ORM


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


class PreparedWithIds:
    """A card's query of fixed values and lists of ids (the gate's patients, their programs), its SQL compiled
    once per process for each length of each list (``family_portal.prepared``): building and compiling these
    filtered, annotated querysets was most of the dashboard's CPU (issue #17).

    ``build(ids, **values)`` returns the queryset for ``ids`` (list name → list of ids) and ``values`` (of the
    types ``kinds`` names) as the ORM path builds it, from the same model methods. ``rows`` returns ``None`` when
    a list does not fit (longer than ``PREPARED_IDS``, or an id that is not an ``int``): the caller then runs
    the ORM."""

    def __init__(self, build: Callable[..., Any], **kinds: type) -> None:
        self.build = build
        self.kinds = kinds
        self._by_shape: dict[tuple[tuple[str, int], ...], Prepared] = {}
        self._lock = threading.Lock()

    def rows(self, ids: Mapping[str, Collection[Any]], **values: Any) -> list[Any] | None:
        named: dict[str, int] = {}
        for name, listed in ids.items():
            if len(listed) > PREPARED_IDS or any(type(pk) is not int for pk in listed):
                return None
            named |= {f"{name}_{n}": pk for n, pk in enumerate(sorted(listed))}
        shape = tuple((name, len(listed)) for name, listed in ids.items())
        return self.prepared(shape).rows(**values, **named)

    def prepared(self, shape: tuple[tuple[str, int], ...]) -> Prepared:
        """The ``Prepared`` for lists of these lengths (made on first use)."""
        if (found := self._by_shape.get(shape)) is not None:
            return found
        with self._lock:
            if shape not in self._by_shape:

                def build(**values: Any) -> Any:
                    lists = {name: [values.pop(f"{name}_{n}") for n in range(count)] for name, count in shape}
                    return self.build(lists, **values)

                kinds = self.kinds | {f"{name}_{n}": int for name, count in shape for n in range(count)}
                self._by_shape[shape] = Prepared(build, **kinds)
            return self._by_shape[shape]
