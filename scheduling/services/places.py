"""Places in a session with a capacity: who is going, who waits, and filling a freed place from the waiting list.

Every function here runs inside the caller's transaction with the session row locked (``SELECT ... FOR UPDATE``,
as ``respond_rsvp``, ``remove_participant`` and ``change_capacity`` take it), so two family members asking for the
last place are served one after the other: exactly one gets it, the other joins the waiting list.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent
from scheduling.models import FamilySession, Participant, SessionNotice
from scheduling.notices import send_place_notices
from scheduling.reminders import plan_session_reminders


def places_taken(session: FamilySession) -> int:
    """How many current participants are going."""
    return session.participants.current().filter(rsvp=Participant.Rsvp.ACCEPTED).count()


def waiting_position(participant: Participant) -> int | None:
    """1 for the first person waiting, 2 for the next…; None when ``participant`` is not waiting (one query)."""
    if not participant.is_waiting or participant.waitlisted_at is None:
        return None
    asked = participant.waitlisted_at
    ahead = Participant.objects.waiting().filter(session_id=participant.session_id)
    ahead = ahead.filter(Q(waitlisted_at__lt=asked) | Q(waitlisted_at=asked, pk__lt=participant.pk))
    return ahead.count() + 1


def fill_free_places(session: FamilySession) -> list[Participant]:
    """Promote people from the waiting list, first asked first served, while the session has free places.

    The caller holds the session's row lock. Only a scheduled session that has not begun fills places; someone the
    consent gate no longer lets see the session is passed over (and keeps their turn, should their sharing come
    back). Each promoted person goes from waiting to going, gets their reminders, an in-portal notice and one
    neutral email or text through the outbox (keyed by the promotion, so a retry tells no one twice)."""
    if not session.is_scheduled or session.starts_at <= timezone.now():
        return []
    free = None if session.capacity is None else session.capacity - places_taken(session)
    if free is not None and free <= 0:
        return []
    promoted: list[tuple[Participant, datetime | None]] = []
    for candidate in session.participants.waiting().select_related("user"):
        if free is not None and len(promoted) >= free:
            break
        if not FamilySession.objects.visible_to(candidate.user).filter(pk=session.pk).exists():
            continue
        promoted.append((candidate, candidate.waitlisted_at))
        candidate.rsvp = Participant.Rsvp.ACCEPTED
        candidate.waitlisted_at = None
        candidate.save(update_fields=["rsvp", "waitlisted_at"])
    if not promoted:
        return []
    people = [participant for participant, _asked in promoted]
    plan_session_reminders(session, recipients=[p.user for p in people])
    kind = SessionNotice.Kind.PLACE_CONFIRMED
    notices = [SessionNotice(recipient_id=p.user_id, session=session, kind=kind) for p in people]
    SessionNotice.objects.bulk_create(notices)
    send_place_notices(session, [(p.user, asked) for p, asked in promoted])
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        patient=session.patient,
        data={"event": "waitlist_promoted", "session": str(session.pk), "count": len(people)},
    )
    return people


def release_places_no_longer_seen(user: User) -> int:
    """Give up the places ``user`` holds in upcoming sessions with a number of places that the consent gate no longer
    lets them see (their sharing ended): each such answer goes back to "not answered yet" and the place goes to the
    first person waiting, as when someone says "not going". Called inside the transaction that ends a consent; each
    session row is locked as ``respond_rsvp`` locks it. Returns how many places were freed."""
    held = set(
        Participant.objects.current()
        .filter(user=user, rsvp=Participant.Rsvp.ACCEPTED, session__capacity__isnull=False)
        .filter(session__status=FamilySession.Status.SCHEDULED, session__starts_at__gt=timezone.now())
        .values_list("session_id", flat=True)
    )
    if not held:
        return 0
    still_seen = set(FamilySession.objects.visible_to(user).filter(pk__in=held).values_list("pk", flat=True))
    freed = 0
    for session in FamilySession.objects.select_for_update().filter(pk__in=held - still_seen).order_by("pk"):
        taken = Participant.objects.current().filter(session=session, user=user, rsvp=Participant.Rsvp.ACCEPTED)
        if not taken.update(rsvp=Participant.Rsvp.INVITED, rsvp_at=timezone.now()):
            continue
        freed += 1
        record_audit(
            kind=AuditEvent.Kind.OTHER,
            patient=session.patient,
            data={"event": "place_released", "session": str(session.pk), "reason": "sharing_ended"},
        )
        fill_free_places(session)
    return freed
