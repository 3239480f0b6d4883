"""Dashboard cards for education: each role sees what it needs next, with an empty state that says what to do."""

from __future__ import annotations

from collections import Counter

from django.db.models import OuterRef, Subquery

from consent.models import Scope
from education.access import (
    AuthedRequest,
    editable_modules,
    family_assignments,
    readable_modules,
    visible_assignments,
)
from education.models import Assignment, ModuleProgress, ModuleVersion
from family_portal.dashboard import Card, disclose

LIMIT = 3


def cards(request: AuthedRequest) -> list[Card]:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_family:
        return [_family_card(request)]
    if user.is_care_staff:
        return [_staff_card(request)]
    if user.is_patient:
        return [Card("Learn about family involvement", "education/cards/patient.html", {}, order=60)]
    return []


def _family_card(request: AuthedRequest) -> Card:
    """Assigned modules first (disclosed through the gate), then modules in progress."""
    assigned = _disclosed_assignments(request)
    assigned_ids = {a.module_id for a in assigned}
    in_progress = [
        row
        for row in ModuleProgress.objects.filter(
            learner=request.user, completed_at__isnull=True, module__in=readable_modules(request.user)
        )
        .select_related("module", "version")
        .order_by("-updated_at")[: LIMIT + len(assigned_ids)]
        if row.module_id not in assigned_ids
    ][:LIMIT]
    return Card(
        "Learning",
        "education/cards/family.html",
        {"assigned": assigned[:LIMIT], "more_assigned": max(0, len(assigned) - LIMIT), "in_progress": in_progress},
        order=20,
    )


def _disclosed_assignments(request: AuthedRequest) -> list[Assignment]:
    """``education.access.family_assignments`` with the ledger rows (one per patient shown) written in one insert
    with the other cards' rows."""
    assignments = family_assignments(request.user)
    disclose(request, {a.patient_id for a in assignments}, Scope.EDUCATION, what="Education assignments")
    return assignments


def _staff_card(request: AuthedRequest) -> Card:
    """Drafts and versions waiting for review, and the assignments this counselor made."""
    newest = ModuleVersion.objects.filter(module=OuterRef("pk")).order_by("-number")
    statuses = Counter(
        editable_modules(request.user)
        .annotate(latest_status=Subquery(newest.values("status")[:1]))
        .values_list("latest_status", flat=True)
    )
    mine = (
        visible_assignments(request.user)
        .filter(assigned_by=request.user)
        .select_related("patient", "module__current_version")
        .order_by("due_on", "-created_at")
    )
    return Card(
        "Education",
        "education/cards/staff.html",
        {
            "drafts": statuses.get(ModuleVersion.Status.DRAFT, 0),
            "in_review": statuses.get(ModuleVersion.Status.IN_REVIEW, 0),
            "assignments": list(mine[:5]),
            "assignment_count": mine.count(),
        },
        order=40,
    )
