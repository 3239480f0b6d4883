"""The console's caseloads page: each counselor's patients, assigning a patient (the counselor sees them from
then on), ending an assignment (ended_at set, the row kept, access ends); every change audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import CaseloadAssignment
from consent.gate import is_care_team_for
from tests.console.conftest import console_audits
from tests.support import personas

pytestmark = pytest.mark.django_db


def test_caseloads_page_shows_each_counselors_patients_and_the_patients_nobody_carries(
    admin_client, counselor, patient, other_patient, unassigned_counselor, other_counselor, other_patient_elsewhere
):
    response = admin_client.get(reverse("console:caseloads"))

    assert response.status_code == 200
    groups = {c.pk: [a.patient_id for a in assignments] for c, assignments in response.context["groups"]}
    assert groups == {counselor.pk: [patient.pk], unassigned_counselor.pk: []}
    assert [p.pk for p in response.context["unassigned"]] == [other_patient.pk]
    page = response.content.decode()
    assert other_patient_elsewhere.full_name not in page and other_counselor.full_name not in page


def test_assigning_a_patient_gives_the_counselor_access_and_is_audited(
    admin_client, program_admin, unassigned_counselor, other_patient
):
    assert not is_care_team_for(unassigned_counselor, other_patient)

    response = admin_client.post(
        reverse("console:caseloads"), {"patient": other_patient.pk, "counselor": unassigned_counselor.pk}
    )

    assert response.status_code == 302
    assignment = CaseloadAssignment.objects.get(counselor=unassigned_counselor, patient=other_patient)
    assert assignment.ended_at is None
    assert is_care_team_for(unassigned_counselor, other_patient)
    [audit] = console_audits()
    assert audit == {"action": "caseload_assigned", "assignment": assignment.pk, "counselor": unassigned_counselor.pk}


@pytest.mark.parametrize(
    ("pick", "field"),
    [
        (lambda people: {"patient": people["patient"].pk, "counselor": people["counselor"].pk}, "patient"),  # twice
        (lambda people: {"patient": people["elsewhere"].pk, "counselor": people["counselor"].pk}, "patient"),
        (lambda people: {"patient": people["patient"].pk, "counselor": people["other_counselor"].pk}, "counselor"),
        (lambda people: {"patient": people["counselor"].pk, "counselor": people["counselor"].pk}, "patient"),
        (lambda people: {"patient": people["patient"].pk, "counselor": people["program_admin"].pk}, "counselor"),
        (lambda people: {"patient": "x", "counselor": ""}, "patient"),
    ],
    ids=["already-assigned", "other-programs-patient", "other-programs-counselor", "not-a-patient", "an-admin", "junk"],
)
def test_assigning_with_bad_input_shows_an_error_and_changes_nothing(
    admin_client, counselor, patient, program_admin, other_counselor, other_patient_elsewhere, pick, field
):
    people = {
        "counselor": counselor,
        "patient": patient,
        "program_admin": program_admin,
        "other_counselor": other_counselor,
        "elsewhere": other_patient_elsewhere,
    }
    before = list(CaseloadAssignment.objects.values_list("pk", "ended_at"))

    response = admin_client.post(reverse("console:caseloads"), pick(people))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert list(CaseloadAssignment.objects.values_list("pk", "ended_at")) == before
    assert console_audits() == []


def test_ending_an_assignment_keeps_the_row_and_ends_the_counselors_access(admin_client, counselor, patient):
    assignment = CaseloadAssignment.objects.get(counselor=counselor, patient=patient)
    url = reverse("console:caseload_end", args=[assignment.pk])
    assert admin_client.get(url).status_code == 200  # the confirmation page

    response = admin_client.post(url)

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.ended_at is not None  # ended, never deleted
    assert not is_care_team_for(counselor, patient)
    [audit] = console_audits()
    assert audit == {"action": "caseload_ended", "assignment": assignment.pk, "counselor": counselor.pk}
    assert admin_client.post(url).status_code == 404  # an ended assignment is no longer one to end
    assert len(console_audits()) == 1


def test_a_stale_sign_in_is_asked_for_the_password_before_an_assignment_ends(program_admin, counselor, patient):
    assignment = CaseloadAssignment.objects.get(counselor=counselor, patient=patient)
    stale = personas.login(Client(), program_admin)
    response = stale.post(reverse("console:caseload_end", args=[assignment.pk]))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assignment.refresh_from_db()
    assert assignment.ended_at is None
