"""Booking: schedule, group-book, move and cancel sessions, invite and remove participants.

Bookings lock the counselors' rows (``SELECT ... FOR UPDATE`` on PostgreSQL) before checking for overlaps, so two
bookings of one counselor's time cannot both succeed. Reminders are planned and cancelled in the same transaction
as the change that causes them (JOB-01).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.gate import DisclosureRefused, can_disclose, is_care_team_for, recipients_by_patient
from consent.models import AuditEvent, Scope
from scheduling.models import AvailabilityException, FamilySession, Participant, SessionNotice, SessionRequest
from scheduling.reminders import cancel_session_reminders, plan_session_reminders
from scheduling.services.notices import notify
from scheduling.services.places import fill_free_places
from scheduling.video import new_room_name, portal_rooms_enabled


def lock_counselors(counselor_ids: Iterable[int]) -> None:
    """Serialise bookings per counselor: row locks taken in id order, so two bookings never deadlock."""
    list(User.objects.select_for_update().filter(pk__in=sorted(set(counselor_ids))).order_by("pk").values_list("pk"))


def ensure_free(
    *,
    counselor_ids: Sequence[int],
    starts_at: datetime,
    ends_at: datetime,
    exclude_session: FamilySession | None = None,
    exclude_request: SessionRequest | None = None,
) -> None:
    """Refuse a period that overlaps a counselor's scheduled session, a held request or time off.

    Call after ``lock_counselors`` inside the same transaction; the check is only race-free under the lock."""
    sessions = FamilySession.objects.scheduled().overlapping(starts_at, ends_at).filter(counselors__in=counselor_ids)
    if exclude_session is not None:
        sessions = sessions.exclude(pk=exclude_session.pk)
    if sessions.exists():
        raise ValidationError(_("This time overlaps another session for the counselor. Please choose another time."))
    holds = SessionRequest.objects.holding(starts_at, ends_at).filter(counselor_id__in=counselor_ids)
    if exclude_request is not None:
        holds = holds.exclude(pk=exclude_request.pk)
    if holds.exists():
        raise ValidationError(_("A family has asked for this time. Answer their request first or choose another time."))
    away = AvailabilityException.objects.filter(
        counselor_id__in=counselor_ids, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if away.exists():
        raise ValidationError(_("The counselor is away at this time."))


def check_staff(actor: User, patient: User | None) -> None:
    """Only care staff of a program schedule, and only for patients on their care team (404 otherwise, AZ-03)."""
    if not actor.is_care_staff or actor.program_id is None:
        raise PermissionDenied("Only care staff schedule sessions.")
    if patient is not None and not is_care_team_for(actor, patient):
        raise DisclosureRefused("Not found")


def eligible_members(patient: User | None, members: Iterable[User]) -> list[User]:
    """Family members may be invited only while their consent includes ``schedule`` (gate, AZ-02)."""
    chosen = list(members)
    if patient is None:
        if chosen:
            raise ValidationError(_("Families join open events by answering the invitation themselves."))
        return []
    for member in chosen:
        if not member.is_family or not can_disclose(member, patient, Scope.SCHEDULE):
            raise ValidationError(_("One of the people chosen cannot be invited to this patient's sessions."))
    return chosen


def book(
    *,
    actor: User,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    modality: str,
    location: str,
    join_url: str,
    patient: User | None,
    counselors: Sequence[User],
    family_members: Iterable[User],
    include_patient: bool,
    capacity: int | None,
    staff_notes: str,
    exclude_request: SessionRequest | None = None,
    title: str = "",
    description: str = "",
) -> tuple[FamilySession, list[Participant]]:
    """Create a session with its counselors, participants and reminders under the counselors' lock, refusing
    overlaps (``ensure_free``). A video session gets the portal's own room when ``VIDEO_PROVIDER`` is set (any
    pasted link is then ignored). Runs inside the caller's transaction; the caller tells the participants."""
    check_staff(actor, patient)
    counselor_list = list(counselors) or [actor]
    for person in counselor_list:
        if not person.is_counselor or person.program_id != actor.program_id:
            raise ValidationError(_("Choose counselors of your program."))
    if starts_at <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    members = eligible_members(patient, family_members)
    portal_room = modality == FamilySession.Modality.VIDEO and portal_rooms_enabled()
    session = FamilySession(
        program=actor.program,
        patient=patient,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        modality=modality,
        location=location.strip(),
        join_url="" if portal_room else join_url.strip(),
        video_room=new_room_name() if portal_room else "",
        capacity=capacity,
        staff_notes=staff_notes,
        created_by=actor,
    )
    session.full_clean()
    counselor_ids = [person.pk for person in counselor_list]
    lock_counselors(counselor_ids)
    ensure_free(counselor_ids=counselor_ids, starts_at=starts_at, ends_at=ends_at, exclude_request=exclude_request)
    session.save()
    session.counselors.set(counselor_list)
    people: list[tuple[User, str]] = [(member, Participant.Role.FAMILY) for member in members]
    if patient is not None and include_patient:
        people.insert(0, (patient, Participant.Role.PATIENT))
    participants = Participant.objects.bulk_create(
        [Participant(session=session, user=user, role=role) for user, role in people]
    )
    plan_session_reminders(session, recipients=[p.user for p in participants])
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=patient,
        data={"event": "session_scheduled", "session": str(session.pk)},
    )
    return session, participants


