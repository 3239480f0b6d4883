"""The shape every chart returns: a table of counts (rows × columns), a title and how to describe it.

A chart function builds a ``CountTable`` of raw counts. ``suppression.suppress`` turns it into a
``ShownTable`` whose cells are either a number or suppressed; only the shown table reaches a template, the
chart's JSON or a CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

ChartKind = Literal["bar", "horizontal", "stacked", "line"]


@dataclass(frozen=True)
class Rate:
    """A percentage shown in the table beside the counts: ``numerator`` over ``denominator`` (column indexes)."""

    label: str
    numerator: int
    denominator: int


@dataclass(frozen=True)
class CountTable:
    """Raw counts as a chart function computes them. ``total_column`` names a column that is the sum of all the
    others in its row (the complementary-suppression rule protects it); ``rates`` are computed after suppression."""

    key: str
    title: str
    kind: ChartKind
    row_heading: str
    columns: Sequence[str]
    rows: Sequence[tuple[str, Sequence[int]]]
    explanation: str = ""
    total_column: int | None = None
    rates: Sequence[Rate] = ()
    empty_text: str = ""
    guard_column: int | None = None  # a count of people: when it is suppressed, the whole row is
    chart_rates: bool = False  # draw the rates (percentages) instead of the counts


@dataclass(frozen=True)
class ShownCell:
    """One cell as shown: ``value`` is None when suppressed."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class ShownRate:
    """A percentage (0–100, one decimal), or None when it rests on a suppressed count or a zero denominator."""

    percent: float | None
    suppressed: bool


@dataclass(frozen=True)
class ShownRow:
    label: str
    cells: tuple[ShownCell, ...]
    rates: tuple[ShownRate, ...] = ()


@dataclass(frozen=True)
class ShownTable:
    """A chart's table after small-cell suppression: the only form that reaches pages, JSON and CSV."""

    key: str
    title: str
    kind: ChartKind
    row_heading: str
    columns: tuple[str, ...]
    rate_labels: tuple[str, ...]
    rows: tuple[ShownRow, ...]
    explanation: str
    total_column: int | None
    empty_text: str
    summary: str = ""
    any_suppressed: bool = False
    chart_columns: tuple[int, ...] = field(default_factory=tuple)
    chart_rates: bool = False

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to draw: no rows, or every count zero."""
        return not any(cell.value for row in self.rows for cell in row.cells) and not self.any_suppressed
