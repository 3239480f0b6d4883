"""Assignments: counselors assign modules to a patient's family; progress shows only where consent allows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from consent.audit import verify_chain
from consent.models import AuditEvent, Disclosure, Scope
from education import authoring, services
from education.access import family_assignments
from education.models import Assignment
from tests.education import idor
from tests.support import personas
from tests.support.education_content import draft_module, published_module
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
    # The form judges the date in the counselor's time zone (education/views/time_zone.py), not UTC's.
    yesterday = (timezone.localdate(timezone=counselor.tz) - timedelta(days=1)).isoformat()
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
    assert row.what == "Education assignments"  # the patient's accounting of disclosures says what was shown


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


def test_family_sees_assignments_soonest_due_first_then_oldest(
    django_assert_num_queries, counselor, patient, family_member
):
    week = timezone.localdate() + timedelta(days=7)
    later = services.assign_module(counselor=counselor, patient=patient, module=published_module("later"), due_on=week)
    now = timezone.now()
    Assignment.objects.filter(pk=later.pk).update(created_at=now - timedelta(days=1))  # the oldest, but due last
    soon = timezone.localdate() + timedelta(days=2)
    for n in range(1, 6):  # the same due date, each assigned an hour before the one made before it
        assignment = services.assign_module(
            counselor=counselor, patient=patient, module=published_module(f"soon-{n}"), due_on=soon
        )
        Assignment.objects.filter(pk=assignment.pk).update(created_at=now - timedelta(hours=n))
    listed = family_assignments(family_member)
    with django_assert_num_queries(0):  # the catalogue's cards read each module's current version
        slugs = [a.module.slug for a in listed if a.module.current_version is not None]
    assert slugs == ["soon-5", "soon-4", "soon-3", "soon-2", "soon-1", "later"]


def test_an_assigned_module_that_is_archived_leaves_the_family_page(
    client, login, reviewer, family_member, assignment, shared_module
):
    authoring.archive_module(module=shared_module, actor=reviewer)
    assert family_assignments(family_member) == []
    login(family_member)
    assert "Assigned by your care team" not in client.get(reverse("education:catalogue")).content.decode()


def _audit_rows(kind: str) -> list[tuple[Any, Any, dict[str, str]]]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("seq").values_list("actor_id", "patient_id", "data"))


def test_assigning_and_withdrawing_are_audited_with_ids_only(counselor, program_admin, patient, shared_module):
    assignment = services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    assigned = {"assignment": str(assignment.pk), "module": str(shared_module.pk)}
    assert _audit_rows(AuditEvent.Kind.EDUCATION_ASSIGNED) == [(counselor.pk, patient.pk, assigned)]
    services.cancel_assignment(assignment=assignment, actor=program_admin)
    services.cancel_assignment(assignment=assignment, actor=counselor)  # already withdrawn: nothing more to record
    withdrawn = {"assignment": str(assignment.pk)}
    assert _audit_rows(AuditEvent.Kind.EDUCATION_ASSIGNMENT_CANCELLED) == [(program_admin.pk, patient.pk, withdrawn)]
    assert verify_chain() is None


def test_only_the_care_team_assigns_or_withdraws(
    unassigned_counselor, family_member, counselor, patient, shared_module
):
    for outsider in (unassigned_counselor, family_member):
        with pytest.raises(PermissionDenied):
            services.assign_module(counselor=outsider, patient=patient, module=shared_module)
    assert not Assignment.objects.exists()
    assignment = services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    with pytest.raises(PermissionDenied):
        services.cancel_assignment(assignment=assignment, actor=unassigned_counselor)
    assignment.refresh_from_db()
    assert assignment.cancelled_at is None


def test_only_a_published_module_can_be_assigned(counselor, reviewer, patient, program, shared_module):
    draft = draft_module("draft-only", program=program).module
    authoring.archive_module(module=shared_module, actor=reviewer)
    shared_module.refresh_from_db()
    for module in (draft, shared_module):
        with pytest.raises(ValidationError, match=r"^\['Only a published module can be assigned\.'\]$"):
            services.assign_module(counselor=counselor, patient=patient, module=module)
    assert not Assignment.objects.exists()


def test_the_due_date_may_be_today_but_not_earlier(counselor, patient, shared_module, overdose_module):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match=r"^\['Choose a due date that is not in the past\.'\]$"):
        services.assign_module(counselor=counselor, patient=patient, module=shared_module, due_on=today - timedelta(1))
    assert (
        services.assign_module(counselor=counselor, patient=patient, module=shared_module, due_on=today).due_on == today
    )


def test_a_module_is_assigned_once_per_family_but_to_any_number_of_families(
    counselor, patient, other_patient, shared_module
):
    personas.assign(counselor, other_patient)
    services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    with pytest.raises(ValidationError, match=r"^\['This module is already assigned to this family\.'\]$"):
        services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    services.assign_module(counselor=counselor, patient=other_patient, module=shared_module)
    assert sorted(Assignment.objects.values_list("patient_id", flat=True)) == sorted([patient.pk, other_patient.pk])


def test_withdrawing_writes_only_the_withdrawal(counselor, assignment):
    """The assignment in hand may be older than the row: withdrawing it must not write its other fields back."""
    later = timezone.localdate() + timedelta(days=30)
    Assignment.objects.filter(pk=assignment.pk).update(due_on=later)
    services.cancel_assignment(assignment=assignment, actor=counselor)
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.cancelled_at is not None and stored.due_on == later
