"""Insights' chart queries compiled once with the caseload as one array parameter (issue #17): on PostgreSQL the
compiled SQL gives the ORM's rows and the same page for every caseload size, one SQL text per chart; a patient
leaving the caseload or the gate's answer is gone from the next page; an empty caseload counts zeros."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CaseloadAssignment, Program, User
from console.insights import totals
from console.insights.charts.families import modules_started
from console.insights.charts.learning import checkins_per_week, measured_gains
from console.insights.charts.sessions import attendance_per_day
from console.insights.compiled import AmongIds, ChartQuery, run_together
from console.insights.scope import InsightsScope
from console.insights.totals import every_total
from education.models import ModuleProgress
from tests.console import insights_world
from tests.console.insights_world import World
from tests.console.test_insights_learning import _checked_in, _scores
from tests.support import personas

pytestmark = pytest.mark.django_db
QUERIES = [every_total, modules_started, measured_gains, attendance_per_day, checkins_per_week]
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="compiled on PostgreSQL only")


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "compiled"}}


@pytest.fixture
def world(program: Program, counselor: User, patient: User, program_admin: User) -> World:
    built = insights_world.build(program, counselor, patient, program_admin)
    for row in ModuleProgress.objects.filter(module=built.module_a):
        _scores(row, 40, 90)
    for member in built.members[:12]:
        _checked_in(member, timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    return built


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=repr)


@on_postgres
def test_compiled_rows_are_the_orms_for_every_caseload_size(world: World, patient: User) -> None:
    scope = insights_world.last_30_days(world.counselor)
    assert scope.compilable
    for query in QUERIES:
        assert query.rows(scope), query.build.__name__  # the world puts rows in every chart
        assert _sorted(query.rows(scope)) == _sorted(list(query.build(scope))), query.build.__name__
    # A second patient on the caseload: a longer list of ids, the same compiled SQL and again the ORM's rows.
    more = personas.make_user("more-pt@example.org", User.Role.PATIENT, world.program)
    personas.assign(world.counselor, more)
    insights_world._members(world.program, more, "h", 3)
    bigger = insights_world.last_30_days(world.counselor)
    assert bigger.gate_ids is not None and len(bigger.gate_ids) == 2
    for query in QUERIES:
        sql = query._compiled[scope.tz.key].sql
        assert _sorted(query.rows(bigger)) == _sorted(list(query.build(bigger))), query.build.__name__
        assert list(query._compiled) == [scope.tz.key] and query._compiled[scope.tz.key].sql == sql
        assert "= ANY(%s::bigint[])" in sql


@on_postgres
def test_the_charts_read_together_in_one_round_trip_read_what_each_reads_alone(world: World) -> None:
    alone = {query: query.rows(insights_world.last_30_days(world.counselor)) for query in QUERIES}
    scope = insights_world.last_30_days(world.counselor)
    with CaptureQueriesContext(connection) as captured:
        run_together(scope)
        together = {query: query.rows(scope) for query in QUERIES}
    assert len(captured) == 1
    assert together == alone


@on_postgres
def test_the_page_is_the_same_compiled_or_through_the_orm(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = personas.login(Client(), world.counselor)
    url = reverse("console:caseload_insights")
    compiled_page = client.get(url).content.decode()
    monkeypatch.setattr(InsightsScope, "compilable", property(lambda self: False))
    orm_page = client.get(url).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')
    assert token.sub("", compiled_page) == token.sub("", orm_page)
    assert "Module completion" in compiled_page


def test_a_patient_off_the_caseload_is_gone_from_the_next_page(world: World, patient: User) -> None:
    """The scope is the gate's answer and the caseload now, read for each page (nothing kept between pages)."""
    scope = insights_world.last_30_days(world.counselor)
    funnel = list(totals._BUILDERS).index("family-funnel")
    assert [row for row in every_total.rows(scope) if row[0] == funnel][0][1] == insights_world.CASELOAD_MEMBERS
    CaseloadAssignment.objects.filter(counselor=world.counselor, patient=patient).update(
        ended_at=timezone.now() - timedelta(seconds=1)
    )
    after = insights_world.last_30_days(world.counselor)
    assert after.gate_ids == frozenset()
    for query in QUERIES:
        assert all(not any(row[1:]) for row in query.rows(after)) if query is every_total else not query.rows(after)


def test_a_list_of_ids_matches_those_ids_and_an_empty_one_nothing() -> None:
    personas.make_user("someone@example.org", User.Role.PATIENT, None)
    everyone = set(User.objects.values_list("pk", flat=True))
    assert not User.objects.filter(AmongIds(F("pk"), [])).exists()
    assert set(User.objects.filter(AmongIds(F("pk"), sorted(everyone))).values_list("pk", flat=True)) == everyone


@on_postgres
def test_a_slot_missing_from_the_sql_is_refused(world: World) -> None:
    query = ChartQuery(lambda scope: User.objects.filter(pk=1).values_list("pk"))
    with pytest.raises(ValueError, match="slots"):
        query.rows(insights_world.last_30_days(world.counselor))
    now_inside = ChartQuery(
        lambda scope: User.objects.filter(pk__in=scope.patient_ids, date_joined__lt=timezone.now()).values_list("pk")
    )
    with pytest.raises(ValueError, match="slots"):  # "now" read by the build would be compiled in for good
        now_inside.rows(insights_world.last_30_days(world.counselor))


def test_a_program_admins_whole_program_runs_through_the_orm(world: World) -> None:
    scope = insights_world.last_30_days(world.admin, whole_program=True)
    assert scope.gate_ids is None and not scope.compilable
    assert every_total.rows(scope)
