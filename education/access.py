"""Who may read or edit which learning content, and whose progress a counselor may see.

Learners (rule of issue 15, decided here): general education is not patient information.
- general published modules — all shared content, and a program's own modules unless marked enrolled-only: every
  signed-in person, consented or not, patients included;
- a program's enrolled-only module (``ModuleVersion.enrolled_only`` on its current version): that program's care
  staff, and family members who hold an effective consent (any scope) or a personal representative's authority
  for a patient of that program (``consent.gate.visibility(user).linked_programs``); everyone else 404;
- drafts, modules in review, archived modules and other programs' unpublished content: never (404).
Authoring: care staff edit shared content and their own program's modules; publishing needs
``User.may_publish_content``.
Module content is generic, never patient data; assignments and progress tied to a patient go through the gate.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from consent.gate import is_care_team_for, recipients, visibility, visible_patient_ids, visible_patients
from consent.ledger import record_disclosures
from consent.models import Scope
from education.models import Assignment, Module, ModuleQuerySet
from family_portal.requests import PortalRequest
from family_portal.staff_guard import is_care_staff


def enrolled_programs(user: Any) -> frozenset[int]:
    """The programs whose enrolled-only modules ``user`` may read: a care staff member's own program; for a family
    member, the programs of the patients they hold an effective consent or authority for (the gate's answer,
    remembered per request); nothing for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_care_staff:
        return frozenset({user.program_id} - {None})
    if user.is_family:
        return frozenset(pk for pk in visibility(user).linked_programs if pk is not None)
    return frozenset()


def readable_modules(user: Any) -> ModuleQuerySet:
    """Published modules ``user`` may read as a learner (see the module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return Module.objects.live().none()
    return modules_readable_in(enrolled_programs(user))


def modules_readable_in(programs: Any) -> ModuleQuerySet:
    """``readable_modules`` of an active learner whose ``enrolled_programs`` are ``programs``."""
    general = Q(program__isnull=True) | Q(current_version__enrolled_only=False)
    return Module.objects.live().filter(general | Q(program_id__in=programs))


def get_readable_module(user: Any, slug: str) -> Module:
    """The module at ``slug`` if ``user`` may read it, with its current version; 404 otherwise."""
    module = readable_modules(user).select_related("current_version").filter(slug=slug).first()
    if module is None:
        raise Http404
    return module


def can_author(user: Any) -> bool:
    """Care staff write and manage education content (the staff guard's own test)."""
    return is_care_staff(user)


def editable_modules(user: Any) -> ModuleQuerySet:
    """Every module, in any state, that ``user`` may edit: shared content and their program's own."""
    if not can_author(user):
        return Module.objects.none()
    return Module.objects.for_program(user.program_id)


def get_editable_module(user: Any, slug: str) -> Module:
    module = editable_modules(user).filter(slug=slug).first()
    if module is None:
        raise Http404
    return module


def visible_assignments(staff: Any) -> QuerySet[Assignment]:
    """Active assignments of patients on ``staff``'s caseload (or program, for an admin), via the gate."""
    if not can_author(staff):
        return Assignment.objects.none()
    return Assignment.objects.active().filter(patient__in=visible_patients(staff, Scope.EDUCATION))


def get_visible_assignment(staff: Any, assignment_id: Any) -> Assignment:
    """An assignment ``staff`` may manage; 404 for everyone else, family members included (AZ-03)."""
    assignment = (
        visible_assignments(staff)
        .select_related("module__current_version", "patient", "assigned_by")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not is_care_team_for(staff, assignment.patient_id):
        raise Http404
    return assignment


def education_recipients(patient: Any) -> QuerySet[User]:
    """Family members who may see ``patient``'s education information now (``consent.gate.recipients``: one
    query), so a counselor's progress page costs the same for one family member as for twenty."""
    return User.objects.filter(pk__in=recipients(patient, Scope.EDUCATION), role=User.Role.FAMILY)


def family_assignments(user: Any) -> list[Assignment]:
    """A family member's active assignments of modules they may read, for the patients whose education scope they
    hold now (one query; the gate's answer is remembered per request). Other roles get []."""
    if not user.is_active or not user.is_family:  # an AnonymousUser is never active (and has no is_family)
        return []
    return list(
        Assignment.objects.active()
        .filter(patient_id__in=visible_patient_ids(user, Scope.EDUCATION), module__in=readable_modules(user))
        .select_related("module__current_version")
        .order_by("due_on", "created_at")
    )


def disclosed_assignments(request: PortalRequest) -> list[Assignment]:
    """``family_assignments`` for the viewer, with the disclosure recorded: showing them discloses that the
    patient's care team asked for them, so each patient shown gets a ledger row (one insert) and the page must
    carry the § 2.32 notice."""
    assignments = family_assignments(request.user)
    patient_ids = {a.patient_id for a in assignments}
    record_disclosures(request.user, patient_ids, Scope.EDUCATION, what="Education assignments")
    return assignments
