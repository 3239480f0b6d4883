"""The two insights charts built on other features: learning gain per module (pre-check and first passing
knowledge check) and weekly check-in participation. The numbers equal what is computed here from the seeded data;
a module with fewer than 11 learners measured shows nothing, and a week with 1 to 10 check-ins is suppressed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.checkin_models import WellbeingCheckIn
from accounts.models import Program, User
from console.insights.charts.sessions import week_of
from education.models import ModuleProgress, QuizAttempt
from tests.console import insights_world
from tests.console.insights_world import World
from tests.console.test_insights import S, _charts, _series, _tables, _title
from tests.support import personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(program: Program, counselor: User, patient: User, program_admin: User) -> World:
    return insights_world.build(program, counselor, patient, program_admin)


def _scores(progress: ModuleProgress, pre: int, post: int) -> None:
    now = timezone.now()
    version = progress.version
    QuizAttempt.objects.create(
        progress=progress, version=version, kind=QuizAttempt.Kind.PRE_CHECK, score=pre, submitted_at=now
    )
    QuizAttempt.objects.create(progress=progress, version=version, score=post, passed=True, submitted_at=now)


def _checked_in(member: User, week: date) -> None:
    WellbeingCheckIn.objects.create(
        member=member, week_start=week, nervous=1, worrying=1, down=0, little_interest=0, confidence=4
    )


def test_learning_gain_is_the_class_normalised_gain_and_small_modules_show_nothing(world: World) -> None:
    # Module A: 11 learners measured, before 40 % / after 90 % (one perfect pre-check at 100 / 100);
    # module B: 3 measured (suppressed, with their points).
    progress_a = list(ModuleProgress.objects.filter(module=world.module_a).order_by("learner_id"))
    for row in progress_a[:10]:
        _scores(row, 40, 90)
    _scores(progress_a[10], 100, 100)
    for row in ModuleProgress.objects.filter(module=world.module_b):
        _scores(row, 20, 80)
    gained, possible = 10 * 50 + 0, 10 * 60 + 0
    expected = round(100 * gained / possible, 1)

    response = personas.login(Client(), world.counselor).get(reverse("console:caseload_insights"))

    chart = _charts(response)["learning-gain"]
    assert chart["labels"] == [_title(world.module_a), _title(world.module_b)]
    assert _series(chart) == {"Normalised learning gain": [expected, S]}
    table = _tables(response)["learning-gain"]
    assert table[1][1:] == ["11", str(gained), str(possible), f"{expected}%"]
    assert table[2][1:] == ["fewer than 11", "fewer than 11", "fewer than 11", "not shown"]


def test_checkin_participation_counts_the_scopes_families_per_week(world: World) -> None:
    this_week = week_of(timezone.localdate())
    last_week = this_week - timedelta(days=7)
    for member in world.members[:12]:
        _checked_in(member, this_week)
    for member in world.members[:3]:
        _checked_in(member, last_week)
    outsider = personas.make_user("not-family@example.org", User.Role.FAMILY, None)
    _checked_in(outsider, this_week)  # named on no consent of the program: not counted

    response = personas.login(Client(), world.counselor).get(reverse("console:caseload_insights"))

    values = _series(_charts(response)["checkin-participation"])["Family members who checked in"]
    assert values[-2:] == [S, 12]
    assert all(v == 0 for v in values[:-2])
    assert ["fewer than 11"] in [row[1:] for row in _tables(response)["checkin-participation"]]
