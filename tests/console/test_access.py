"""Who reaches the console: program admins of a program, and each only for their own program's people (AZ-03).
Counselors, patients and family members get the 404 of a missing page for every console URL and method; an
admin of another program gets it for every id of this program's staff and caseloads, and nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import CaseloadAssignment, User
from consent.models import AuditEvent, ConsentFormVersion
from tests.console.conftest import console_audits
from tests.support import personas

pytestmark = pytest.mark.django_db


def console_urls(counselor: User, assignment: CaseloadAssignment) -> list[str]:
    """Every console page, with ids of this program's people where the page takes one."""
    form = ConsentFormVersion.current()
    plain = ["home", "staff", "staff_new", "caseloads", "program_settings", "consent_forms", "consent_form_new"]
    return [
        *(reverse(f"console:{name}") for name in [*plain, "review_queue"]),
        *(reverse(f"console:staff_{n}", args=[counselor.pk]) for n in ("edit", "deactivate", "reactivate")),
        reverse("console:caseload_end", args=[assignment.pk]),
        reverse("console:consent_form", args=[form.pk]),
    ]


@pytest.fixture
def assignment(counselor: User, patient: User) -> CaseloadAssignment:
    return CaseloadAssignment.objects.get(counselor=counselor, patient=patient)


@pytest.mark.parametrize("persona", ["counselor", "unassigned_counselor", "patient", "family_member", "learner"])
def test_every_console_url_is_404_for_anyone_but_a_program_admin(request, persona, counselor, assignment):
    client = personas.login(Client(), request.getfixturevalue(persona), signed_in_ago=0)
    answers = {
        f"{method} {url}": status
        for url in console_urls(counselor, assignment)
        for method in ("get", "post")
        if (status := getattr(client, method)(url).status_code) != 404
    }
    assert answers == {}
    counselor.refresh_from_db()
    assert counselor.is_active
    assert console_audits() == []


def test_every_console_url_opens_for_the_program_admin(admin_client, counselor, assignment):
    statuses = {url: admin_client.get(url).status_code for url in console_urls(counselor, assignment)}
    assert set(statuses.values()) == {200}, statuses


def test_an_admin_of_another_program_gets_404_for_this_programs_ids_and_changes_nothing(
    other_admin, counselor, assignment
):
    intruder = personas.login(Client(), other_admin, signed_in_ago=0)
    object_urls = [
        *(reverse(f"console:staff_{n}", args=[counselor.pk]) for n in ("edit", "deactivate", "reactivate")),
        reverse("console:caseload_end", args=[assignment.pk]),
    ]
    for url in object_urls:
        assert intruder.get(url).status_code == 404, url
        assert intruder.post(url, {"full_name": "Taken Over", "role": "program_admin"}).status_code == 404, url
    counselor.refresh_from_db()
    assignment.refresh_from_db()
    assert (counselor.is_active, counselor.full_name, counselor.role) == (True, "Casey Morgan", "counselor")
    assert assignment.ended_at is None
    assert console_audits() == []
    refused = AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED, actor=other_admin)
    assert refused.count() == 2 * len(object_urls)  # each refusal audited (DATA-01)


def test_an_admin_of_another_program_sees_only_their_own_people(other_admin, counselor, patient, other_counselor):
    intruder = personas.login(Client(), other_admin, signed_in_ago=0)
    for name in ("staff", "caseloads", "home"):
        page = intruder.get(reverse(f"console:{name}")).content.decode()
        assert counselor.full_name not in page and patient.full_name not in page, name
    assert other_counselor.full_name in intruder.get(reverse("console:staff")).content.decode()


def test_a_patient_id_is_not_a_staff_id(admin_client, patient):
    for name in ("edit", "deactivate"):
        assert admin_client.post(reverse(f"console:staff_{name}", args=[patient.pk])).status_code == 404
    patient.refresh_from_db()
    assert patient.is_active


def test_an_admin_without_a_program_has_no_console(program):
    loose = personas.make_staff("root@example.org", program, role=User.Role.PROGRAM_ADMIN)
    User.objects.filter(pk=loose.pk).update(program=None)
    client = personas.login(Client(), User.objects.get(pk=loose.pk), signed_in_ago=0)
    assert client.get(reverse("console:home")).status_code == 404


def test_only_program_admins_get_the_program_link_in_the_navigation(admin_client, counselor):
    link = f'href="{reverse("console:home")}"'
    assert link in admin_client.get(reverse("dashboard")).content.decode()
    counselor_client = personas.login(Client(), counselor, signed_in_ago=0)
    assert link not in counselor_client.get(reverse("dashboard")).content.decode()


def test_console_pages_need_mfa_like_every_staff_page(program_admin):
    """A password-only session of an enrolled admin is sent back through the MFA stage (AUTH-05)."""
    client = Client()
    client.force_login(program_admin)
    response = client.get(reverse("console:staff"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
