"""Small-cell suppression: the rule every insights table passes through before anyone sees it.

The rule (documented in docs/architecture.md, "Program insights"):

1. A count from 1 to 10 is never shown: the cell says "fewer than 11" (``SMALLEST_SHOWN`` is 11). Zero is shown
   as zero: it describes nobody.
2. Complementary suppression: a total must not let a suppressed cell be worked out by subtraction. In a table
   with a ``total_column`` (the sum of the other columns of its row), when exactly one of a row's parts is
   suppressed the row's total is suppressed too. With two or more parts suppressed a total gives away only their
   sum, which may be shown. Tables without a total column show no totals at all (the funnel's steps and a
   module's started/completed are nested counts, not parts of a sum).
3. A rate is suppressed when its numerator or denominator is suppressed; a zero denominator shows no rate.
4. A table whose other columns are sums over the people counted in a ``guard_column`` (learning gains: points
   gained by the learners measured) shows nothing of a row whose guard count is suppressed: a sum over one to ten
   people is as telling as their count.

A caller never sees a raw count: ``suppress`` returns a new ``ShownTable`` and the raw ``CountTable`` stays inside
the chart registry.
"""

from __future__ import annotations

from collections.abc import Sequence

from console.insights.tables import CountTable, ShownCell, ShownRate, ShownRow, ShownTable

SMALLEST_SHOWN = 11


def is_small(count: int) -> bool:
    """True for counts that identify too few people to show (1 to 10)."""
    return 0 < count < SMALLEST_SHOWN


def suppress(table: CountTable) -> ShownTable:
    """Apply the three rules above to every row of ``table``."""
    rows = tuple(_suppress_row(table, label, counts) for label, counts in table.rows)
    chart_columns = tuple(i for i in range(len(table.columns)) if i != table.total_column)
    return ShownTable(
        key=table.key,
        title=table.title,
        kind=table.kind,
        row_heading=table.row_heading,
        columns=tuple(table.columns),
        rate_labels=tuple(rate.label for rate in table.rates),
        rows=rows,
        explanation=table.explanation,
        total_column=table.total_column,
        empty_text=table.empty_text,
        any_suppressed=any(cell.suppressed for row in rows for cell in row.cells),
        chart_columns=chart_columns,
        chart_rates=table.chart_rates,
    )


def _suppress_row(table: CountTable, label: str, counts: Sequence[int]) -> ShownRow:
    values = [int(count) for count in counts]
    if len(values) != len(table.columns):
        raise ValueError(f"{table.key}: row {label!r} has {len(values)} cells for {len(table.columns)} columns.")
    hidden = [is_small(count) for count in values]
    total = table.total_column
    if total is not None:
        parts_hidden = sum(1 for i, small in enumerate(hidden) if small and i != total)
        if parts_hidden == 1:
            hidden[total] = True
    if table.guard_column is not None and hidden[table.guard_column]:
        hidden = [True] * len(values)
    cells = tuple(ShownCell(None if small else count) for count, small in zip(values, hidden, strict=True))
    rates = tuple(_rate(cells[rate.numerator], cells[rate.denominator]) for rate in table.rates)
    return ShownRow(label=label, cells=cells, rates=rates)


def _rate(numerator: ShownCell, denominator: ShownCell) -> ShownRate:
    if numerator.value is None or denominator.value is None:
        return ShownRate(percent=None, suppressed=True)
    if denominator.value == 0:
        return ShownRate(percent=None, suppressed=False)
    return ShownRate(percent=round(100 * numerator.value / denominator.value, 1), suppressed=False)
