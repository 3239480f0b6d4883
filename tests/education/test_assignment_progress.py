"""The family member's list of assigned modules (the home page's Learning card) says how far they got in each,
at no extra query per module."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education import services
from tests.support.education_content import answers_for, published_module

pytestmark = pytest.mark.django_db


def assigned_list(page: str) -> list[str]:
    """The card's assigned modules as text, one per line: "Title · progress · due"."""
    section = page.split("Assigned by your care team</h3>", 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_each_assigned_module_shows_the_learners_progress(client, login, counselor, patient, family_member):
    fresh = published_module("fresh", title="Fresh start", lessons=3)
    halfway = published_module("halfway", title="Halfway there", lessons=4)
    quiz_next = published_module("quiz-next", title="Quiz next", lessons=1)
    for module in (fresh, halfway, quiz_next):
        services.assign_module(counselor=counselor, patient=patient, module=module)
    progress = services.start_module(learner=family_member, module=halfway)
    for lesson in progress.version.lessons.order_by("position")[:2]:
        services.complete_lesson(progress=progress, lesson=lesson)
    progress = services.start_module(learner=family_member, module=quiz_next)
    services.complete_lesson(progress=progress, lesson=progress.version.lessons.get())
    login(family_member)
    items = assigned_list(client.get(reverse("dashboard")).content.decode())
    assert sorted(items) == [
        "Fresh start · Not started",
        "Halfway there · 2 of 4 lessons read",
        "Quiz next · Lessons read, knowledge check next",
    ]


def test_a_completed_assigned_module_says_completed(client, login, counselor, patient, family_member):
    module = published_module("done", title="All done", lessons=1)
    services.assign_module(counselor=counselor, patient=patient, module=module)
    progress = services.start_module(learner=family_member, module=module)
    services.complete_lesson(progress=progress, lesson=progress.version.lessons.get())
    services.submit_quiz(progress=progress, answers=answers_for(progress.version))
    login(family_member)
    assert assigned_list(client.get(reverse("dashboard")).content.decode()) == ["All done · Completed"]


def test_progress_on_the_card_costs_no_query_per_module(client, login, counselor, patient, family_member):
    def started_and_assigned(index: int) -> None:
        module = published_module(f"m-{index:02d}", title=f"Module {index:02d}", lessons=2)
        services.assign_module(counselor=counselor, patient=patient, module=module)
        progress = services.start_module(learner=family_member, module=module)
        services.complete_lesson(progress=progress, lesson=progress.version.lessons.order_by("position")[0])

    def dashboard_queries() -> int:
        client.get(reverse("dashboard"))
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("dashboard")).content.decode()
        assert "1 of 2 lessons read" in page
        return len(captured.captured_queries)

    started_and_assigned(0)
    login(family_member)
    one = dashboard_queries()
    for index in range(1, 8):
        started_and_assigned(index)
    assert dashboard_queries() == one
