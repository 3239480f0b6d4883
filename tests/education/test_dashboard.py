"""Education dashboard cards for each role, with empty states."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.models import Scope
from education import services
from education.access import family_assignments
from education.models import ModuleProgress
from tests.support import personas
from tests.support.education_content import draft_module, published_module

pytestmark = pytest.mark.django_db


def test_family_card_lists_assigned_modules_first_with_notice(
    client, login, family_member, counselor, patient, shared_module, overdose_module
):
    services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    services.start_module(learner=family_member, module=overdose_module)
    login(family_member)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Assigned by your care team" in page
    assert page.index("Assigned by your care team") < page.index("Continue where you left off")
    assert "data-part2-notice" in page


def test_learner_card_has_an_empty_state_and_no_patient_data(client, login, learner):
    login(learner)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Start learning" in page
    assert "Assigned by your care team" not in page


def test_counselor_card_counts_drafts_and_reviews_and_lists_own_assignments(
    client, login, counselor, patient, shared_module
):
    draft_module("draft-one", author=counselor)
    services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    login(counselor)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 draft" in page and "0 waiting for review" in page
    assert "Assignments you made" in page and "How the brain changes" in page


def test_patient_card_links_to_the_catalogue(client, login, patient):
    login(patient)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Learn about family involvement" in page
    assert reverse("education:catalogue") in page


def test_family_learning_card_shows_what_family_assignments_and_progress_give(
    client, login, program, counselor, patient, family_member
):
    """The Learning card reads assignments and progress in one query; it shows exactly the gate's assignments
    (``family_assignments``: active, education scope, readable), in due order, each with the member's progress,
    then the three newest unfinished modules nobody assigned."""
    sibling = personas.make_user("sib@example.org", User.Role.PATIENT, program, full_name="Sib Rivera")
    hidden = personas.make_user("hid@example.org", User.Role.PATIENT, program, full_name="Hid Rivera")
    for other in (sibling, hidden):
        personas.assign(counselor, other)
    personas.consent_for(sibling, family_member)
    personas.consent_for(hidden, family_member, scopes=[Scope.SCHEDULE])  # no education: its assignment is hidden
    modules = [published_module(f"m{i}", title=f"Module {i}", lessons=2) for i in range(11)]
    for module, due in zip(modules[:4], [date(2031, 5, 1), date(2031, 3, 1), None, date(2031, 4, 1)], strict=True):
        services.assign_module(counselor=counselor, patient=patient, module=module, due_on=due)
    services.assign_module(counselor=counselor, patient=sibling, module=modules[0])  # the same module twice
    services.assign_module(counselor=counselor, patient=hidden, module=modules[4])
    cancelled = services.assign_module(counselor=counselor, patient=patient, module=modules[5])
    services.cancel_assignment(assignment=cancelled, actor=counselor)
    for module in [modules[1], modules[0], *modules[4:]]:
        progress = services.start_module(learner=family_member, module=module)
        services.complete_lesson(progress=progress, lesson=progress.version.lessons.order_by("position")[0])
    ModuleProgress.objects.filter(module__in=[modules[0], modules[10]]).update(completed_at=timezone.now())

    login(family_member)
    response = client.get(reverse("dashboard"))

    card = next(card for card in response.context["cards"] if card.title == "Learning")
    expected = family_assignments(family_member)
    mine = {p.module_id: p for p in ModuleProgress.objects.filter(learner=family_member)}
    assert len(expected) == 5 and card.context["more_assigned"] == 2
    assert [a.pk for a in card.context["assigned"]] == [a.pk for a in expected[:3]]
    shown = [(a.pk, p and (p.pk, p.lesson_done, p.lesson_total)) for a, p in card.context["assigned_progress"]]
    assert shown == [(a.pk, (p := mine.get(a.module_id)) and (p.pk, 1, 2)) for a in expected[:3]]
    unassigned = [m for m in modules[4:] if m.pk not in {a.module_id for a in expected}]
    newest = sorted(
        (mine[m.pk] for m in unassigned if not mine[m.pk].completed_at), key=lambda p: -p.updated_at.timestamp()
    )
    assert [p.pk for p in card.context["in_progress"]] == [p.pk for p in newest[:3]]
    assert [p.module.slug for p in card.context["in_progress"]] == ["m9", "m8", "m7"]
    page = response.content.decode()
    assert "Module 10" not in page and "2 more assigned" in page  # finished, and the two assignments not shown
