"""Caseloads as a program admin manages them (AZ-06): who carries whom, assigning a patient, ending an assignment.

The caseload table is the ``CASELOAD`` grant of ``consent.policy``, so reading and writing it for the program
console happens here, inside ``consent/`` (AZ-09). An assignment is never deleted: ending it sets ``ended_at``,
which ends the counselor's access at that instant and keeps the record of who was responsible when.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CaseloadAssignment, User
from consent.audit import record_audit
from consent.models import AuditEvent


def program_assignments(program_id: int) -> QuerySet[CaseloadAssignment]:
    """The assignments in force now between a counselor and a patient of the program, people loaded."""
    return (
        CaseloadAssignment.objects.active()
        .filter(counselor__program_id=program_id, patient__program_id=program_id)
        .select_related("counselor", "patient")
        .order_by("patient__full_name", "patient__email", "pk")
    )


def assignment_in_program(program_id: int, assignment_id: Any) -> CaseloadAssignment | None:
    """The assignment in force with this id between people of the program, else ``None`` (ended, another
    program's, or no such row: the caller answers all three with the same 404)."""
    return program_assignments(program_id).filter(pk=assignment_id).first()


def caseload_sizes(counselor_ids: Collection[int]) -> dict[int, int]:
    """How many patients each counselor carries now (counselors with none are missing from the answer)."""
    now = timezone.now()
    in_force = Q(caseload__assigned_at__lte=now) & (Q(caseload__ended_at__isnull=True) | Q(caseload__ended_at__gt=now))
    rows = (
        User.objects.filter(pk__in=list(counselor_ids))
        .annotate(carried=Count("caseload", filter=in_force))
        .values_list("pk", "carried")
    )
    return {pk: carried for pk, carried in rows if carried}


def _require_admin_of(admin: User, *people: User) -> None:
    if not (admin.is_active and admin.is_program_admin and admin.program_id):
        raise PermissionDenied(_("Only a program admin manages caseloads."))
    if any(person.program_id != admin.program_id for person in people):
        raise PermissionDenied(_("Not in the admin's program."))


@transaction.atomic
def assign_patient(
    *, admin: User, counselor: User, patient: User, request: HttpRequest | None = None
) -> CaseloadAssignment:
    """Put ``patient`` on ``counselor``'s caseload from now on; audited with ids only (DATA-01).

    Both must be active and in the admin's program; a pair already in force is refused with a form error."""
    _require_admin_of(admin, counselor, patient)
    if not (counselor.is_active and counselor.is_counselor):
        raise ValidationError({"counselor": _("Choose an active counselor.")})
    if not (patient.is_active and patient.is_patient):
        raise ValidationError({"patient": _("Choose an active patient.")})
    already = _("This patient is already on that counselor's caseload.")
    if CaseloadAssignment.objects.active().filter(counselor=counselor, patient=patient).exists():
        raise ValidationError({"patient": already})
    try:
        with transaction.atomic():
            assignment = CaseloadAssignment.objects.create(counselor=counselor, patient=patient)
    except IntegrityError:  # a second admin assigned the same pair a moment ago
        raise ValidationError({"patient": already}) from None
    record_audit(
        kind=AuditEvent.Kind.ADMIN_CHANGE,
        actor=admin,
        patient=patient,
        request=request,
        data={"action": "caseload_assigned", "assignment": assignment.pk, "counselor": counselor.pk},
    )
    return assignment


@transaction.atomic
def end_assignment(
    *, admin: User, assignment: CaseloadAssignment, request: HttpRequest | None = None
) -> CaseloadAssignment:
    """End an assignment now (``ended_at``; the row stays); the counselor's access through it ends at once."""
    locked = CaseloadAssignment.objects.select_for_update().select_related("counselor", "patient").get(pk=assignment.pk)
    _require_admin_of(admin, locked.counselor, locked.patient)
    now = timezone.now()
    if locked.ended_at is not None and locked.ended_at <= now:
        raise ValidationError(_("This assignment has already ended."))
    locked.ended_at = now
    locked.save(update_fields=["ended_at"])
    record_audit(
        kind=AuditEvent.Kind.ADMIN_CHANGE,
        actor=admin,
        patient=locked.patient,
        request=request,
        data={"action": "caseload_ended", "assignment": locked.pk, "counselor": locked.counselor_id},
    )
    return locked


def caseload_patient_ids(counselor: User) -> Any:
    """The ids (a subquery) of the patients assigned to ``counselor`` now: a counselor's own caseload, for views
    that count it (program insights). Access is still the gate's: callers intersect with what it allows."""
    return CaseloadAssignment.objects.active().filter(counselor=counselor).values("patient_id")


def caseload_patient_ids_at(counselor_id: Any, at: Any) -> Any:
    """``caseload_patient_ids`` with the counselor's id and the instant given as values, or as placeholders of a
    query compiled once (``console.insights.compiled.Slot``). Access is still the gate's, as above."""
    return CaseloadAssignment.objects.active(at).filter(counselor_id=counselor_id).values("patient_id")
