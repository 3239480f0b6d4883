"""Counselor pages: caseload consent status, paper intake and second review, written revocation, ending event,
representatives, break-glass and the ledger export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.gate import can_disclose, require_disclosure
from consent.ledger import STATEMENT_1
from consent.models import AuditEvent, BreakGlassAccess, Consent, ConsentEvent, PersonalRepresentative, Scope
from tests.support import personas

pytestmark = pytest.mark.django_db


def _today() -> date:
    """Today where the program is (America/New_York in the personas), which is what the forms check."""
    return timezone.localdate(timezone=ZoneInfo("America/New_York"))


def _paper(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "recipient_name": "Sam Rivera",
        "recipient_email": "sam@example.org",
        "recipient_relationship": "Brother",
        "scopes": ["schedule"],
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT,
        "expires_on": (_today() + timedelta(days=90)).isoformat(),
        "signer_role": Consent.SignerRole.PATIENT,
        "signature": "Pat Rivera",
        "signed_on": _today().isoformat(),
        "paper_form_reference": "Scan 2026-31",
        "attested": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def colleague(program, patient) -> User:
    user = personas.make_staff("cole@example.org", program, full_name="Cole Colleague")
    personas.assign(user, patient)
    return user


def test_counselor_sees_caseload_with_consent_status(login, counselor, patient, consent, other_patient, revoked_member):
    body = login(counselor).get(reverse("consent:patient_list")).content.decode()
    assert "Pat Rivera" in body
    assert "Fran Rivera" in body and "Active" in body
    assert "Rory Rivera" in body and "Revoked" in body
    assert "Olive Oakes" not in body  # not on this caseload


@pytest.mark.parametrize("persona", ["family_member", "patient", "learner"])
def test_staff_pages_are_404_for_everyone_else(request, login, persona):
    client = login(request.getfixturevalue(persona))
    for name in ("patient_list", "pending_reviews", "break_glass"):
        assert client.get(reverse(f"consent:{name}")).status_code == 404


def _patients_with_consents(counselor: User, program, count: int, prefix: str) -> None:
    for n in range(count):
        patient = personas.make_user(f"{prefix}p{n}@example.org", User.Role.PATIENT, program)
        personas.assign(counselor, patient)
        member = personas.make_user(f"{prefix}f{n}@example.org", User.Role.FAMILY, None)
        personas.consent_for(patient, member, days=7 if n % 2 else 100)


def test_patient_list_query_count_is_constant(login, counselor, program, django_assert_num_queries):
    client = login(counselor)
    url = reverse("consent:patient_list")
    _patients_with_consents(counselor, program, 1, "a")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _patients_with_consents(counselor, program, 19, "b")
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count("Ends ") >= 9


def test_patient_detail_is_404_for_unassigned_counselor(login, unassigned_counselor, patient):
    assert login(unassigned_counselor).get(reverse("consent:patient_detail", args=[patient.pk])).status_code == 404


def test_paper_consent_needs_a_second_reviewer(login, counselor, colleague, patient):
    client = login(counselor)
    response = client.post(reverse("consent:record_paper_consent", args=[patient.pk]), _paper())
    assert response.status_code == 302
    consent = Consent.objects.get(recipient_email="sam@example.org")
    assert consent.review_status == Consent.ReviewStatus.PENDING
    assert not consent.is_effective()
    # the recorder cannot approve their own entry
    client.post(reverse("consent:review", args=[consent.pk]), {"decision": "approve"})
    consent.refresh_from_db()
    assert consent.review_status == Consent.ReviewStatus.PENDING
    reviewer = login(colleague, type(client)())
    assert "Sam Rivera" in reviewer.get(reverse("consent:pending_reviews")).content.decode()
    reviewer.post(reverse("consent:review", args=[consent.pk]), {"decision": "approve"})
    consent.refresh_from_db()
    assert consent.review_status == Consent.ReviewStatus.APPROVED
    assert consent.is_effective()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CONSENT_REVIEWED, actor=colleague).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"attested": ""}, "attested"),
        ({"paper_form_reference": ""}, "paper_form_reference"),
        ({"signed_on": (_today() + timedelta(days=2)).isoformat()}, "signed_on"),
        ({"signer_role": Consent.SignerRole.PATIENT_AND_GUARDIAN}, "guardian_signature"),
    ],
)
def test_paper_consent_form_rejects_incomplete_entries(login, counselor, patient, overrides, field):
    response = login(counselor).post(reverse("consent:record_paper_consent", args=[patient.pk]), _paper(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Consent.objects.filter(recipient_email="sam@example.org").exists()


def test_counselor_records_written_revocation(login, counselor, consent, family_member, patient):
    client = login(counselor)
    url = reverse("consent:record_revocation", args=[consent.pk])
    response = client.post(url, {"document_reference": "Letter 2026-7"})
    assert "attested" in response.context["form"].errors
    client.post(url, {"document_reference": "Letter 2026-7", "attested": "on"})
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    event = consent.events.get(kind=ConsentEvent.Kind.REVOKED)
    assert (event.method, event.document_reference, event.actor) == (Consent.Method.PAPER, "Letter 2026-7", counselor)
    assert not can_disclose(family_member, patient, Scope.SCHEDULE)


def test_counselor_records_ending_event(login, counselor, patient, family_member):
    consent = personas.consent_for(patient, personas.make_user("e@example.org", User.Role.FAMILY, None))
    Consent.objects.filter(pk=consent.pk).update(expiry_event="Discharge from the program")
    login(counselor).post(reverse("consent:end_by_event", args=[consent.pk]), {"note": "Discharged today"})
    consent.refresh_from_db()
    assert consent.ended_by_event_at is not None
    assert not consent.is_effective()


def test_break_glass_view_requires_reason_audits_mails_and_expires(
    login, unassigned_counselor, patient, program_admin, django_capture_on_commit_callbacks
):
    client = login(unassigned_counselor)
    detail = reverse("consent:patient_detail", args=[patient.pk])
    assert client.get(detail).status_code == 404
    response = client.post(reverse("consent:break_glass"), {"patient": patient.pk, "reason": ""})
    assert "reason" in response.context["form"].errors
    assert not BreakGlassAccess.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consent:break_glass"), {"patient": patient.pk, "reason": "Crisis call, assigned counselor away"}
        )
    assert response["Location"] == detail
    assert client.get(detail).status_code == 200
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.BREAK_GLASS, actor=unassigned_counselor).count() == 1
    assert [message.to for message in mail.outbox] == [[program_admin.email]]
    assert "Pat" not in mail.outbox[0].body
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        login(unassigned_counselor, client)
        assert client.get(detail).status_code == 404


def test_ledger_export_starts_with_statement_1_and_is_audited(login, counselor, patient, consent, family_member):
    require_disclosure(family_member, patient, Scope.SCHEDULE, what="=HYPERLINK(evil)")
    response = login(counselor).get(reverse("consent:ledger_export", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Pat" not in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [STATEMENT_1]
    assert "42 CFR part 2" in rows[0][0]
    assert rows[-1][1:3] == ["Fran Rivera", "'=HYPERLINK(evil)"]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LEDGER_EXPORTED, patient=patient).count() == 1


def test_counselor_records_personal_representative(login, counselor, patient):
    rep = personas.make_user("poa@example.org", User.Role.FAMILY, None)
    client = login(counselor)
    url = reverse("consent:record_representative", args=[patient.pk])
    response = client.post(url, {"email": "nobody@example.org", "authority": "guardian", "document_reference": "X"})
    assert "email" in response.context["form"].errors
    client.post(url, {"email": rep.email, "authority": "health_care_poa", "document_reference": "POA 12"})
    record = PersonalRepresentative.objects.get(patient=patient)
    assert (record.representative, record.verified_by) == (rep, counselor)
    client.post(reverse("consent:end_representative", args=[record.pk]))
    record.refresh_from_db()
    assert record.ended_at is not None


def test_program_admin_sees_every_patient_of_the_program(login, program_admin, patient, other_patient):
    body = login(program_admin).get(reverse("consent:patient_list")).content.decode()
    assert "Pat Rivera" in body and "Olive Oakes" in body
