"""Words for a chart: the text alternative on its canvas, and how a suppressed cell or a rate reads."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from console.insights.tables import ShownCell, ShownRate, ShownTable


def cell_text(cell: ShownCell) -> str:
    """A count as shown: the number, or "fewer than 11" when suppressed."""
    return _("fewer than 11") if cell.value is None else number_format(cell.value, force_grouping=True)


def rate_text(rate: ShownRate) -> str:
    """A percentage as shown; suppressed rates say so, rates over nothing show a dash."""
    if rate.suppressed:
        return _("not shown")
    if rate.percent is None:
        return "–"
    return _("%(percent)s%%") % {"percent": number_format(rate.percent, decimal_pos=1)}


def describe(table: ShownTable) -> str:
    """A one-paragraph text alternative: the title, then every row's counts, exactly as the table shows them."""
    if table.is_empty:
        return _("%(title)s: nothing to show for these dates.") % {"title": table.title}
    parts = []
    for row in table.rows:
        counts = ", ".join(f"{table.columns[i]} {cell_text(row.cells[i])}" for i in table.chart_columns)
        parts.append(f"{row.label}: {counts}")
    return _("%(title)s. %(rows)s.") % {"title": table.title, "rows": "; ".join(parts)}
