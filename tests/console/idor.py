"""IDOR matrix support (AZ-03): console URLs whose ids belong to ``owner_patient``'s program (its counselor, the
caseload assignment). A cross-app test requests each as an outsider, an unassigned counselor and a learner and
expects 404; tests/console/test_access.py adds an admin of another program."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import CaseloadAssignment
from consent.models import ConsentFormVersion
from tests.support import personas


def object_urls(owner_patient: Any) -> list[str]:
    assignment = CaseloadAssignment.objects.active().filter(patient=owner_patient).first()
    if assignment is None:
        counselor = personas.make_staff(f"console-idor-{owner_patient.pk}@example.org", owner_patient.program)
        assignment = personas.assign(counselor, owner_patient)
    staff_id = assignment.counselor_id
    return [
        reverse("console:staff_edit", args=[staff_id]),
        reverse("console:staff_deactivate", args=[staff_id]),
        reverse("console:staff_reactivate", args=[staff_id]),
        reverse("console:caseload_end", args=[assignment.pk]),
        reverse("console:consent_form", args=[ConsentFormVersion.current().pk]),
    ]
