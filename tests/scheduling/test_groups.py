"""Group sessions with a topic: a title and description on the portal's pages only, and a multi-family group that
invites the families of several caseload patients through the gate and says truthfully whom it told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from consent.gate import DisclosureRefused
from consent.models import Consent, Scope
from notifications.models import OutboxMessage
from scheduling.calendar_links import calendar_links
from scheduling.models import FamilySession, Participant, SessionNotice
from scheduling.services import schedule_group_session
from tests.scheduling.conftest import future_start
from tests.scheduling.test_calendar import events
from tests.support import personas

pytestmark = pytest.mark.django_db

TITLE = "Family night: <b>relapse</b> & recovery"
DESCRIPTION = "Bring questions.\nTea at 6 <script>alert(1)</script>"


@pytest.fixture
def world(program, counselor, patient, family_member, other_patient, outsider):
    """Two caseload patients (Pat with Fran, Olive with Otto), plus people the gate must keep out."""
    personas.assign(counselor, other_patient)
    partial = personas.make_user("nora@example.org", User.Role.FAMILY, None, full_name="Nora Noschedule")
    personas.consent_for(patient, partial, scopes=[Scope.EDUCATION])
    revoked = personas.make_user("rex@example.org", User.Role.FAMILY, None, full_name="Rex Revoked")
    personas.revoke(personas.consent_for(other_patient, revoked))
    stranger_patient = personas.make_user("sam@example.org", User.Role.PATIENT, program, full_name="Sam Stranger")
    stranger_family = personas.make_user("sue@example.org", User.Role.FAMILY, None, full_name="Sue Stranger")
    personas.consent_for(stranger_patient, stranger_family)
    return {
        "partial": partial,
        "revoked": revoked,
        "stranger_patient": stranger_patient,
        "stranger_family": stranger_family,
    }


def book_group(counselor, patients, **extra):
    starts_at = future_start()
    return schedule_group_session(
        actor=counselor,
        patients=patients,
        title=extra.pop("title", TITLE),
        description=extra.pop("description", DESCRIPTION),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Hall",
        **extra,
    )


def test_group_invites_exactly_the_gate_passing_family_of_the_chosen_patients(
    counselor, patient, other_patient, family_member, outsider, world
):
    session, outcome = book_group(counselor, [patient, other_patient])
    invited = {p.user: p.via_patient for p in Participant.objects.filter(session=session)}
    assert invited == {family_member: patient, outsider: other_patient}
    assert session.patient is None
    assert (outcome.invited, outcome.families, outcome.notified, outcome.not_covered) == (2, 2, 2, 1)
    assert world["revoked"] not in invited and world["partial"] not in invited


def test_a_consent_revoked_after_the_last_booking_keeps_that_member_out(counselor, patient, family_member, world):
    personas.revoke(Consent.objects.get(patient=patient, recipient=family_member))
    session, outcome = book_group(counselor, [patient])
    assert not Participant.objects.filter(session=session).exists()
    assert outcome.invited == 0
    assert not OutboxMessage.objects.filter(recipient=family_member).exists()


def test_each_invitee_gets_one_outbox_notice_and_a_portal_notice(counselor, patient, other_patient, world):
    session, _outcome = book_group(counselor, [patient, other_patient])
    rows = OutboxMessage.objects.filter(subject=session.subject, template_key="session_invited")
    invitees = set(Participant.objects.filter(session=session).values_list("user_id", flat=True))
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(invitees)
    assert set(SessionNotice.objects.filter(session=session).values_list("recipient_id", flat=True)) == invitees


def test_confirmation_counts_are_truthful_and_name_nobody(login, counselor, patient, other_patient, world):
    response = login(counselor).post(
        reverse("scheduling:session_create") + "?open=1",
        {
            "kind": FamilySession.Kind.MULTI_FAMILY_GROUP,
            "title": "Family night",
            "patients": [patient.pk, other_patient.pk],
            "starts_at": future_start().strftime("%Y-%m-%dT%H:%M"),
            "duration": 60,
            "modality": "in_person",
            "location": "Hall",
        },
        follow=True,
    )
    page = response.content.decode()
    assert (
        "Invited 2 people from 2 families. An email or text is on its way to 2 of them; everyone invited sees it in "
        "the portal. 1 family member could not be invited because their sharing does not cover sessions." in page
    )
    assert "Nora" not in page and "Rex" not in page


def test_confirmation_does_not_claim_a_notice_that_did_not_go(counselor, patient, family_member, world):
    family_member.emailaddress_set.update(verified=False)
    _session, outcome = book_group(counselor, [patient])
    assert (outcome.invited, outcome.notified) == (1, 0)


def test_patients_off_the_caseload_cannot_be_chosen(login, counselor, patient, world):
    stranger = world["stranger_patient"]
    response = login(counselor).post(
        reverse("scheduling:session_create") + "?open=1",
        {
            "kind": FamilySession.Kind.MULTI_FAMILY_GROUP,
            "title": "Family night",
            "patients": [patient.pk, stranger.pk],
            "starts_at": future_start().strftime("%Y-%m-%dT%H:%M"),
            "duration": 60,
            "modality": "in_person",
            "location": "Hall",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Sam Stranger" not in response.content.decode()
    assert not FamilySession.objects.exists()
    with pytest.raises(DisclosureRefused):
        book_group(counselor, [patient, stranger])
    assert not FamilySession.objects.exists()


def test_group_needs_a_title_on_the_form(login, counselor, patient, world):
    response = login(counselor).post(
        reverse("scheduling:session_create") + "?open=1",
        {
            "kind": FamilySession.Kind.MULTI_FAMILY_GROUP,
            "patients": [patient.pk],
            "starts_at": future_start().strftime("%Y-%m-%dT%H:%M"),
            "duration": 60,
            "modality": "in_person",
            "location": "Hall",
        },
    )
    assert "Give the group a title" in response.content.decode()
    assert not FamilySession.objects.exists()
    with pytest.raises(ValidationError):
        book_group(counselor, [patient], title="  ")


def test_title_and_description_are_shown_escaped_with_line_breaks(login, counselor, patient, family_member, world):
    session, _outcome = book_group(counselor, [patient])
    for user in (family_member, counselor):
        page = login(user).get(session.get_absolute_url()).content.decode()
        assert "Family night: &lt;b&gt;relapse&lt;/b&gt; &amp; recovery" in page
        assert "Bring questions.<br>Tea at 6 &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page
    for url in (reverse("scheduling:session_list"), reverse("scheduling:week")):
        assert "Family night: &lt;b&gt;relapse" in login(counselor).get(url).content.decode()
    family_list = login(family_member).get(reverse("scheduling:session_list")).content.decode()
    assert "Family night: &lt;b&gt;relapse" in family_list


def test_family_member_sees_the_group_but_no_other_family_or_patient(
    login, counselor, patient, other_patient, family_member, outsider, world
):
    session, _outcome = book_group(counselor, [patient, other_patient])
    client = login(family_member)
    for url in (session.get_absolute_url(), reverse("scheduling:session_list"), reverse("dashboard")):
        page = client.get(url).content.decode()
        assert "Family night" in page, url
        for name in (outsider.full_name, other_patient.full_name, "Otto", "Olive"):
            assert name not in page, (url, name)


def test_staff_page_says_the_counts_and_hides_families_off_the_viewers_caseload(
    login, counselor, unassigned_counselor, patient, other_patient, family_member, outsider, world
):
    session, _outcome = book_group(counselor, [patient, other_patient])
    page = login(counselor).get(session.get_absolute_url()).content.decode()
    assert "Invited 2 people from 2 families." in page
    assert family_member.full_name in page and outsider.full_name in page
    personas.assign(unassigned_counselor, patient)
    other = login(unassigned_counselor).get(session.get_absolute_url()).content.decode()
    assert family_member.full_name in other
    assert outsider.full_name not in other
    assert "1 more participant from families outside your caseload." in other


def test_calendar_file_and_links_stay_neutral(login, counselor, patient, family_member, world):
    session, _outcome = book_group(counselor, [patient])
    body = login(family_member).get(reverse("scheduling:session_ics", args=[session.pk])).content
    (event,) = events(body)
    assert str(event["SUMMARY"]) == "Appointment"
    assert b"Family night" not in body and b"relapse" not in body and b"Bring questions" not in body
    for link in calendar_links(session):
        assert "relapse" not in link.url and "Family" not in link.url
