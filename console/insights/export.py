"""CSV export of one chart's shown table: suppressed cells are written as suppressed, never as their count."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from console.insights.describe import rate_text
from console.insights.tables import ShownTable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Stop spreadsheet formula injection: a cell starting like a formula is prefixed with an apostrophe (module
    titles are written by staff)."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def table_csv(table: ShownTable, *, start: str, end: str) -> str:
    """The table as CSV: a title line, the dates, a header, then one line per row ("fewer than 11" for a
    suppressed count)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(table.title)])
    writer.writerow([_("First day"), start, _("Last day"), end])
    writer.writerow([safe_cell(name) for name in (table.row_heading, *table.columns, *table.rate_labels)])
    for row in table.rows:
        counts = [_("fewer than 11") if cell.value is None else str(cell.value) for cell in row.cells]
        writer.writerow([safe_cell(row.label), *counts, *(safe_cell(rate_text(rate)) for rate in row.rates)])
    return out.getvalue()