@transaction.atomic
def schedule_session(
    *,
    actor: User,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    modality: str,
    location: str = "",
    join_url: str = "",
    patient: User | None = None,
    counselors: Sequence[User] = (),
    family_members: Iterable[User] = (),
    include_patient: bool = True,
    capacity: int | None = None,
    staff_notes: str = "",
    title: str = "",
    description: str = "",
) -> FamilySession:
    """A counselor books a session, invites the patient and consented family members, and plans reminders.

    Refuses overlaps with the counselors' other sessions, held requests and time off (under a row lock)."""
    session, participants = book(
        title=title,
        description=description,
        actor=actor,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        modality=modality,
        location=location,
        join_url=join_url,
        patient=patient,
        counselors=counselors,
        family_members=family_members,
        include_patient=include_patient,
        capacity=capacity,
        staff_notes=staff_notes,
    )
    notify(participants, session=session, kind=SessionNotice.Kind.INVITED)
    return session


@dataclass(frozen=True)
class GroupInvites:
    """What booking a multi-family group did, in counts only (no names): the confirmation and staff page say it."""

    invited: int
    families: int
    notified: int
    not_covered: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _group_invitees(patients: Sequence[User]) -> tuple[list[tuple[User, User]], int]:
    """(family member, patient they come through) for every family member the gate lets see a chosen patient's
    schedule now, each person once; and how many other family members share something else but not sessions."""
    ids = [patient.pk for patient in patients]
    covered = recipients_by_patient(ids, Scope.SCHEDULE)
    family = User.objects.filter(role=User.Role.FAMILY, is_active=True)
    members = family.in_bulk(set().union(*covered.values()) if covered else set())
    chosen: dict[int, tuple[User, User]] = {}
    for patient in patients:
        for member_id in sorted(covered.get(patient.pk, ())):
            if member_id in members and member_id not in chosen:
                chosen[member_id] = (members[member_id], patient)
    linked: set[int] = set()
    for scope in Scope.values:
        if scope != Scope.SCHEDULE:
            for viewer_ids in recipients_by_patient(ids, scope).values():
                linked.update(viewer_ids)
    not_covered = family.filter(pk__in=linked - set(chosen)).count()
    return list(chosen.values()), not_covered


@transaction.atomic
def schedule_group_session(
    *,
    actor: User,
    patients: Sequence[User],
    starts_at: datetime,
    ends_at: datetime,
    modality: str,
    title: str,
    description: str = "",
    location: str = "",
    join_url: str = "",
    capacity: int | None = None,
    staff_notes: str = "",
) -> tuple[FamilySession, GroupInvites]:
    """Book a multi-family group (no patient of its own) and invite the families of ``patients`` at once.

    Each patient must be on the counselor's care team (404 otherwise). Every family member whose sharing covers
    the patient's schedule now (``consent.gate.recipients_by_patient``) is invited once, with the patient they
    came through; each is told in the portal and by email or text through the outbox. Returns the counts the
    confirmation shows: invited, families, notified (an outbox row queued) and family members whose sharing
    does not cover sessions (not invited)."""
    for patient in patients:
        check_staff(actor, patient)
    if not title.strip():
        raise ValidationError({"title": _("Give the group a title.")})
    session, _unused = book(
        actor=actor,
        kind=FamilySession.Kind.MULTI_FAMILY_GROUP,
        starts_at=starts_at,
        ends_at=ends_at,
        modality=modality,
        location=location,
        join_url=join_url,
        patient=None,
        counselors=(),
        family_members=(),
        include_patient=False,
        capacity=capacity,
        staff_notes=staff_notes,
        title=title,
        description=description,
    )
    invitees, not_covered = _group_invitees(patients)
    participants = Participant.objects.bulk_create(
        [
            Participant(session=session, user=member, role=Participant.Role.FAMILY, via_patient=patient)
            for member, patient in invitees
        ]
    )
    plan_session_reminders(session, recipients=[p.user for p in participants])
    rows = notify(participants, session=session, kind=SessionNotice.Kind.INVITED)
    outcome = GroupInvites(
        invited=len(participants),
        families=len({patient.pk for _member, patient in invitees}),
        notified=len({row.recipient_id for row in rows}),
        not_covered=not_covered,
    )
    session.invite_summary = outcome.as_dict()
    session.save(update_fields=["invite_summary"])
    return session, outcome


