"""Local support groups a program lists for its own families (issue 15, item 8).

The starter module "Finding support for yourself" describes the national groups (Al-Anon, Nar-Anon, SMART Recovery
Family & Friends, NAMI). A program can add its own local groups: care staff add, edit, deactivate and reactivate
their own program's groups (``education.views.support_groups``, behind ``staff_required``), and every change is
written to the audit log with ids only (``ADMIN_CHANGE``, like other staff writes).

Families see the active groups of the programs the gate links them to now (``consent.gate.visibility`` →
``linked_programs``: the programs of the patients whose consent names them or whom they represent) at the end of
that module's last lesson and on its overview page. A learner linked to no program sees only the national list;
care staff see their own program's groups, as families of that program would. A group is program information,
never patient data, so showing it discloses nothing and needs no ledger row.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.audit import record_audit
from consent.gate import visibility
from consent.models import AuditEvent
from education.models import LocalSupportGroup, Module

SUPPORT_MODULE_SLUG = "finding-support-for-yourself"
EDITABLE_FIELDS = ("name", "description", "meeting_times", "how_to_join", "url")


def shows_local_groups(module: Module) -> bool:
    """Whether ``module`` is the one that ends with the program's own support groups."""
    return module.slug == SUPPORT_MODULE_SLUG


def groups_for_learner(user: Any) -> list[LocalSupportGroup]:
    """The active local groups ``user`` may see as a learner, by name: care staff their own program's; anyone else
    those of the programs the gate links them to now (none for a learner linked to no program)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_care_staff:
        programs = {user.program_id} - {None}
    else:
        programs = {program for program in visibility(user).linked_programs if program is not None}
    if not programs:
        return []
    return list(LocalSupportGroup.objects.filter(program_id__in=programs, is_active=True).order_by("name"))


def groups_managed_by(staff: Any) -> QuerySet[LocalSupportGroup]:
    """Every group, active or not, of the staff member's program; none for staff without a program."""
    if staff.program_id is None:
        return LocalSupportGroup.objects.none()
    return LocalSupportGroup.objects.filter(program_id=staff.program_id)


def _audit(actor: Any, group: LocalSupportGroup, action: str) -> None:
    record_audit(
        kind=AuditEvent.Kind.ADMIN_CHANGE,
        actor=actor,
        data={"action": action, "support_group": str(group.pk), "program": group.program_id},
    )


def _check_owner(actor: Any, group: LocalSupportGroup) -> None:
    if not actor.is_care_staff or actor.program_id is None or group.program_id != actor.program_id:
        raise PermissionDenied("Not your program's group.")


@transaction.atomic
def add_group(*, actor: Any, **fields: Any) -> LocalSupportGroup:
    """Add a group to the staff member's own program; invalid fields raise ``ValidationError`` and save nothing."""
    if not actor.is_care_staff:
        raise PermissionDenied("Care staff only.")
    if actor.program_id is None:
        raise ValidationError(_("Your account is not linked to a program, so there is no list to add to."))
    group = LocalSupportGroup(program_id=actor.program_id, created_by=actor, **_editable(fields))
    group.full_clean()
    group.save()
    _audit(actor, group, "support_group_added")
    return group


@transaction.atomic
def update_group(*, actor: Any, group: LocalSupportGroup, **fields: Any) -> LocalSupportGroup:
    """Change a group's details; nothing is saved (or audited) if a field is invalid or nothing changed."""
    _check_owner(actor, group)
    changes = {key: value for key, value in _editable(fields).items() if getattr(group, key) != value}
    if not changes:
        return group
    for key, value in changes.items():
        setattr(group, key, value)
    group.updated_at = timezone.now()
    try:
        group.full_clean()
    except ValidationError:
        group.refresh_from_db()
        raise
    group.save()
    _audit(actor, group, "support_group_changed")
    return group


@transaction.atomic
def set_active(*, actor: Any, group: LocalSupportGroup, active: bool) -> LocalSupportGroup:
    """Show a group to families again, or stop showing it (it is kept, never deleted)."""
    _check_owner(actor, group)
    if group.is_active == active:
        return group
    group.is_active = active
    group.updated_at = timezone.now()
    group.save(update_fields=["is_active", "updated_at"])
    _audit(actor, group, "support_group_reactivated" if active else "support_group_deactivated")
    return group


def _editable(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    return fields
