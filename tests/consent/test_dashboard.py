"""Dashboard cards: patient sharing summary, counselor tasks, family "what you can see" (nothing for learners)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.services import record_paper_consent
from tests.consent.conftest import strip_csrf
from tests.support import personas

pytestmark = pytest.mark.django_db


def _card(client: Client, title: str) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert title in body
    return body


def test_patient_card_counts_sharing_and_flags_ending_soon(login, patient, consent):
    member = personas.make_user("soon@example.org", User.Role.FAMILY, None, full_name="Sunny Soon")
    personas.consent_for(patient, member, days=5)
    body = _card(login(patient), "Your sharing")
    assert "2 people can see some of your information" in body
    assert "Sunny Soon" in body


def test_patient_card_empty_state_says_what_to_do(login, patient):
    assert "When you are ready" in _card(login(patient), "Your sharing")


def test_counselor_card_lists_expiring_consents_and_pending_reviews(login, counselor, patient, program):
    member = personas.make_user("soon@example.org", User.Role.FAMILY, None, full_name="Sunny Soon")
    personas.consent_for(patient, member, days=5)
    colleague = personas.make_staff("cole@example.org", program)
    personas.assign(colleague, patient)
    record_paper_consent(
        staff=colleague,
        patient=patient,
        recipient_name="Sam",
        recipient_email="sam@example.org",
        scopes=["schedule"],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
        signed_at=timezone.now(),
        paper_form_reference="Scan 1",
        attested=True,
    )
    body = _card(login(counselor), "Consents")
    assert "Sunny Soon" in body
    assert "1 paper consent to review" in body


def test_family_card_shows_sharing_with_notice(login, family_member, consent):
    body = _card(login(family_member), "What you can see")
    assert "Pat Rivera shares 5 kinds of information with you" in body
    assert "data-part2-notice" in body


def test_learner_card_mentions_no_patient_and_matches_revoked_member(login, learner, revoked_member):
    bodies = []
    for user in (learner, revoked_member):
        body = strip_csrf(login(user, Client()).get(reverse("dashboard")).content)
        bodies.append(body.replace(user.display_name, "NAME"))
    assert "Nothing is shared with you right now" in bodies[0]
    assert "Pat" not in bodies[0]
    assert bodies[0] == bodies[1]
