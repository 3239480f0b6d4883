"""Program insights: the numbers drawn and tabled equal counts computed here from the seeded data, every count
from 1 to 10 is suppressed (complementary totals and rates too, CSV included), each viewer sees their own scope,
and the page costs the same queries as data grows."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Program, User
from education.models import Module
from tests.console import insights_world
from tests.console.insights_world import CASELOAD_MEMBERS, OTHER_MEMBERS, World
from tests.support import personas

pytestmark = pytest.mark.django_db

S = None  # a suppressed cell, as the page's JSON and the tables carry it


@pytest.fixture
def world(program: Program, counselor: User, patient: User, program_admin: User) -> World:
    return insights_world.build(program, counselor, patient, program_admin)


def _charts(response: Any) -> dict[str, dict[str, Any]]:
    """Each chart's json_script data as the browser receives it, by key."""
    html = response.content.decode()
    found = re.findall(r'<script id="chart-([a-z-]+)" type="application/json">(.*?)</script>', html, re.S)
    return {key: json.loads(body) for key, body in found}


def _tables(response: Any) -> dict[str, list[list[str]]]:
    """Each chart's HTML table as text cells (header row first), by key."""
    html = response.content.decode()
    tables = {}
    # a chart with nothing to show has no table: never read on into the next chart's
    pattern = r'id="chart-([a-z-]+)-heading"(?:(?!-heading").)*?<table>(.*?)</table>'
    for key, body in re.findall(pattern, html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        tables[key] = [
            [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows
        ]
    return tables


def _title(module: Module) -> str:
    assert module.current_version is not None
    return module.current_version.title


def _series(chart: dict[str, Any]) -> dict[str, list[int | None]]:
    return {s["label"]: s["values"] for s in chart["series"]}


def _attendance_total(chart: dict[str, Any]) -> list[Any]:
    """The attended/missed/excused values of the week that had the session (every other week is all zeros)."""
    columns = list(zip(*(s["values"] for s in chart["series"]), strict=True))
    busy = [c for c in columns if any(v != 0 for v in c)]
    assert len(busy) == 1
    return list(busy[0])


def test_counselor_sees_their_caseload_with_small_cells_suppressed(world: World) -> None:
    response = personas.login(Client(), world.counselor).get(reverse("console:caseload_insights"))
    assert response.status_code == 200
    charts = _charts(response)
    # 13 invited on the caseload, 12 joined; all 12 worked on a module this week (active).
    assert _series(charts["family-funnel"]) == {"Family members": [CASELOAD_MEMBERS, 12, 12]}
    # Module A: 12 started, 11 completed; module B: 3 started (suppressed), none completed (zero is shown).
    assert charts["module-completion"]["labels"][:2] == [_title(world.module_a), _title(world.module_b)]
    assert _series(charts["module-completion"]) == {"Started": [12, S], "Finished": [11, 0]}
    # Attendance: 12 attended, 1 missed (suppressed), 0 excused; the total is not drawn.
    assert _attendance_total(charts["session-attendance"]) == [12, S, 0]
    # Reminders: 12 delivered by text, 1 failed (suppressed); no email.
    assert _series(charts["reminder-delivery"]) == {
        "Delivered": [12, 0],
        "Sent, no delivery report": [0, 0],
        "Not delivered": [S, 0],
        "Not sent: opted out": [0, 0],
    }
    assert _series(charts["text-opt-outs"]) == {"Confirmed phone": [12], "Stopped texts in these dates": [S]}

    tables = _tables(response)
    assert tables["family-funnel"][1:] == [["Invited", "13"], ["Joined", "12"], ["Active in the last 30 days", "12"]]
    assert tables["module-completion"][2] == [_title(world.module_b), "fewer than 11", "0", "not shown"]
    assert tables["module-completion"][1][1:] == ["12", "11", "91.7%"]
    week = next(row for row in tables["session-attendance"][1:] if row[1] != "0")
    # The total (13) would give the suppressed 1 away: suppressed too, and the rate with it.
    assert week[1:] == ["12", "fewer than 11", "0", "fewer than 11", "not shown"]
    assert tables["reminder-delivery"][1][1:] == ["12", "0", "fewer than 11", "0", "fewer than 11", "not shown"]
    assert tables["reminder-delivery"][2][1:] == ["0", "0", "0", "0", "0", "–"]
    assert tables["text-opt-outs"][1][1:] == ["12", "fewer than 11", "not shown"]
    body = response.content.decode()
    assert 'role="img"' in body and "Invited 13" not in body  # text alternatives read like the table
    assert re.search(r'aria-label="From invitation to active family\. Invited: Family members 13', body)


def test_admin_sees_the_whole_program(world: World) -> None:
    response = personas.login(Client(), world.admin).get(reverse("console:insights"))
    assert response.status_code == 200
    funnel = _series(_charts(response)["family-funnel"])
    assert funnel == {"Family members": [CASELOAD_MEMBERS + OTHER_MEMBERS, 12 + OTHER_MEMBERS, 12]}


def test_csv_exports_suppressed_cells_as_suppressed(world: World) -> None:
    version = world.module_b.current_version
    assert version is not None
    version.title = "=HYPERLINK(evil)"
    version.save()
    client = personas.login(Client(), world.counselor)
    url = reverse("console:caseload_insights_csv")
    rows = list(csv.reader(io.StringIO(client.get(url, {"chart": "module-completion"}).content.decode())))
    by_label = {row[0]: row[1:] for row in rows[3:]}
    assert by_label[_title(world.module_a)] == ["12", "11", "91.7%"]
    assert by_label["'=HYPERLINK(evil)"] == ["fewer than 11", "0", "not shown"]
    reminders = client.get(url, {"chart": "reminder-delivery"}).content.decode()
    assert "fewer than 11" in reminders and ",1," not in reminders and ",13," not in reminders
    assert client.get(url, {"chart": "no-such-chart"}).status_code == 404


def test_bad_dates_are_a_clear_400(world: World) -> None:
    client = personas.login(Client(), world.admin)
    for query in (
        {"start": "2026-13-40"},
        {"start": "2026-05-01", "end": "2026-04-01"},
        {"end": "2999-01-01"},
        {"start": "1800-01-01", "end": "2026-01-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
    ):
        response = client.get(reverse("console:insights"), query)
        assert response.status_code == 400, query
        assert b'class="errorlist' in response.content
        assert client.get(reverse("console:insights_csv"), {"chart": "family-funnel", **query}).status_code == 400


def test_each_page_is_404_outside_its_audience(world: World, family_member: User, patient: User) -> None:
    program_page, caseload_page = reverse("console:insights"), reverse("console:caseload_insights")
    csvs = [
        reverse("console:insights_csv") + "?chart=family-funnel",
        reverse("console:caseload_insights_csv") + "?chart=family-funnel",
    ]
    for person in (family_member, patient):
        client = personas.login(Client(), person)
        assert [client.get(url).status_code for url in (program_page, caseload_page, *csvs)] == [404] * 4
    assert personas.login(Client(), world.counselor).get(program_page).status_code == 404
    assert personas.login(Client(), world.admin).get(caseload_page).status_code == 404


def test_query_count_is_constant_as_data_grows(world: World, patient: User) -> None:
    client = personas.login(Client(), world.admin)
    url = reverse("console:insights")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    insights_world._members(world.program, patient, "g", 12)
    more = personas.make_user("more-pt@example.org", User.Role.PATIENT, world.program)
    personas.assign(world.counselor, more)
    insights_world._members(world.program, more, "h", 5)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
