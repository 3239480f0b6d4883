"""Assignments: counselors assign modules to a patient's family; progress shows only where consent allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import Disclosure, Scope
from education import services
from education.models import Assignment
from tests.education import idor
from tests.support import personas
from tests.support.idor import readable_status, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(counselor, patient, shared_module) -> Assignment:
    return services.assign_module(
        counselor=counselor, patient=patient, module=shared_module, due_on=timezone.localdate() + timedelta(days=7)
    )


def test_counselor_assigns_a_module_from_the_form(client, login, counselor, patient, shared_module):
    login(counselor)
    response = client.post(
        reverse("education:assignments"), {"patient": patient.pk, "module": shared_module.pk, "due_on": ""}
    )
    created = Assignment.objects.get()
    assert response["Location"] == reverse("education:assignment", args=[created.pk])
    assert created.assigned_by == counselor and created.due_on is None


def test_counselor_cannot_assign_outside_the_caseload(client, login, unassigned_counselor, patient, shared_module):
    login(unassigned_counselor)
    response = client.post(reverse("education:assignments"), {"patient": patient.pk, "module": shared_module.pk})
    assert response.status_code == 200  # the patient is not a choice: a form error, nothing written
    assert not Assignment.objects.exists()


def test_past_due_date_and_duplicates_are_form_errors(client, login, counselor, patient, shared_module, assignment):
    login(counselor)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        reverse("education:assignments"), {"patient": patient.pk, "module": shared_module.pk, "due_on": yesterday}
    )
    assert "not in the past" in response.content.decode()
    response = client.post(reverse("education:assignments"), {"patient": patient.pk, "module": shared_module.pk})
    assert "already assigned" in response.content.decode()
    assert Assignment.objects.count() == 1


def test_family_member_sees_assignment_first_with_the_part2_notice(client, login, family_member, patient, assignment):
    login(family_member)
    before = Disclosure.objects.count()
    page = client.get(reverse("education:catalogue")).content.decode()
    assert "Assigned by your care team" in page
    assert page.index("Assigned to you") < page.index("All modules")
    assert "data-part2-notice" in page
    assert "Pat Rivera" not in page and "Casey" not in page  # only "your care team" and the due date
    assert Disclosure.objects.count() == before + 1
    row = Disclosure.objects.order_by("-at", "-id")[0]
    assert (row.recipient, row.patient, row.scope) == (family_member, patient, Scope.EDUCATION)


@pytest.mark.parametrize("persona", ["learner", "outsider", "revoked_member"])
def test_others_see_no_assignment_and_no_notice(client, login, request, assignment, persona):
    login(request.getfixturevalue(persona))
    page = client.get(reverse("education:catalogue")).content.decode()
    assert "Assigned by your care team" not in page
    assert "data-part2-notice" not in page


def test_member_without_education_scope_sees_no_assignment(client, login, patient, assignment):
    member = personas.make_user("sam@example.org", "family", None, full_name="Sam Schedule")
    personas.consent_for(patient, member, scopes=[Scope.SCHEDULE])
    login(member)
    page = client.get(reverse("education:catalogue")).content.decode()
    assert "Assigned by your care team" not in page


def test_counselor_sees_progress_only_for_members_with_education_scope(
    client, login, counselor, patient, family_member, assignment
):
    scheduled_only = personas.make_user("sam@example.org", "family", None, full_name="Sam Schedule")
    personas.consent_for(patient, scheduled_only, scopes=[Scope.SCHEDULE, Scope.MESSAGING])
    for member in (family_member, scheduled_only):
        progress = services.start_module(learner=member, module=assignment.module)
        services.complete_lesson(progress=progress, lesson=progress.version.lessons.order_by("position")[0])
    login(counselor)
    page = client.get(reverse("education:assignment", args=[assignment.pk])).content.decode()
    assert "Fran Rivera" in page and "1 of 3 lessons" in page
    assert "Sam Schedule" not in page


def test_progress_disappears_when_consent_is_revoked(client, login, counselor, consent, family_member, assignment):
    services.start_module(learner=family_member, module=assignment.module)
    personas.revoke(consent)
    login(counselor)
    page = client.get(reverse("education:assignment", args=[assignment.pk])).content.decode()
    assert "Fran Rivera" not in page
    assert "No family member has a consent that includes education" in page


@pytest.mark.parametrize(
    "persona", ["outsider", "learner", "unassigned_counselor", "family_member", "revoked_member", "patient"]
)
def test_assignment_urls_are_404_for_everyone_but_the_care_team(client, login, request, assignment, persona):
    login(request.getfixturevalue(persona))
    assert client.get(reverse("education:assignment", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("education:assignment_cancel", args=[assignment.pk])).status_code == 404
    assignment.refresh_from_db()
    assert assignment.cancelled_at is None


def test_idor_object_urls_are_404_to_outsiders(
    client, login, patient, counselor, outsider, learner, unassigned_counselor
):
    urls = idor.object_urls(patient)
    assert urls
    for viewer in (outsider, learner, unassigned_counselor):
        login(viewer)
        for url in urls:
            assert status_of(client, url) == 404, (viewer, url)
    login(counselor)
    assert all(readable_status(client, url) == 200 for url in urls)


def test_program_admin_sees_and_cancels_program_assignments(client, login, program_admin, assignment):
    login(program_admin)
    assert client.get(reverse("education:assignment", args=[assignment.pk])).status_code == 200
    client.post(reverse("education:assignment_cancel", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.cancelled_at is not None


def test_cancelled_assignment_leaves_the_family_page(client, login, counselor, family_member, assignment):
    services.cancel_assignment(assignment=assignment, actor=counselor)
    login(family_member)
    assert "Assigned by your care team" not in client.get(reverse("education:catalogue")).content.decode()
