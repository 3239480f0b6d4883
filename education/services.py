"""Learning and assignment workflows: starting, finishing lessons, knowledge checks, restarts, assignments.

Progress belongs to the learner and is pinned to the version they started (``education.models``). Assignments
are patient data: creating or cancelling one is limited to the patient's care team and written to the audit log
(ids only).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.audit import record_audit
from consent.gate import is_care_team_for
from consent.models import AuditEvent
from education.models import Assignment, Lesson, LessonCompletion, Module, ModuleProgress
from education.notices import send_assignment_notices
from education.quizzes import (  # noqa: F401  (knowledge checks live in education.quizzes; kept here for callers)
    ChoiceResult,
    QuestionResult,
    QuizResult,
    grade_answers,
    result_of,
    submit_quiz,
)


def start_module(*, learner: Any, module: Module) -> ModuleProgress:
    """The learner's progress for ``module``, created on the module's current version the first time (a second tab
    starting it at the same moment gets the same row: ``get_or_create`` retries the read after a unique clash)."""

    def current_version() -> int:
        current = Module.objects.live().filter(pk=module.pk).values_list("current_version_id", flat=True).first()
        if current is None:
            raise ValidationError(_("This module is not available."))
        return current

    progress, _created = ModuleProgress.objects.select_related("version").get_or_create(
        learner=learner,
        module=module,
        defaults={"version_id": current_version},  # type: ignore[misc]  # a callable default runs only to create
    )
    return progress


def complete_lesson(*, progress: ModuleProgress, lesson: Lesson) -> ModuleProgress:
    """Mark a lesson of the learner's version as read and move the bookmark to the next one."""
    with transaction.atomic():
        if lesson.version_id != progress.version_id:
            raise ValidationError(_("That lesson is not part of this module."))
        LessonCompletion.objects.get_or_create(progress=progress, lesson=lesson)
        last = progress.version.lessons.count()
        progress.last_position = min(lesson.position + 1, last)
        progress.updated_at = timezone.now()
        refresh_completion(progress)
        progress.save()
        return progress


def restart_module(*, progress: ModuleProgress) -> ModuleProgress:
    """Start again on the newest published version: lesson checkmarks and the pass are cleared, attempts kept."""
    with transaction.atomic():
        progress = ModuleProgress.objects.select_for_update().select_related("module").get(pk=progress.pk)
        if progress.module.current_version_id is None:
            raise ValidationError(_("This module is not available."))
        progress.completions.all().delete()
        progress.version_id = progress.module.current_version_id
        progress.last_position = 1
        progress.quiz_passed_at = progress.completed_at = progress.best_score = None
        progress.started_at = progress.updated_at = timezone.now()
        progress.save()
        return progress


def refresh_completion(progress: ModuleProgress) -> None:
    """Done when every lesson of the version is read and its knowledge check (if any) is passed."""
    if progress.completed_at is not None:
        return
    version = progress.version
    lessons_left = version.lessons.exclude(pk__in=progress.completions.values("lesson_id")).exists()
    check_done = progress.quiz_passed_at is not None or not version.questions.exists()
    if not lessons_left and check_done:
        progress.completed_at = timezone.now()


def assign_module(*, counselor: Any, patient: Any, module: Module, due_on: date | None = None) -> Assignment:
    """Ask a patient's family to take a module. Family members see it while their consent includes education, and
    each of them gets a neutral notice (email, and a text if opted in) in this transaction."""
    with transaction.atomic():
        if not is_care_team_for(counselor, patient):
            raise PermissionDenied  # the view says why in its own words (assignment_list)
        if module.current_version_id is None or module.archived_at is not None:
            raise ValidationError(_("Only a published module can be assigned."))
        if due_on is not None and due_on < timezone.localdate():
            raise ValidationError(_("Choose a due date that is not in the past."))
        if Assignment.objects.active().filter(patient=patient, module=module).exists():
            raise ValidationError(_("This module is already assigned to this family."))
        assignment = Assignment.objects.create(patient=patient, module=module, assigned_by=counselor, due_on=due_on)
        record_audit(
            kind=AuditEvent.Kind.EDUCATION_ASSIGNED,
            actor=counselor,
            patient=patient,
            data={"assignment": str(assignment.pk), "module": str(module.pk)},
        )
        send_assignment_notices(assignment)
        return assignment


def cancel_assignment(*, assignment: Assignment, actor: Any) -> Assignment:
    """Withdraw an assignment; family members' own progress on the module is untouched."""
    with transaction.atomic():
        if not is_care_team_for(actor, assignment.patient):
            raise PermissionDenied  # the cancel view never gets here: get_visible_assignment answers 404 first
        if assignment.cancelled_at is None:
            assignment.cancelled_at = timezone.now()
            assignment.save(update_fields=["cancelled_at"])
            record_audit(
                kind=AuditEvent.Kind.EDUCATION_ASSIGNMENT_CANCELLED,
                actor=actor,
                patient=assignment.patient,
                data={"assignment": str(assignment.pk)},
            )
        return assignment
