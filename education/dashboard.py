"""Dashboard cards for education: each role sees what it needs next, with an empty state that says what to do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from consent.models import Scope
from education import translating
from education.access import (
    editable_modules,
    enrolled_programs,
    modules_readable_in,
    readable_modules,
    visible_assignments,
)
from education.models import Assignment, ModuleProgress, ModuleQuerySet, ModuleVersion
from family_portal.dashboard import Card, PreparedWithIds, disclose, visible_patient_ids
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
    progress. One query reads the assignments and both kinds of progress row (``_learning``)."""
    assigned, in_progress = _learning(request)
    disclose(request, {a.patient_id for a, _progress in assigned}, Scope.EDUCATION, what="Education assignments")
    assigned_shown, in_progress = assigned[:LIMIT], in_progress[:LIMIT]
    shown = [a.module.current_version for a, _progress in assigned_shown if a.module.current_version] + [
        row.version for row in in_progress
    ]
    translating.localize_versions(shown, translating.content_language(request.LANGUAGE_CODE))  # none in English
    return Card(
        _("Learning"),
        "education/cards/family.html",
        {
            "assigned": [a for a, _progress in assigned_shown],
            "assigned_progress": assigned_shown,
            "more_assigned": max(0, len(assigned) - LIMIT),
            "in_progress": in_progress,
        },
        order=20,
    )


def _learning(request: PortalRequest) -> tuple[list[tuple[Assignment, ModuleProgress | None]], list[ModuleProgress]]:
    """The viewer's active assignments in due order, each with their progress on its module, and their unfinished
    progress on modules not assigned, newest first; progress rows carry ``lesson_done`` and ``lesson_total``.

    One query: the modules the viewer may read, each joined to its assignments and to the viewer's progress row.
    The assignments are exactly ``education.access.family_assignments``: active, for the patients whose education
    scope the gate grants now, of modules the viewer may read."""
    user = request.user
    patient_ids = visible_patient_ids(request, Scope.EDUCATION)
    rows = None
    if user.is_family and user.is_active:  # ``readable_modules`` is ``modules_readable_in`` their programs
        ids = {"program": enrolled_programs(user), "patient": patient_ids}
        rows = _PREPARED_LEARNING.rows(ids, learner=user.pk)
    if rows is None:
        rows = list(_learning_query(readable_modules(user), user, patient_ids))
    assigned: list[tuple[Assignment, ModuleProgress | None]] = []
    in_progress: list[ModuleProgress] = []
    for module in rows:
        # ``select_related`` sets a filtered reverse relation only where a row joined: absent means none.
        mine: ModuleProgress | None = getattr(module, "mine", None)
        if mine is not None:
            mine.module = module
            vars(mine).update(lesson_done=module.lesson_done, lesson_total=module.lesson_total)
        assignment: Assignment | None = getattr(module, "assigned", None)
        if assignment is not None:
            assignment.module = module
            assigned.append((assignment, mine))
        elif mine is not None:
            in_progress.append(mine)
    assigned.sort(key=lambda pair: _due_order(pair[0]))
    in_progress.sort(key=lambda row: row.updated_at, reverse=True)
    return assigned, in_progress


def _learning_query(modules: ModuleQuerySet, learner: Any, patient_ids: Collection[int]) -> ModuleQuerySet:
    """``modules`` (those the learner may read) that ``learner`` has unfinished progress on or that are assigned
    to one of ``patient_ids``, with the progress row and the assignment joined."""
    progress = ModuleProgress.objects.filter(pk=OuterRef("mine__id"))
    modules = (
        modules.annotate(
            mine=FilteredRelation("progress", condition=Q(progress__learner=learner)),
            lesson_done=Subquery(progress.annotate(n=Count("completions")).values("n")),
            lesson_total=Subquery(progress.annotate(n=Count("version__lessons")).values("n")),
        ).alias(mine_id=F("mine__id"), mine_completed_at=F("mine__completed_at"))  # filters reuse the one join
    )
    shown = Q(mine_id__isnull=False, mine_completed_at__isnull=True)
    related = ["current_version", "mine__version"]
    # With no patient there is no assignment to join (an empty ``__in`` in a join would empty the whole query).
    if patient_ids:
        active = Q(assignments__cancelled_at__isnull=True, assignments__patient_id__in=patient_ids)
        modules = modules.annotate(assigned=FilteredRelation("assignments", condition=active))
        shown |= Q(assigned__isnull=False)
        related.append("assigned")
    return modules.filter(shown).select_related(*related).order_by()


def _prepared_learning(ids: dict[str, list[int]], learner: int) -> ModuleQuerySet:
    """``_learning_query`` for a family member, from the ids of their programs and patients."""
    return _learning_query(modules_readable_in(ids["program"]), learner, ids["patient"])


# Its SQL compiled once per process for each number of programs and patients (``family_portal.dashboard``).
_PREPARED_LEARNING = PreparedWithIds(_prepared_learning, learner=int)


def _due_order(assignment: Assignment) -> tuple[bool, date, datetime]:
    """``order_by("due_on", "created_at")`` as the database sorts it, undated first or last (sorting in Python
    spares compiling the ordering, the costliest part of the card's query)."""
    undated = assignment.due_on is None
    return (
        undated if connection.features.nulls_order_largest else not undated,
        assignment.due_on or date.min,
        assignment.created_at,
    )


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
