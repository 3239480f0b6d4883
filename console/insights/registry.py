"""The registry of insights charts: one small function per chart, registered under a key.

A chart function takes an ``InsightsScope`` and returns a ``CountTable`` of raw counts (rows, columns, a title,
an explanation). Adding a chart is one decorated function in a module of ``console.insights.charts`` — the page,
its data table, text alternative, JSON for Chart.js and CSV export follow from the table. Charts are shown in the
order of ``position``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from console.insights.compiled import run_together
from console.insights.describe import describe
from console.insights.scope import InsightsScope
from console.insights.suppression import suppress
from console.insights.tables import CountTable, ShownTable

Builder = Callable[[InsightsScope], CountTable]


@dataclass(frozen=True)
class Chart:
    key: str
    position: int
    build: Builder


_CHARTS: dict[str, Chart] = {}


def register(key: str, *, position: int) -> Callable[[Builder], Builder]:
    """Add a chart function to the page under ``key`` (also its CSV's name), shown in ``position`` order."""

    def add(build: Builder) -> Builder:
        if key in _CHARTS:
            raise ValueError(f"Chart {key!r} is registered twice.")
        _CHARTS[key] = Chart(key=key, position=position, build=build)
        return build

    return add


def charts() -> list[Chart]:
    """Every registered chart, in page order."""
    import console.insights.charts  # noqa: F401  (registers the charts on first use)

    return sorted(_CHARTS.values(), key=lambda chart: chart.position)


def chart_keys() -> list[str]:
    return [chart.key for chart in charts()]


def shown(chart: Chart, scope: InsightsScope) -> ShownTable:
    """One chart's table after small-cell suppression, with its text alternative written from what is shown."""
    table = suppress(chart.build(scope))
    return replace(table, summary=describe(table))


def shown_tables(scope: InsightsScope, keys: list[str] | None = None) -> list[ShownTable]:
    """Every chart's shown table for ``scope`` (or only those named in ``keys``); all of them read their rows in
    one round trip first where their queries are compiled (``compiled.run_together``)."""
    chosen = [chart for chart in charts() if keys is None or chart.key in keys]
    if keys is None:
        run_together(scope)
    return [shown(chart, scope) for chart in chosen]
