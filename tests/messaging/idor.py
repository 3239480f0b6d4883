"""Object URLs of messaging belonging to a patient, for the cross-app IDOR matrix (AZ-03).

Every URL answers GET (edit and delete show their confirmation forms). The matrix requests each one as the
outsider, an unassigned counselor and a learner and expects 404.
"""

from __future__ import annotations

from django.urls import reverse

from accounts.models import CaseloadAssignment, User
from consent.models import Consent, Scope
from messaging import services
from tests.support import personas


def _counselor_for(patient: User) -> User:
    assignment = CaseloadAssignment.objects.active().filter(patient=patient).select_related("counselor").first()
    if assignment is not None:
        return assignment.counselor
    assert patient.program is not None
    counselor = personas.make_staff(f"idor-msg-{patient.pk}@example.org", patient.program)
    personas.assign(counselor, patient)
    return counselor


def _family_for(patient: User) -> User:
    consent = (
        Consent.objects.effective().with_scope(Scope.MESSAGING).filter(patient=patient, recipient__isnull=False).first()
    )
    if consent is not None and consent.recipient is not None:
        return consent.recipient
    member = personas.make_user(f"idor-msg-family-{patient.pk}@example.org", User.Role.FAMILY, None)
    personas.consent_for(patient, member, scopes=[Scope.MESSAGING])
    return member


def object_urls(owner_patient: User) -> list[str]:
    counselor = _counselor_for(owner_patient)
    family = _family_for(owner_patient)
    care_team = services.care_team_conversation(owner_patient)
    private = services.private_conversation(family, owner_patient)
    services.send_message(sender=family, conversation=private, body="Only for the care team")
    direct = services.start_direct_conversation(starter=counselor, patient=owner_patient, other=family)
    staff_note = services.send_message(sender=counselor, conversation=care_team, body="Care team note")
    services.edit_message(editor=counselor, message=staff_note, body="Care team note (edited)")
    family_note = services.send_message(sender=family, conversation=direct, body="Family question")
    return [
        reverse("messaging:conversation", args=[care_team.pk]),
        reverse("messaging:conversation", args=[direct.pk]),
        reverse("messaging:conversation", args=[private.pk]),
        reverse("messaging:edit_message", args=[care_team.pk, staff_note.pk]),
        reverse("messaging:delete_message", args=[care_team.pk, staff_note.pk]),
        reverse("messaging:message_history", args=[care_team.pk, staff_note.pk]),
        reverse("messaging:edit_message", args=[direct.pk, family_note.pk]),
        reverse("messaging:delete_message", args=[direct.pk, family_note.pk]),
        reverse("messaging:message_history", args=[direct.pk, family_note.pk]),
    ]
