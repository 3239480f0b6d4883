"""A chart's numbers table as the page shows it, written once in Python instead of by template tags per cell.

A page's tables hold a few hundred cells; an ``{% if %}`` and a ``{% translate %}`` per cell made the table bodies
about a third of the insights page's CPU (issue #17). The HTML is the template's, cell for cell: a suppressed
count reads "fewer than 11" (class ``suppressed``), a rate resting on one reads "not shown", a rate over nothing
is a dash. Every text is escaped.
"""

from __future__ import annotations

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from console.insights.tables import ShownRate, ShownTable

_ROW_END = "</tr>\n          "  # the rows as the template's loop laid them out


def table_body(table: ShownTable) -> SafeString:
    """The ``<tr>`` rows of ``table``'s ``<tbody>``: the row's label, its counts, then its rates."""
    fewer = f'<td class="suppressed">{conditional_escape(_("fewer than 11"))}</td>'
    not_shown = f"<td>{conditional_escape(_('not shown'))}</td>"
    count = str if not settings.USE_THOUSAND_SEPARATOR else localize  # as localize writes an int without grouping
    rows = []
    for row in table.rows:
        cells = "".join(fewer if cell.value is None else f"<td>{count(cell.value)}</td>" for cell in row.cells)
        rates = "".join(_rate_cell(rate, not_shown) for rate in row.rates)
        rows.append(f'<tr><th scope="row">{conditional_escape(row.label)}</th>{cells}{rates}{_ROW_END}')
    return mark_safe("".join(rows))  # noqa: S308  (every text above is escaped; counts are ints)


def _rate_cell(rate: ShownRate, not_shown: str) -> str:
    if rate.suppressed:
        return not_shown
    if rate.percent is None:
        return "<td>–</td>"
    return f"<td>{floatformat(rate.percent, 1)}%</td>"
