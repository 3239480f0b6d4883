"""AZ-01: a consent carries every § 2.31 element; deficient consents are rejected; ending is an event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import User
from consent.models import Consent, ConsentEvent, ConsentFormVersion
from consent.services import grant_consent, record_paper_consent, review_paper_consent
from tests.support import personas

pytestmark = pytest.mark.django_db


def _valid(patient: User, **overrides: object) -> Consent:
    now = timezone.now()
    fields: dict[str, object] = {
        "program": patient.program,
        "discloser_label": "Riverside Program LLC",
        "patient": patient,
        "recipient_name": "Fran Rivera",
        "recipient_email": "fran@example.org",
        "scope_schedule": True,
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT,
        "expires_at": now + timedelta(days=30),
        "form_version": ConsentFormVersion.current(),
        "signature": "Pat Rivera",
        "signed_at": now,
        "approved_at": now,
    }
    fields.update(overrides)
    return Consent(**fields)


def test_complete_consent_passes_full_clean(patient):
    _valid(patient).full_clean()


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("discloser_label", {"discloser_label": "  "}),
        ("scope_education", {"scope_schedule": False}),
        ("recipient_name", {"recipient_name": ""}),
        ("recipient_email", {"recipient_email": ""}),
        ("purpose", {"purpose": ""}),
        ("purpose", {"purpose": "any_and_all"}),
        ("expires_at", {"expires_at": None}),
        ("form_version", {"form_version": None}),
        ("signature", {"signature": " "}),
        ("signed_at", {"signed_at": None}),
        ("guardian_signature", {"signer_role": Consent.SignerRole.PATIENT_AND_GUARDIAN}),
        ("paper_form_reference", {"method": Consent.Method.PAPER}),
        ("signed_by", {"signer_role": Consent.SignerRole.PERSONAL_REPRESENTATIVE}),
        ("recipient_organisation", {"recipient_kind": Consent.RecipientKind.EXTERNAL}),
    ],
)
def test_full_clean_rejects_consent_missing_element(patient, field, overrides):
    with pytest.raises(ValidationError) as excinfo:
        _valid(patient, **overrides).full_clean()
    assert field in excinfo.value.message_dict


def test_full_clean_rejects_expiry_before_signing(patient):
    consent = _valid(patient, expires_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError) as excinfo:
        consent.full_clean()
    assert "expires_at" in excinfo.value.message_dict


def test_full_clean_rejects_non_patient_giver(program, family_member):
    consent = _valid(family_member, program=program)
    with pytest.raises(ValidationError) as excinfo:
        consent.full_clean()
    assert "patient" in excinfo.value.message_dict


def test_full_clean_rejects_staff_recipient(patient, counselor):
    with pytest.raises(ValidationError) as excinfo:
        _valid(patient, recipient=counselor).full_clean()
    assert "recipient" in excinfo.value.message_dict


def test_expired_or_revoked_consent_is_not_effective(consent):
    assert consent.is_effective()
    assert not consent.is_effective(consent.expires_at)
    consent.revoked_at = timezone.now()
    assert not consent.is_effective()


def test_revocation_is_an_event_and_rows_are_never_deleted(consent, patient):
    personas.revoke(consent)
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert consent.signature == patient.full_name  # every element kept
    kinds = list(consent.events.values_list("kind", flat=True))
    assert kinds == [ConsentEvent.Kind.GRANTED, ConsentEvent.Kind.REVOKED]
    with pytest.raises(ProtectedError):
        consent.delete()


def test_paper_consent_is_not_effective_until_reviewed_and_not_before_review(patient, counselor, program):
    colleague = personas.make_staff("cole@example.org", program)
    signed = timezone.now() - timedelta(days=2)
    consent = record_paper_consent(
        staff=counselor,
        patient=patient,
        recipient_name="Fran Rivera",
        recipient_email="fran@example.org",
        scopes=["schedule"],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
        signed_at=signed,
        paper_form_reference="Scan 2026-14",
        attested=True,
    )
    assert not consent.is_effective()
    review_paper_consent(reviewer=colleague, consent=consent, approve=True)
    consent.refresh_from_db()
    assert consent.is_effective()
    # Looking back, it was not usable while it waited for review.
    assert not Consent.objects.effective(signed + timedelta(days=1)).filter(pk=consent.pk).exists()


def test_portal_grant_records_signer_and_approval(patient, family_member):
    consent = grant_consent(
        patient=patient,
        recipient=family_member,
        recipient_name="Fran Rivera",
        recipient_email=family_member.email,
        scopes=["education"],
        expires_at=timezone.now() + timedelta(days=10),
        signature="Pat Rivera",
    )
    assert consent.signed_by == patient
    assert consent.approved_at == consent.signed_at
    assert consent.events.get().kind == ConsentEvent.Kind.GRANTED
