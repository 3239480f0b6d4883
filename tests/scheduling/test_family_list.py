"""The family schedule writes its rows' badges out inline (``templates/scheduling/session_list.html``, no include
per row): each must read exactly as the partials the other pages include, so the two cannot drift apart."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from scheduling.models import FamilySession, Participant
from tests.scheduling.conftest import book

pytestmark = pytest.mark.django_db

LIST = reverse("scheduling:session_list")
SHOWN = [("scheduled", rsvp.value) for rsvp in Participant.Rsvp] + [("cancelled", "accepted"), ("completed", "")]


@pytest.mark.parametrize(("status", "rsvp"), SHOWN)
def test_each_rows_badges_read_as_the_partials(login, counselor, patient, family_member, status, rsvp):
    session = book(counselor, patient, [family_member])
    FamilySession.objects.filter(pk=session.pk).update(status=status)
    waiting_since = session.created_at if rsvp == Participant.Rsvp.WAITLISTED else None  # the table requires one
    Participant.objects.filter(session=session, user=family_member).update(
        rsvp=rsvp or "invited", waitlisted_at=waiting_since
    )
    page = login(family_member).get(LIST).content.decode()
    session.status = status
    assert render_to_string("scheduling/_status_badge.html", {"s": session}).strip() in page
    if status == "scheduled":  # the reply badge shows on scheduled sessions only
        badge = render_to_string("scheduling/_rsvp_badge.html", {"rsvp": rsvp}).strip()
        assert badge and badge in page
