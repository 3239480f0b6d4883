"""The waiting list's own workflows: a counselor changes a group's number of places, a family member leaves the
waiting list. Both lock the session row first (as ``respond_rsvp`` does) and are audited.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.gate import DisclosureRefused
from consent.models import AuditEvent
from scheduling.models import FamilySession, Participant
from scheduling.services.booking import check_staff
from scheduling.services.places import fill_free_places

MAX_CAPACITY = 500


@transaction.atomic
def change_capacity(*, actor: User, session: FamilySession, capacity: int | None) -> list[Participant]:
    """Set a group's number of places (None: no limit). More places go at once to the people waiting, in the order
    they asked, and each is told; fewer places move nobody who is already going (no one new gets in until enough
    people leave). Returns the participants promoted."""
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError(_("This session is not scheduled any more."))
    if not session.is_group:
        raise ValidationError(_("Only group sessions have a number of places."))
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationError({"capacity": _("Give at least 1 place (or leave it empty for no limit).")})
    if capacity == session.capacity:
        return []
    previous = session.capacity
    session.capacity = capacity
    session.save(update_fields=["capacity", "updated_at"])
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=session.patient,
        data={"event": "session_capacity_changed", "session": str(session.pk), "from": previous, "to": capacity},
    )
    return fill_free_places(session)


@transaction.atomic
def leave_waitlist(*, user: User, session: FamilySession) -> Participant:
    """A family member takes themselves off the waiting list; their answer becomes "not going" (they may ask again,
    at the end of the list). The gate is asked again: a revoked consent answers like a missing session (404)."""
    session = FamilySession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if not FamilySession.objects.visible_to(user).filter(pk=session.pk).exists():
        raise DisclosureRefused("Not found")
    participant = Participant.objects.current().filter(session=session, user=user).first()
    if participant is None or not participant.is_waiting:
        raise ValidationError(_("You are not on the waiting list for this session."))
    participant.rsvp = Participant.Rsvp.DECLINED
    participant.rsvp_at = timezone.now()
    participant.waitlisted_at = None
    participant.save(update_fields=["rsvp", "rsvp_at", "waitlisted_at"])
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=user,
        patient=session.patient,
        data={"event": "waitlist_left", "session": str(session.pk)},
    )
    return participant
