"""Dashboard cards: each app may contribute cards through ``<app>/dashboard.py``.

An app's module defines ``cards(request) -> list[Card]``; the dashboard shows them in app order. This keeps
the dashboard view ignorant of every app's rules (each card does its own gate checks).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

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
    return sorted(cards, key=lambda card: card.order)
