"""The bridge to ``notifications`` for assignments: each family member who may see the patient's education
information hears of a new assignment by email and (if opted in) text, in the assignment's transaction (JOB-01).

The notice says only that something new is on their learning page; the row names the patient and the education
scope so the worker asks the consent gate again at send time, and ``assignment_still_active`` (registered for
``assignment:`` subjects) drops it if the assignment was withdrawn before it went out.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse

from consent.models import Scope
from education.access import education_recipients
from education.models import Assignment


def subject_of(assignment: Assignment) -> str:
    return f"assignment:{assignment.pk}"


def send_assignment_notices(assignment: Assignment) -> list[Any]:
    """Queue one notice per family member (and channel) for a new assignment."""
    from notifications.notices import ASSIGNMENT_NEW, send_notice

    rows: list[Any] = []
    for member in education_recipients(assignment.patient).order_by("pk"):
        rows += send_notice(
            recipient=member,
            template_key=ASSIGNMENT_NEW,
            event=subject_of(assignment),
            link_path=reverse("education:catalogue"),
            program=assignment.patient.program,
            patient=assignment.patient,
            scope=Scope.EDUCATION,
            subject=subject_of(assignment),
        )
    return rows


def assignment_still_active(row: Any) -> bool:
    """Send-time check: the assignment exists and has not been withdrawn."""
    try:
        assignment_id = uuid.UUID(row.subject.split(":", 1)[1])
    except (IndexError, ValueError):
        return False
    return Assignment.objects.active().filter(pk=assignment_id).exists()
