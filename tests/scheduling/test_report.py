"""The attendance record: printable for the care team; released outside only under an attendance consent
naming the recipient, and recorded in the ledger with channel export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from consent.models import Consent, Disclosure, Scope
from consent.services import grant_consent
from scheduling.models import Participant
from scheduling.services import record_attendance, release_attendance_report
from tests.scheduling.conftest import book
from tests.support import personas

pytestmark = pytest.mark.django_db


def officer_consent(patient, scopes=(Scope.ATTENDANCE,)) -> Consent:
    return grant_consent(
        patient=patient,
        recipient_kind=Consent.RecipientKind.EXTERNAL,
        recipient_name="Dana Lee",
        recipient_organisation="County Probation",
        scopes=list(scopes),
        purpose=Consent.Purpose.COURT_REPORTING,
        expires_at=timezone.now() + timedelta(days=90),
        signature=patient.full_name,
    )


@pytest.fixture
def attended(counselor, patient, family_member, time_machine):
    session = book(counselor, patient, [family_member])
    time_machine.move_to(session.starts_at + timedelta(minutes=70))
    marks = {p.pk: Participant.Attendance.ATTENDED for p in session.participants.all()}
    record_attendance(actor=counselor, session=session, marks=marks)
    return session


def report_params(patient, session) -> dict[str, str]:
    day = timezone.localdate(session.starts_at)
    return {"patient": str(patient.pk), "start": f"{day - timedelta(days=1):%Y-%m-%d}", "end": f"{day:%Y-%m-%d}"}


def test_counselor_sees_internal_record_with_family_names(login, counselor, patient, family_member, attended):
    page = login(counselor).get(reverse("scheduling:attendance_report"), report_params(patient, attended))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{family_member.display_name}: Attended" in html
    assert "Dana Lee" not in html  # no consent names the officer yet
    assert not Disclosure.objects.exists()


def test_release_to_consented_officer_is_recorded_with_channel_export(login, counselor, patient, attended):
    consent = officer_consent(patient)
    client = login(counselor)
    response = client.post(
        reverse("scheduling:attendance_report"), {**report_params(patient, attended), "consent": str(consent.pk)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dana Lee" in html
    assert "42 CFR part 2 prohibits unauthorized use or disclosure of these records." in html
    assert "1 of 1" in html  # family members present as a count only: no family names leave the program
    row = Disclosure.objects.get()
    assert (row.consent, row.channel, row.scope) == (consent, Disclosure.Channel.EXPORT, Scope.ATTENDANCE)


def test_release_to_a_court_carries_the_section_2_35_d_use_restriction(login, counselor, patient, attended):
    consent = grant_consent(
        patient=patient,
        recipient_kind=Consent.RecipientKind.COURT,
        recipient_name="Judge Ana Ruiz",
        recipient_organisation="County Drug Court",
        referral_source="County Drug Court",
        referral_proceeding="Case 2026-CR-0142",
        scopes=[Scope.ATTENDANCE],
        purpose=Consent.Purpose.COURT_REPORTING,
        expires_at=timezone.now() + timedelta(days=90),
        signature=patient.full_name,
    )
    params = {**report_params(patient, attended), "consent": str(consent.pk)}
    html = login(counselor).post(reverse("scheduling:attendance_report"), params).content.decode()
    assert "data-use-restriction" in html
    assert "only to carry out official duties with regard to the patient" in html
    officer = officer_consent(patient)  # an external recipient outside § 2.35 gets no such line
    params["consent"] = str(officer.pk)
    assert (
        "data-use-restriction"
        not in login(counselor).post(reverse("scheduling:attendance_report"), params).content.decode()
    )


def test_release_without_attendance_scope_is_refused(counselor, patient, attended):
    consent = officer_consent(patient, scopes=[Scope.SCHEDULE])
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        release_attendance_report(actor=counselor, patient=patient, consent=consent, start=today, end=today)
    assert not Disclosure.objects.exists()


def test_release_under_revoked_consent_is_refused(login, counselor, patient, attended):
    consent = officer_consent(patient)
    personas.revoke(consent)
    response = login(counselor).post(
        reverse("scheduling:attendance_report"), {**report_params(patient, attended), "consent": str(consent.pk)}
    )
    assert "Dana Lee" not in response.content.decode()
    assert not Disclosure.objects.exists()


def test_consent_of_another_patient_cannot_be_used(counselor, patient, other_patient, attended):
    personas.assign(counselor, other_patient)
    consent = officer_consent(other_patient)
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        release_attendance_report(actor=counselor, patient=patient, consent=consent, start=today, end=today)


def test_unassigned_counselor_cannot_pick_the_patient(login, unassigned_counselor, patient, attended):
    page = login(unassigned_counselor).get(reverse("scheduling:attendance_report"), report_params(patient, attended))
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert patient.full_name not in page.content.decode()


def test_report_date_range_is_validated(login, counselor, patient):
    page = login(counselor).get(
        reverse("scheduling:attendance_report"), {"patient": patient.pk, "start": "2027-02-01", "end": "2027-01-01"}
    )
    assert "must not be before" in page.content.decode()
