"""Consent object URLs for the IDOR matrix (tests/test_idor_matrix.py): everything that belongs to a patient."""

from __future__ import annotations

import uuid

from django.urls import reverse

from accounts.models import User
from consent.models import PersonalRepresentative
from consent.services import record_personal_representative
from tests.support import personas


def object_urls(owner_patient: User) -> list[str]:
    """URLs of consent objects belonging to ``owner_patient``, created through the real services."""
    tag = uuid.uuid4().hex[:8]
    member = personas.make_user(f"idor-f-{tag}@example.org", User.Role.FAMILY, None)
    consent = personas.consent_for(owner_patient, member)
    assert owner_patient.program is not None
    staff = personas.make_staff(f"idor-s-{tag}@example.org", owner_patient.program)
    personas.assign(staff, owner_patient)
    representative = record_personal_representative(
        staff=staff,
        patient=owner_patient,
        representative=personas.make_user(f"idor-r-{tag}@example.org", User.Role.FAMILY, None),
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Order 1",
    )
    by_consent = [
        "consent_detail",
        "consent_print",
        "revoke",
        "change",
        "invite",
        "review",
        "record_revocation",
        "end_by_event",
        "revocable_event",
        "what_you_can_see_detail",
    ]
    by_patient = [
        "my_sharing_for",
        "grant_for",
        "grant_court_for",
        "history_for",
        "patient_detail",
        "record_paper_consent",
        "record_representative",
        "ledger_export",
    ]
    return [
        *(reverse(f"consent:{name}", args=[consent.pk]) for name in by_consent),
        *(reverse(f"consent:{name}", args=[owner_patient.pk]) for name in by_patient),
        reverse("consent:end_representative", args=[representative.pk]),
    ]
