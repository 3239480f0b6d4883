"""Dashboard cards: family sees next sessions with RSVP buttons and notices; counselors see today, the week and
requests; learners see nothing about patients."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scheduling.services import cancel_session, request_session
from tests.scheduling.conftest import book, future_start

pytestmark = pytest.mark.django_db


def test_family_card_shows_next_session_and_rsvp_buttons(login, family_session, family_member):
    page = login(family_member).get(reverse("dashboard")).content.decode()
    assert "Your family sessions" in page
    assert reverse("scheduling:rsvp", args=[family_session.pk]) in page
    assert "data-part2-notice" in page


def test_family_card_rsvp_returns_to_dashboard(login, family_session, family_member):
    client = login(family_member)
    response = client.post(
        reverse("scheduling:rsvp", args=[family_session.pk]), {"response": "accepted", "next": reverse("dashboard")}
    )
    assert response["Location"] == reverse("dashboard")
    assert "You’re going" in client.get(reverse("dashboard")).content.decode()


def test_family_card_shows_cancellation_notice(login, family_session, family_member, counselor):
    cancel_session(actor=counselor, session=family_session, reason="Office closed for the storm.")
    page = login(family_member).get(reverse("dashboard")).content.decode()
    assert "Office closed for the storm." in page


def test_family_card_empty_state_for_linked_member(login, counselor, family_member):
    page = login(family_member).get(reverse("dashboard")).content.decode()
    assert "No sessions are coming up" in page


def test_learner_gets_no_sessions_card(login, learner, counselor):
    book(counselor, None)
    page = login(learner).get(reverse("dashboard")).content.decode()
    assert "Your family sessions" not in page


def test_revoked_member_gets_no_sessions_card(login, revoked_member, counselor, patient):
    book(counselor, patient)
    assert "Your family sessions" not in login(revoked_member).get(reverse("dashboard")).content.decode()


def test_counselor_card_lists_week_and_pending_requests(login, counselor, patient, family_member):
    request_session(requester=family_member, patient=patient, proposed_times=[future_start(days=5)])
    page = login(counselor).get(reverse("dashboard")).content.decode()
    assert "Family sessions" in page
    assert "Requests to answer" in page
    assert f"Family of {patient.display_name}" in page
