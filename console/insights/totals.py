"""Charts whose numbers are one row of counts share one query (issue #17: a staff page makes at most 8).

A chart whose numbers are a handful of counts over the scope (the family funnel, reminder delivery, text opt-outs)
registers a totals builder with ``@totals_of(key)``: it returns the rows to count and the named ``Count``s to count
them with. The first of those charts to ask for its totals runs every registered builder's aggregate as one
``UNION ALL`` (each part one row, padded with zeros to the widest) and keeps the answers on the scope; the others
read them from there. A CSV of one chart runs the same one query. A part the ORM knows to match nothing (an empty
caseload) is left out of the query, and its counts are zeros, as counting no rows gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, QuerySet, Value

from console.insights.scope import InsightsScope

WIDTH = 8  # the most counts one builder may return
TotalsBuilder = Callable[[InsightsScope], tuple[QuerySet[Any], dict[str, Count]]]

_BUILDERS: dict[str, TotalsBuilder] = {}


def totals_of(key: str) -> Callable[[TotalsBuilder], TotalsBuilder]:
    """Register ``build(scope) -> (queryset, {name: Count(...)})`` as chart ``key``'s one row of counts."""

    def add(build: TotalsBuilder) -> TotalsBuilder:
        if key in _BUILDERS:
            raise ValueError(f"Totals {key!r} are registered twice.")
        _BUILDERS[key] = build
        return build

    return add


def totals(scope: InsightsScope, key: str) -> dict[str, int]:
    """Chart ``key``'s counts by name, read with every other chart's in one query the first time a page asks."""
    if "totals" not in scope.memo:
        scope.memo["totals"] = _read_all(scope)
    found: dict[str, int] = scope.memo["totals"][key]
    return found


def _read_all(scope: InsightsScope) -> dict[str, dict[str, int]]:
    parts, names = [], []
    for position, build in enumerate(_BUILDERS.values()):
        queryset, counts = build(scope)
        if len(counts) > WIDTH:
            raise ValueError(f"at most {WIDTH} totals a chart, not {len(counts)}")
        padding = {f"pad_{i}": Value(0) for i in range(len(counts), WIDTH)}
        part = queryset.order_by().values(part=Value(position)).annotate(**counts, **padding)
        parts.append(part.values_list("part", *counts, *padding))
        names.append(list(counts))
    rows = {row[0]: row[1:] for row in parts[0].union(*parts[1:], all=True).order_by()}
    nothing = (0,) * WIDTH
    return {
        key: {name: int(value) for name, value in zip(names[position], rows.get(position, nothing), strict=False)}
        for position, key in enumerate(_BUILDERS)
    }
