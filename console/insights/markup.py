"""The insights page's chart sections written in Python, byte for byte what ``_charts.html``'s loop wrote (issue #17).

Each chart is a ``<section>``: its heading and explanation, the canvas with its text alternative and its JSON (or
the empty-state line), then the numbers table in a ``<details>`` and the CSV link. The template's loop with its
``{% with %}``, ``{% if %}``, ``{% translate %}`` and ``{% blocktranslate %}`` per chart cost more CPU than the
rest of the page's rendering; the texts here are the template's, translated the same way, and every value is
escaped as ``{{ }}`` escaped it (``tests/console/test_insights_markup.py`` renders the old loop to compare).
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import conditional_escape, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from console.insights.scope import InsightsScope
from console.insights.tables import ShownTable


def chart_sections(charts: list[dict[str, Any]], scope: InsightsScope, csv_url: str) -> SafeString:
    """Every chart's ``<section>`` (``charts``: the page's ``table``, ``data``, ``data_id`` and ``body`` per chart)."""
    words = {
        "nothing": conditional_escape(_("Nothing to show for these dates yet.")),
        "show": conditional_escape(_("Show the numbers")),
        "numbers": _("Numbers: %(title)s"),
        "download": _("Download “%(title)s” as CSV"),
        "link": f"{conditional_escape(csv_url)}?chart=%s&amp;start={_day(scope.start)}&amp;end={_day(scope.end)}",
    }
    return mark_safe("".join(_section(chart, words) for chart in charts))  # noqa: S308  (every value escaped)


def _section(chart: dict[str, Any], words: dict[str, str]) -> str:
    table: ShownTable = chart["table"]
    data_id = conditional_escape(chart["data_id"])
    title = conditional_escape(table.title)
    parts = [
        f'\n<section class="card insights-chart" aria-labelledby="{data_id}-heading">\n'
        f'  <h2 id="{data_id}-heading">{title}</h2>\n'
        f'  <p class="muted">{conditional_escape(table.explanation)}</p>\n  '
    ]
    empty = table.is_empty
    if empty:
        text = conditional_escape(table.empty_text) if table.empty_text and not table.rows else words["nothing"]
        parts.append(f'\n  <p class="empty-state">{text}</p>\n  ')
    else:
        parts.append(
            f'\n  <div class="insights-canvas insights-canvas-{conditional_escape(table.kind)}" '
            f'data-rows="{localize(len(table.rows))}">\n'
            f'    <canvas data-insights-chart="{data_id}" role="img" aria-label="{conditional_escape(table.summary)}">'
            f"</canvas>\n  </div>\n  {json_script(chart['data'], chart['data_id'])}\n  "
        )
    parts.append("\n  ")
    if table.rows:
        headings = "".join(f'<th scope="col">{conditional_escape(text)}</th>' for text in table.columns)
        rates = "".join(f'<th scope="col">{conditional_escape(text)}</th>' for text in table.rate_labels)
        link = words["link"] % conditional_escape(table.key)
        parts.append(
            f'\n  <details class="insights-numbers"{" open" if empty else ""}>\n'
            f"    <summary>{words['show']}</summary>\n"
            f'    <div class="table-wrap" tabindex="0" role="region" aria-label="'
            f'{words["numbers"] % {"title": title}}">\n'
            f"      <table>\n        <caption>{title}</caption>\n"
            f'        <thead><tr><th scope="col">{conditional_escape(table.row_heading)}</th>{headings}{rates}</tr>'
            f"</thead>\n        <tbody>\n          {chart['body']}\n        </tbody>\n      </table>\n    </div>\n"
            f'  </details>\n  <p><a href="{link}" download>{words["download"] % {"title": title}}</a></p>\n  '
        )
    parts.append("\n</section>\n")
    return "".join(parts)


def _day(day: Any) -> str:
    return str(conditional_escape(date_filter(day, "Y-m-d")))
