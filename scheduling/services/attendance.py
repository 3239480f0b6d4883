"""RSVP and attendance: a participant answers an invitation (beyond a capacity, the waiting list); the counselor
records who came once the session has started.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.gate import DisclosureRefused
from consent.models import AuditEvent
from scheduling.models import FamilySession, Participant
from scheduling.reminders import cancel_session_reminders, plan_session_reminders
from scheduling.services.booking import check_staff
from scheduling.services.places import fill_free_places, places_taken


@transaction.atomic
def respond_rsvp(*, user: User, session: FamilySession, response: str) -> Participant:
    """A participant answers an invitation; families answer open events themselves.

    With a capacity, "going" beyond it joins the waiting list in the order people asked (``waitlisted_at``); asking
    again keeps one's turn. Leaving a place ("maybe" or "not going") gives it to the first person waiting. The
    session row is locked first, so two people asking for the last place are served one after the other.
    The gate is asked again here: a revoked consent answers like a missing session (404)."""
    response = Participant.Rsvp(response)
    if response in (Participant.Rsvp.INVITED, Participant.Rsvp.WAITLISTED):
        raise ValidationError(_("Choose going, maybe or not going."))
    session = (
        FamilySession.objects.select_for_update(of=("self",)).select_related("program", "patient").get(pk=session.pk)
    )
    if not FamilySession.objects.visible_to(user).filter(pk=session.pk).exists():
        raise DisclosureRefused("Not found")
    if not session.is_scheduled or session.starts_at <= timezone.now():
        raise ValidationError(_("This session can no longer be answered."))
    participant = Participant.objects.current().filter(session=session, user=user).first()
    was_expecting = participant is not None and participant.expects_reminders
    if participant is None:
        if not session.is_open_event or not user.is_family:
            raise DisclosureRefused("Not found")
        participant = Participant.objects.filter(session=session, user=user).first() or Participant(
            session=session, user=user, role=Participant.Role.FAMILY
        )
        participant.removed_at = None
        participant.rsvp = Participant.Rsvp.INVITED
    previous = participant.rsvp
    now = timezone.now()
    if response == Participant.Rsvp.ACCEPTED and previous == Participant.Rsvp.WAITLISTED:
        fill_free_places(session)  # their turn is kept; a free place goes to whoever asked first
        participant.refresh_from_db()
        return participant
    asks_for_a_place = response == Participant.Rsvp.ACCEPTED and previous != Participant.Rsvp.ACCEPTED
    if asks_for_a_place and session.capacity and places_taken(session) >= session.capacity:
        response = Participant.Rsvp.WAITLISTED
        participant.waitlisted_at = now
    if response != Participant.Rsvp.WAITLISTED:
        participant.waitlisted_at = None
    participant.rsvp = response
    participant.rsvp_at = now
    participant.save()
    if participant.expects_reminders and not was_expecting:
        plan_session_reminders(session, recipients=[user])
    if previous == Participant.Rsvp.ACCEPTED and response != Participant.Rsvp.ACCEPTED:
        fill_free_places(session)
    return participant


@transaction.atomic
def record_attendance(*, actor: User, session: FamilySession, marks: Mapping[int, str]) -> FamilySession:
    """The counselor records attendance (participant id → mark) once the session has started; the session
    becomes completed."""
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    check_staff(actor, session.patient)
    if session.status == FamilySession.Status.CANCELLED:
        raise ValidationError(_("This session was cancelled."))
    if session.starts_at > timezone.now():
        raise ValidationError(_("Attendance can be recorded once the session has started."))
    now = timezone.now()
    participants = {p.pk: p for p in session.participants.current()}
    changed = []
    for participant_id, mark in marks.items():
        participant = participants.get(participant_id)
        if participant is None:
            raise ValidationError(_("Someone in the list is not a participant of this session."))
        mark = Participant.Attendance(mark)
        if participant.attendance != mark:
            participant.attendance = mark
            participant.attendance_recorded_by = actor
            participant.attendance_recorded_at = now
            changed.append(participant)
    Participant.objects.bulk_update(changed, ["attendance", "attendance_recorded_by", "attendance_recorded_at"])
    if session.status == FamilySession.Status.SCHEDULED:
        session.status = FamilySession.Status.COMPLETED
        session.save(update_fields=["status", "updated_at"])
        cancel_session_reminders(session)
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=session.patient,
        data={"event": "attendance_recorded", "session": str(session.pk)},
    )
    return session
