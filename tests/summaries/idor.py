"""Object URLs of progress summaries belonging to a patient, for the cross-app IDOR matrix (AZ-03): a released
summary's page, its edit and review URLs, and the patient's staff pages. Everyone else gets 404."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import CaseloadAssignment, User
from tests.summaries.helpers import released_summary
from tests.support import personas


def object_urls(owner_patient: User) -> list[str]:
    assignment = CaseloadAssignment.objects.active().filter(patient=owner_patient).select_related("counselor").first()
    if assignment is not None:
        counselor = assignment.counselor
    else:
        assert owner_patient.program is not None
        counselor = personas.make_staff(f"idor-sum-{owner_patient.pk}@example.org", owner_patient.program)
        personas.assign(counselor, owner_patient)
    summary = released_summary(counselor, owner_patient)
    return [
        reverse("summaries:detail", args=[summary.pk]),
        reverse("summaries:edit", args=[summary.pk]),
        reverse("summaries:review", args=[summary.pk]),
        reverse("summaries:patient", args=[owner_patient.pk]),
        reverse("summaries:new", args=[owner_patient.pk]),
    ]
