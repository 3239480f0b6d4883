"""The insights pages' cost (issue #17): exactly ``INSIGHTS_QUERIES`` queries for a counselor and an admin however
much data lies behind the charts, the one-row charts read together in one query, and the tables' HTML (written in
Python, not per cell by the template) escaped and localised as the template did."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import Program, User
from console.insights.display import table_body
from console.insights.registry import charts, shown
from console.insights.suppression import suppress
from console.insights.tables import CountTable, Rate
from tests.console import insights_world
from tests.console.insights_world import World
from tests.support import personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings: Any) -> None:
    """Exact counts need a warm cache only this test writes: a Redis cache is shared with other test processes,
    whose writes under the same ids can turn a cached unread count cold (one query more)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counts"}}


# The signed-in user (with program), the MFA check, the gate's grants (a counselor's; an admin's program grant is a
# subquery of the charts'), then per chart: the one-row charts (family funnel, reminder delivery, text opt-outs)
# together, module completion, learning gain, attendance, check-ins.
# On PostgreSQL a counselor's chart statements are compiled and sent together in one round trip (4 in all).
INSIGHTS_QUERIES = {"counselor": 4 if connection.vendor == "postgresql" else 8, "admin": 7}


@pytest.fixture
def world(program: Program, counselor: User, patient: User, program_admin: User) -> World:
    return insights_world.build(program, counselor, patient, program_admin)


def _sql(client: Client, url: str) -> list[str]:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _grow(world: World, patient: User) -> None:
    insights_world._members(world.program, patient, "g", 12)
    more = personas.make_user("more-pt@example.org", User.Role.PATIENT, world.program)
    personas.assign(world.counselor, more)
    insights_world._members(world.program, more, "h", 5)


@pytest.mark.parametrize(("who", "url_name"), [("counselor", "caseload_insights"), ("admin", "insights")])
def test_each_insights_page_makes_the_same_few_queries_as_data_grows(
    world: World, patient: User, who: str, url_name: str
) -> None:
    client = personas.login(Client(), getattr(world, who))
    url = reverse(f"console:{url_name}")
    small = _sql(client, url)
    _grow(world, patient)
    large = _sql(client, url)
    assert len(small) == len(large) == INSIGHTS_QUERIES[who], [sql[:150] for sql in large]
    assert sum(" UNION ALL " in sql for sql in large if '"part"' in sql) == 1  # the one-row charts, together


def test_a_caseload_with_nothing_in_it_counts_zero_everywhere(program: Program) -> None:
    """No patients at all: the shared query has no part to run, and every one-row chart counts zeros."""
    lonely = personas.make_staff("lonely@example.org", program)
    scope = insights_world.last_30_days(lonely, whole_program=False)
    tables = {chart.key: shown(chart, scope) for chart in charts()}
    for key in ("family-funnel", "reminder-delivery", "text-opt-outs"):
        assert tables[key].rows and all(cell.value == 0 for row in tables[key].rows for cell in row.cells), key


def test_the_one_row_charts_are_read_once_per_scope(world: World) -> None:
    scope = insights_world.last_30_days(world.counselor, whole_program=False)
    one_row = [chart for chart in charts() if chart.key in ("family-funnel", "reminder-delivery", "text-opt-outs")]
    with CaptureQueriesContext(connection) as captured:
        first = [shown(chart, scope) for chart in one_row]
        again = [shown(chart, scope) for chart in one_row]
    assert len(captured) == 1
    assert first == again
    assert [cell.value for row in first[0].rows for cell in row.cells] == [insights_world.CASELOAD_MEMBERS, 12, 12]


def _table(label: str, counts: list[int]) -> Any:
    return suppress(
        CountTable(
            key="k",
            title="t",
            kind="bar",
            row_heading="r",
            columns=["a", "b"],
            rows=[(label, counts)],
            rates=[Rate("rate", numerator=1, denominator=0)],
        )
    )


def test_table_rows_escape_labels_and_read_as_the_template_wrote_them() -> None:
    body = table_body(_table("<b>Module & co</b>", [12, 11]))
    assert body == (
        '<tr><th scope="row">&lt;b&gt;Module &amp; co&lt;/b&gt;</th><td>12</td><td>11</td><td>91.7%</td></tr>\n'
        "          "
    )
    suppressed = table_body(_table("A", [12, 3]))
    assert '<td class="suppressed">fewer than 11</td><td>not shown</td>' in suppressed
    assert "<td>0</td><td>–</td>" in table_body(_table("A", [0, 0]))


def test_table_rows_are_translated_and_localised() -> None:
    with translation.override("es"):
        body = table_body(_table("A", [12, 11]))
        suppressed = table_body(_table("A", [12, 3]))
    assert "<td>91,7%</td>" in body
    assert "fewer than 11" not in suppressed and "not shown" not in suppressed
