"""Object URLs of a family member's own check-ins, for the cross-app IDOR matrix (AZ-03).

A check-in belongs to its author, not to the patient: the matrix's outsider, unassigned counselor and learner all
get 404, and tests/accounts/test_checkins.py adds the patient and a representative of the patient.
"""

from __future__ import annotations

from django.urls import reverse

from accounts.checkin_sharing import save_checkin
from accounts.models import User
from tests.support import personas


def object_urls(owner_patient: User) -> list[str]:
    member = personas.make_user(f"idor-checkin-{owner_patient.pk}@example.org", User.Role.FAMILY, None)
    personas.consent_for(owner_patient, member)
    checkin, _replaced = save_checkin(member=member, answers=(1, 1, 1, 1), confidence=3, share=True)
    return [
        reverse("accounts:checkin_result", args=[checkin.pk]),
        reverse("accounts:checkin_sharing", args=[checkin.pk]),
    ]
