"""Education dashboard cards for each role, with empty states."""

from __future__ import annotations

import pytest
from django.urls import reverse

from education import services
from tests.support.education_content import draft_module

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