@transaction.atomic
def reschedule_session(*, actor: User, session: FamilySession, starts_at: datetime, ends_at: datetime) -> FamilySession:
    """Move a scheduled session: overlap check under lock, old reminders cancelled and new ones planned in this
    transaction, calendar revision bumped, and every participant told in the portal and by email or text."""
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError(_("Only a scheduled session can be moved."))
    if starts_at <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    if ends_at <= starts_at:
        raise ValidationError(_("The end must be after the start."))
    if (starts_at, ends_at) == (session.starts_at, session.ends_at):
        raise ValidationError(_("This is the session's current time."))
    counselor_ids = list(session.counselors.values_list("pk", flat=True))
    lock_counselors(counselor_ids)
    ensure_free(counselor_ids=counselor_ids, starts_at=starts_at, ends_at=ends_at, exclude_session=session)
    previous = session.starts_at
    session.starts_at, session.ends_at = starts_at, ends_at
    session.sequence += 1
    session.save(update_fields=["starts_at", "ends_at", "sequence", "updated_at"])
    cancel_session_reminders(session)
    plan_session_reminders(session)
    participants = list(session.participants.current())
    notify(participants, session=session, kind=SessionNotice.Kind.RESCHEDULED, previous_starts_at=previous)
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=session.patient,
        data={"event": "session_rescheduled", "session": str(session.pk)},
    )
    return session


@transaction.atomic
def cancel_session(*, actor: User, session: FamilySession, reason: str) -> FamilySession:
    """Cancel with a reason participants will read; pending reminders are cancelled in this transaction."""
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError(_("This session is not scheduled any more."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a short reason; participants will see it.")})
    session.status = FamilySession.Status.CANCELLED
    session.cancellation_reason = reason[:300]
    session.cancelled_at = timezone.now()
    session.sequence += 1
    session.save(update_fields=["status", "cancellation_reason", "cancelled_at", "sequence", "updated_at"])
    cancel_session_reminders(session)
    notify(list(session.participants.current()), session=session, kind=SessionNotice.Kind.CANCELLED)
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=session.patient,
        data={"event": "session_cancelled", "session": str(session.pk)},
    )
    return session


@transaction.atomic
def invite_family_members(*, actor: User, session: FamilySession, members: Iterable[User]) -> list[Participant]:
    """Add consented family members to a scheduled session (re-inviting someone removed earlier)."""
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError(_("This session is not scheduled any more."))
    added: list[Participant] = []
    for member in eligible_members(session.patient, members):
        participant, created = Participant.objects.get_or_create(session=session, user=member)
        if not created and participant.removed_at is None:
            continue
        participant.removed_at = None
        participant.rsvp = Participant.Rsvp.INVITED
        participant.save(update_fields=["removed_at", "rsvp"])
        added.append(participant)
    plan_session_reminders(session, recipients=[p.user for p in added])
    notify(added, session=session, kind=SessionNotice.Kind.INVITED)
    return added


@transaction.atomic
def remove_participant(*, actor: User, participant: Participant) -> Participant:
    """Take someone off a session; their pending reminders are refused at send time by the subject check. A place
    they held goes to the first person on the waiting list. The session row is locked first, as ``respond_rsvp``
    locks it, so the two never wait on each other in opposite orders."""
    session = FamilySession.objects.select_for_update().get(pk=participant.session_id)
    participant = Participant.objects.select_for_update(of=("self",)).select_related("session").get(pk=participant.pk)
    check_staff(actor, participant.session.patient)
    if participant.removed_at is None:
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        if participant.rsvp == Participant.Rsvp.ACCEPTED:
            fill_free_places(session)
    return participant
