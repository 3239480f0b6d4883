"""Who may open what: session pages, RSVP, attendance and .ics answer 404 to everyone the gate refuses (AZ-03)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consent.models import Disclosure, Scope
from scheduling.models import Participant
from scheduling.services import request_session
from tests.scheduling.conftest import book, future_start
from tests.scheduling.idor import object_urls
from tests.support import personas
from tests.support.idor import readable_status, status_of

pytestmark = pytest.mark.django_db

REFUSED = ["revoked_member", "outsider", "learner", "unassigned_counselor"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("family_member", 200), ("counselor", 200), ("patient", 200), ("program_admin", 200)]
    + [(p, 404) for p in REFUSED],
)
def test_session_detail_access(login, request, family_session, persona, status):
    client = login(request.getfixturevalue(persona))
    assert client.get(family_session.get_absolute_url()).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("family_member", 200), ("counselor", 200)] + [(p, 404) for p in REFUSED]
)
def test_session_ics_access(login, request, family_session, persona, status):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("scheduling:session_ics", args=[family_session.pk])).status_code == status


@pytest.mark.parametrize("persona", REFUSED)
def test_refused_people_cannot_rsvp(login, request, family_session, persona):
    client = login(request.getfixturevalue(persona))
    response = client.post(reverse("scheduling:rsvp", args=[family_session.pk]), {"response": "accepted"})
    assert response.status_code == 404
    assert not Participant.objects.filter(session=family_session, rsvp=Participant.Rsvp.ACCEPTED).exists()


@pytest.mark.parametrize("persona", [*REFUSED, "family_member", "patient"])
def test_only_the_care_team_records_attendance(login, request, family_session, persona):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("scheduling:session_attendance", args=[family_session.pk])).status_code == 404
    assert client.post(reverse("scheduling:session_attendance", args=[family_session.pk])).status_code == 404


@pytest.mark.parametrize(
    "name", ["session_reschedule", "session_cancel", "session_invite", "participant_remove", "session_capacity"]
)
def test_family_cannot_reach_staff_actions(login, family_member, family_session, name):
    client = login(family_member)
    assert client.post(reverse(f"scheduling:{name}", args=[family_session.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "learner", "revoked_member", "counselor"])
def test_only_a_family_member_who_may_see_the_session_leaves_its_waiting_list(login, request, family_session, persona):
    client = login(request.getfixturevalue(persona))
    assert client.post(reverse("scheduling:waitlist_leave", args=[family_session.pk])).status_code == 404


def test_idor_matrix_urls_are_refused(
    client, login, patient, counselor, family_member, outsider, learner, unassigned_counselor
):
    urls = object_urls(patient)
    assert len(urls) >= 6
    for person in (outsider, learner, unassigned_counselor):
        c = login(person)
        for url in urls:
            assert status_of(c, url) == 404, (person.email, url)
        c.logout()
    staff = login(counselor)
    # A letter's PDF carries its verification code, which only the session that issued it holds: any other
    # session of the care team is sent back to the letter page (302), which says how to issue a new copy. The
    # letters page for a patient's representatives is theirs alone (404 to staff too).
    expected = {url: 302 if url.endswith(".pdf") else 404 if "/letters/for/" in url else 200 for url in urls}
    assert {url: readable_status(staff, url) for url in urls} == expected


def test_revoked_consent_hides_sessions_at_once(login, family_session, family_member, consent):
    client = login(family_member)
    assert client.get(family_session.get_absolute_url()).status_code == 200
    personas.revoke(consent)
    assert client.get(family_session.get_absolute_url()).status_code == 404
    page = client.get(reverse("scheduling:session_list")).content.decode()
    assert str(family_session.pk) not in page
    assert "Coming up" in page


def test_consent_without_schedule_scope_shows_no_sessions(login, counselor, patient, family_member, family_session):
    narrow = personas.make_user("narrow@example.org", "family", None)
    personas.consent_for(patient, narrow, scopes=[Scope.EDUCATION, Scope.MESSAGING])
    client = login(narrow)
    assert client.get(family_session.get_absolute_url()).status_code == 404
    assert str(family_session.pk) not in client.get(reverse("scheduling:session_list")).content.decode()
    assert client.get(reverse("scheduling:request_create")).status_code == 404


def test_detail_page_writes_a_ledger_row_for_family(login, family_session, family_member, consent):
    login(family_member).get(family_session.get_absolute_url())
    row = Disclosure.objects.get(recipient=family_member, channel=Disclosure.Channel.WEB)
    assert row.scope == Scope.SCHEDULE
    assert row.consent == consent


def test_list_page_writes_one_ledger_row_per_patient(login, family_session, family_member):
    login(family_member).get(reverse("scheduling:session_list"))
    assert Disclosure.objects.filter(recipient=family_member).count() == 1


def test_staff_views_write_no_ledger_rows(login, family_session, counselor):
    login(counselor).get(family_session.get_absolute_url())
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "learner", "unassigned_counselor", "revoked_member"])
def test_request_pages_refuse_others(login, request, counselor, patient, family_member, persona):
    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start()])
    client = login(request.getfixturevalue(persona))
    assert client.get(asked.get_absolute_url()).status_code == 404
    assert client.post(reverse("scheduling:request_withdraw", args=[asked.pk])).status_code == 404
    assert client.post(reverse("scheduling:request_confirm", args=[asked.pk])).status_code == 404


def test_requester_cannot_confirm_own_request(login, counselor, patient, family_member):
    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start()])
    client = login(family_member)
    assert client.post(reverse("scheduling:request_confirm", args=[asked.pk])).status_code == 404


def test_learner_does_not_see_education_nights(login, counselor, learner):
    night = book(counselor, None)
    client = login(learner)
    assert client.get(night.get_absolute_url()).status_code == 404
    assert str(night.pk) not in client.get(reverse("scheduling:session_list")).content.decode()


def test_consented_family_sees_education_night_without_patient_info(login, counselor, outsider, patient):
    night = book(counselor, None)
    page = login(outsider).get(night.get_absolute_url()).content.decode()
    assert "Family education night" in page
    assert patient.full_name not in page
    assert not Disclosure.objects.exists()


def test_staff_pages_without_object_are_not_found_for_families(login, family_member):
    client = login(family_member)
    for name in ("week", "session_create", "availability", "attendance_report"):
        assert client.get(reverse(f"scheduling:{name}")).status_code == 404  # AZ-03: one answer, like a missing page
