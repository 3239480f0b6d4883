"""IDOR matrix support (AZ-03): GET URLs of education objects that belong to ``owner_patient``.

A cross-app test requests each as an outsider, an unassigned counselor and a learner and expects 404.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import CaseloadAssignment, User
from education.models import Assignment, Module
from education.services import assign_module
from tests.education.factories import published_module
from tests.support import personas


def object_urls(owner_patient: Any) -> list[str]:
    assignment = CaseloadAssignment.objects.active().filter(patient=owner_patient).select_related("counselor").first()
    counselor = assignment.counselor if assignment else None
    if counselor is None:
        counselor = personas.make_staff(f"idor-{owner_patient.pk}@example.org", owner_patient.program)
        personas.assign(counselor, owner_patient)
    slug = f"idor-module-{owner_patient.pk}"
    module = Module.objects.filter(slug=slug).first() or published_module(slug)
    created = Assignment.objects.active().filter(patient_id=owner_patient.pk, module=module).first() or assign_module(
        counselor=counselor, patient=User.objects.get(pk=owner_patient.pk), module=module
    )
    return [
        reverse("education:assignment", kwargs={"assignment_id": created.pk}),
        reverse("education:assignment_cancel", kwargs={"assignment_id": created.pk}),
    ]
