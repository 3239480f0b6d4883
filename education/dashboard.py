"""Dashboard cards for education: each role sees what it needs next, with an empty state that says what to do."""

from __future__ import annotations

from collections import Counter

from django.db.models import Case, Count, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext as _

from consent.models import Scope
from education import translating
from education.access import (
    editable_modules,
    family_assignments,
    readable_modules,
    visible_assignments,
)
from education.models import Assignment, ModuleProgress, ModuleVersion
from family_portal.dashboard import Card, disclose
from family_portal.requests import PortalRequest

LIMIT = 3


def cards(request: PortalRequest) -> list[Card]:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_family:
        return [_family_card(request)]
    if user.is_care_staff:
        return [_staff_card(request)]
    if user.is_patient:
        return [Card(_("Learn about family involvement"), "education/cards/patient.html", {}, order=60)]
    return []


def _family_card(request: PortalRequest) -> Card:
    """Assigned modules first (disclosed through the gate), each with how far the learner got, then modules in
    progress. One query reads both kinds of progress row (with lesson counts), so the card costs what it did."""
    assigned = _disclosed_assignments(request)
    assigned_ids = {a.module_id for a in assigned}
    rows = list(
        ModuleProgress.objects.filter(learner=request.user, module__in=readable_modules(request.user))
        .filter(Q(completed_at__isnull=True) | Q(module_id__in=assigned_ids))
        .select_related("module", "version")
        .annotate(
            lesson_done=Count("completions", distinct=True),
            lesson_total=Count("version__lessons", distinct=True),
            assigned_first=Case(When(module_id__in=assigned_ids, then=Value(0)), default=Value(1))
            if assigned_ids
            else Value(1),
        )
        .order_by("assigned_first", "-updated_at")[: LIMIT + len(assigned_ids)]
    )
    progress = {row.module_id: row for row in rows if row.module_id in assigned_ids}
    in_progress = [row for row in rows if row.module_id not in assigned_ids][:LIMIT]
    shown = [a.module.current_version for a in assigned[:LIMIT] if a.module.current_version] + [
        row.version for row in in_progress
    ]
    translating.localize_versions(shown, translating.content_language(request.LANGUAGE_CODE))  # none in English
    return Card(
        _("Learning"),
        "education/cards/family.html",
        {
            "assigned": assigned[:LIMIT],
            "assigned_progress": [(a, progress.get(a.module_id)) for a in assigned[:LIMIT]],
            "more_assigned": max(0, len(assigned) - LIMIT),
            "in_progress": in_progress,
        },
        order=20,
    )


def _disclosed_assignments(request: PortalRequest) -> list[Assignment]:
    """``education.access.family_assignments`` with the ledger rows (one per patient shown) written in one insert
    with the other cards' rows."""
    assignments = family_assignments(request.user)
    disclose(request, {a.patient_id for a in assignments}, Scope.EDUCATION, what="Education assignments")
    return assignments


def _staff_card(request: PortalRequest) -> Card:
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
        _("Education"),
        "education/cards/staff.html",
        {
            "drafts": statuses.get(ModuleVersion.Status.DRAFT, 0),
            "in_review": statuses.get(ModuleVersion.Status.IN_REVIEW, 0),
            "assignments": list(mine[:5]),
            "assignment_count": mine.count(),
        },
        order=40,
    )
