"""Query counts of the catalogue, module, progress and assignment pages do not grow with content (plan Q1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education import services
from education.authoring import set_path_position
from tests.support.education_content import answers_for, published_module

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    client.get(url)  # warm caches (session, content types) so only the page's own work is counted
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _learned_module(index: int, learner, counselor, patient, *, lessons: int = 2):
    """Shared and program modules, some enrolled-only, a third of them on the "Start here" path."""
    program = patient.program if index % 2 == 0 else None
    module = published_module(f"module-{index:02d}", lessons=lessons, program=program, enrolled_only=index % 4 == 0)
    if index % 3 == 0:
        set_path_position(module=module, position=index + 1)
    progress = services.start_module(learner=learner, module=module)
    services.complete_lesson(progress=progress, lesson=progress.version.lessons.order_by("position")[0])
    services.submit_quiz(progress=progress, answers=answers_for(progress.version, right=False))
    services.assign_module(counselor=counselor, patient=patient, module=module)
    return module


def test_catalogue_queries_do_not_grow_with_modules(
    client, login, family_member, counselor, patient, django_assert_num_queries
):
    _learned_module(0, family_member, counselor, patient)
    login(family_member)
    url = reverse("education:catalogue")
    expected = _queries(client, url)
    for index in range(1, 20):
        _learned_module(index, family_member, counselor, patient)
    client.get(url)
    with django_assert_num_queries(expected):
        page = client.get(url)
    html = page.content.decode()
    assert html.count('class="module-card') + html.count('class="path-step') >= 20
    assert html.count('class="path-step') == 7


def test_progress_page_queries_do_not_grow_with_modules(
    client, login, family_member, counselor, patient, django_assert_num_queries
):
    _learned_module(0, family_member, counselor, patient)
    login(family_member)
    url = reverse("education:my_progress")
    expected = _queries(client, url)
    for index in range(1, 20):
        _learned_module(index, family_member, counselor, patient)
    client.get(url)
    with django_assert_num_queries(expected):
        client.get(url)


@pytest.mark.parametrize("persona", ["family_member", "counselor"])
def test_module_page_queries_do_not_grow_with_lessons(
    client, login, request, family_member, django_assert_num_queries, persona
):
    viewer = request.getfixturevalue(persona)
    small = published_module("small", lessons=1)
    big = published_module("big", lessons=20)
    prerequisite_pool = [published_module(f"pre-{i}", lessons=1) for i in range(20)]
    small.prerequisites.set(prerequisite_pool[:1])
    big.prerequisites.set(prerequisite_pool)
    for module in (small, big):
        progress = services.start_module(learner=viewer, module=module)
        for lesson in progress.version.lessons.all():
            services.complete_lesson(progress=progress, lesson=lesson)
    login(viewer)
    expected = _queries(client, reverse("education:module", args=["small"]))
    client.get(reverse("education:module", args=["big"]))
    with django_assert_num_queries(expected):
        client.get(reverse("education:module", args=["big"]))


def test_lesson_page_queries_do_not_grow_with_lessons(client, login, family_member, django_assert_num_queries):
    published_module("small", lessons=1)
    published_module("big", lessons=20)
    login(family_member)
    expected = _queries(client, reverse("education:lesson", args=["small", 1]))
    client.get(reverse("education:lesson", args=["big", 20]))
    with django_assert_num_queries(expected):
        client.get(reverse("education:lesson", args=["big", 20]))


def test_assignment_progress_queries_do_not_grow_with_family_or_lessons(
    client, login, counselor, patient, family_member, django_assert_num_queries
):
    from tests.support import personas

    small = published_module("small", lessons=1)
    big = published_module("big", lessons=20)
    first = services.assign_module(counselor=counselor, patient=patient, module=small)
    second = services.assign_module(counselor=counselor, patient=patient, module=big)
    services.start_module(learner=family_member, module=small)
    login(counselor)
    expected = _queries(client, reverse("education:assignment", args=[first.pk]))
    for i in range(19):
        member = personas.make_user(f"kin{i}@example.org", "family", None, full_name=f"Kin {i}")
        personas.consent_for(patient, member)
        progress = services.start_module(learner=member, module=big)
        services.complete_lesson(progress=progress, lesson=progress.version.lessons.order_by("position")[0])
    client.get(reverse("education:assignment", args=[second.pk]))
    with django_assert_num_queries(expected):
        page = client.get(reverse("education:assignment", args=[second.pk]))
    assert page.content.decode().count("1 of 20 lessons") == 19


def test_authoring_page_queries_do_not_grow_with_lessons(client, login, counselor, django_assert_num_queries):
    from tests.support.education_content import draft_module

    draft_module("small", lessons=1, author=counselor)
    draft_module("big", lessons=20, author=counselor)
    login(counselor)
    expected = _queries(client, reverse("education:manage_module", args=["small"]))
    client.get(reverse("education:manage_module", args=["big"]))
    with django_assert_num_queries(expected):
        client.get(reverse("education:manage_module", args=["big"]))
