"""The insights page's chart sections written in Python (``console.insights.markup``) are byte for byte what the
template loop they replace wrote: real charts, escaped texts, empty charts with and without rows, in English and
Spanish."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Engine
from django.utils import translation

from accounts.models import Program, User
from console.insights.display import table_body
from console.insights.markup import chart_sections
from console.insights.page import chart_data
from console.insights.registry import shown_tables
from console.insights.suppression import suppress
from console.insights.tables import CountTable, Rate, ShownTable
from tests.console import insights_world

pytestmark = pytest.mark.django_db

# The loop of templates/console/insights/_charts.html before the sections were written in Python.
TEMPLATE_LOOP = (
    "{% load i18n %}"
    "{% for chart in charts %}{% with table=chart.table %}\n"
    '<section class="card insights-chart" aria-labelledby="{{ chart.data_id }}-heading">\n'
    '  <h2 id="{{ chart.data_id }}-heading">{{ table.title }}</h2>\n'
    '  <p class="muted">{{ table.explanation }}</p>\n'
    "  {% if table.is_empty %}\n"
    '  <p class="empty-state">{% if table.empty_text and not table.rows %}{{ table.empty_text'
    ' }}{% else %}{% translate "Nothing to show for these dates yet." %}{% endif %}</p>\n'
    "  {% else %}\n"
    '  <div class="insights-canvas insights-canvas-{{ table.kind }}" data-rows="{{'
    ' table.rows|length }}">\n'
    '    <canvas data-insights-chart="{{ chart.data_id }}" role="img" aria-label="{{'
    ' table.summary }}"></canvas>\n'
    "  </div>\n"
    "  {{ chart.data|json_script:chart.data_id }}\n"
    "  {% endif %}\n"
    "  {% if table.rows %}\n"
    '  <details class="insights-numbers"{% if table.is_empty %} open{% endif %}>\n'
    '    <summary>{% translate "Show the numbers" %}</summary>\n'
    '    <div class="table-wrap" tabindex="0" role="region" aria-label="{% blocktranslate'
    ' trimmed with title=table.title %}Numbers: {{ title }}{% endblocktranslate %}">\n'
    "      <table>\n"
    "        <caption>{{ table.title }}</caption>\n"
    '        <thead><tr><th scope="col">{{ table.row_heading }}</th>{% for column in'
    ' table.columns %}<th scope="col">{{ column }}</th>{% endfor %}{% for label in'
    ' table.rate_labels %}<th scope="col">{{ label }}</th>{% endfor %}</tr></thead>\n'
    "        <tbody>\n"
    "          {{ chart.body }}\n"
    "        </tbody>\n"
    "      </table>\n"
    "    </div>\n"
    "  </details>\n"
    "  <p><a href=\"{{ csv_url }}?chart={{ table.key }}&amp;start={{ scope.start|date:'Y-m-d'"
    " }}&amp;end={{ scope.end|date:'Y-m-d' }}\" download>{% blocktranslate trimmed with"
    " title=table.title %}Download “{{ title }}” as CSV{% endblocktranslate %}</a></p>\n"
    "  {% endif %}\n"
    "</section>\n"
    "{% endwith %}{% endfor %}"
)


def _charts(tables: list[ShownTable]) -> list[dict[str, Any]]:
    return [
        {"table": table, "data": chart_data(table), "data_id": f"chart-{table.key}", "body": table_body(table)}
        for table in tables
    ]


def _both(tables: list[ShownTable], scope: Any) -> tuple[str, str]:
    charts = _charts(tables)
    csv_url = "/console/my-caseload/insights/csv/"
    template = Engine.get_default().from_string(TEMPLATE_LOOP)
    old = template.render(Context({"charts": charts, "scope": scope, "csv_url": csv_url}))
    return old, str(chart_sections(charts, scope, csv_url))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_sections_of_real_charts_are_the_templates(
    program: Program, counselor: User, patient: User, program_admin: User, language: str
) -> None:
    insights_world.build(program, counselor, patient, program_admin)
    with translation.override(language):
        scope = insights_world.last_30_days(counselor)
        old, new = _both(shown_tables(scope), scope)
    assert old == new
    assert old.count("<section") == 7


def _odd(key: str, rows: list[tuple[str, list[int]]], **extra: Any) -> ShownTable:
    return suppress(
        CountTable(
            key=key,
            title="<b>\"Quotes\" & 'apostrophes'</b>",
            kind="bar",
            row_heading="Row <heading>",
            columns=["A & B", "<c>"],
            rows=rows,
            rates=[Rate('Rate "%"', numerator=1, denominator=0)],
            explanation="Explained <i>here</i> & there",
            **extra,
        )
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_escaped_and_empty_sections_are_the_templates(counselor: User, language: str) -> None:
    tables = [
        _odd("full", [("<row>", [12, 11]), ("small", [3, 0])]),
        _odd("empty-no-rows", [], empty_text="Nobody <yet> & none"),
        _odd("empty-rows", [("zero", [0, 0])], empty_text="Not used: there are rows"),
        _odd("empty-plain", []),
    ]
    with translation.override(language):
        scope = insights_world.last_30_days(counselor)
        old, new = _both(tables, scope)
    assert old == new
    assert " open>" in new and "Nobody &lt;yet&gt; &amp; none" in new
