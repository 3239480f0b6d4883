"""Charts whose numbers are one row of counts share one query (issue #17: a staff page makes at most 8).

A chart whose numbers are a handful of counts over the scope (the family funnel, reminder delivery, text opt-outs)
registers a totals builder with ``@totals_of(key)``: it returns the rows to count and the named ``Count``s to count
them with. The first of those charts to ask for its totals runs every registered builder's aggregate as one
``UNION ALL`` (each part one row, padded with zeros to the widest) and keeps the answers on the scope; the others
read them from there. A CSV of one chart runs the same one query, compiled once like every chart's
(``console.insights.compiled``). A part the ORM knows to match nothing (an empty caseload, on SQLite) is left out of
the query, and its counts are zeros, as counting no rows gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, QuerySet, Value

from console.insights.compiled import chart_query
from console.insights.scope import InsightsScope

WIDTH = 8  # the most counts one builder may return
TotalsBuilder = Callable[[Any], tuple[QuerySet[Any], dict[str, Count]]]  # (an InsightsScope or a SlotScope)

_BUILDERS: dict[str, TotalsBuilder] = {}
_NAMES: dict[str, list[str]] = {}  # each builder's count names, in order (the same for every scope)


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


@chart_query
def every_total(scope: Any) -> QuerySet[Any]:
    """Every registered builder's one row of counts, as one ``UNION ALL`` (each row starts with its part's number)."""
    parts = []
    for position, (key, build) in enumerate(_BUILDERS.items()):
        queryset, counts = build(scope)
        _NAMES[key] = list(counts)
        if len(counts) > WIDTH:
            raise ValueError(f"at most {WIDTH} totals a chart, not {len(counts)}")
        padding = {f"pad_{i}": Value(0) for i in range(len(counts), WIDTH)}
        part = queryset.order_by().values(part=Value(position)).annotate(**counts, **padding)
        parts.append(part.values_list("part", *counts, *padding))
    return parts[0].union(*parts[1:], all=True).order_by()


def _read_all(scope: InsightsScope) -> dict[str, dict[str, int]]:
    rows = {row[0]: row[1:] for row in every_total.rows(scope)}
    nothing = (0,) * WIDTH
    return {
        key: {name: int(value) for name, value in zip(_NAMES[key], rows.get(position, nothing), strict=False)}
        for position, key in enumerate(_BUILDERS)
    }
