"""Scheduling workflows: book, move, cancel, RSVP, attendance, requests, calendar feeds and report release.

Every workflow is atomic. Bookings lock the counselors' rows (``SELECT ... FOR UPDATE`` on PostgreSQL) before
checking for overlaps, so two bookings of one counselor's time cannot both succeed. Reminders are planned and
cancelled in the same transaction as the change that causes them (JOB-01).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.gate import (
    DisclosureRefused,
    can_disclose,
    is_care_team_for,
    recipients,
    recipients_by_patient,
    release_consents,
)
from consent.ledger import record_disclosure
from consent.models import AuditEvent, Consent, Disclosure, Scope
from consent.policy import CASELOAD
from family_portal.tokens import hash_token
from scheduling.models import (
    AvailabilityException,
    CalendarFeed,
    FamilySession,
    Participant,
    SessionNotice,
    SessionRequest,
)
from scheduling.notices import send_session_notices
from scheduling.reminders import cancel_session_reminders, plan_session_reminders
from scheduling.slots import find_open_slot

MAX_PROPOSED_TIMES = 3


# --- booking ---------------------------------------------------------------------------------------------


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
        raise ValidationError("This time overlaps another session for the counselor. Please choose another time.")
    holds = SessionRequest.objects.holding(starts_at, ends_at).filter(counselor_id__in=counselor_ids)
    if exclude_request is not None:
        holds = holds.exclude(pk=exclude_request.pk)
    if holds.exists():
        raise ValidationError("A family has asked for this time. Answer their request first or choose another time.")
    away = AvailabilityException.objects.filter(
        counselor_id__in=counselor_ids, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if away.exists():
        raise ValidationError("The counselor is away at this time.")


def _check_staff(actor: User, patient: User | None) -> None:
    if not actor.is_care_staff or actor.program_id is None:
        raise PermissionDenied("Only care staff schedule sessions.")
    if patient is not None and not is_care_team_for(actor, patient):
        raise DisclosureRefused("Not found")


def _eligible_members(patient: User | None, members: Iterable[User]) -> list[User]:
    """Family members may be invited only while their consent includes ``schedule`` (gate, AZ-02)."""
    chosen = list(members)
    if patient is None:
        if chosen:
            raise ValidationError("Families join open events by answering the invitation themselves.")
        return []
    for member in chosen:
        if not member.is_family or not can_disclose(member, patient, Scope.SCHEDULE):
            raise ValidationError("One of the people chosen cannot be invited to this patient's sessions.")
    return chosen


def _book(
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
    _check_staff(actor, patient)
    counselor_list = list(counselors) or [actor]
    for person in counselor_list:
        if not person.is_counselor or person.program_id != actor.program_id:
            raise ValidationError("Choose counselors of your program.")
    if starts_at <= timezone.now():
        raise ValidationError("Choose a time in the future.")
    members = _eligible_members(patient, family_members)
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
        join_url=join_url.strip(),
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
    session, participants = _book(
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
    _notify(participants, session=session, kind=SessionNotice.Kind.INVITED)
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
        _check_staff(actor, patient)
    if not title.strip():
        raise ValidationError({"title": _("Give the group a title.")})
    session, _unused = _book(
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
    rows = _notify(participants, session=session, kind=SessionNotice.Kind.INVITED)
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
    _check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError("Only a scheduled session can be moved.")
    if starts_at <= timezone.now():
        raise ValidationError("Choose a time in the future.")
    if ends_at <= starts_at:
        raise ValidationError("The end must be after the start.")
    if (starts_at, ends_at) == (session.starts_at, session.ends_at):
        raise ValidationError("This is the session's current time.")
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
    _notify(participants, session=session, kind=SessionNotice.Kind.RESCHEDULED, previous_starts_at=previous)
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
    _check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError("This session is not scheduled any more.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give a short reason; participants will see it."})
    session.status = FamilySession.Status.CANCELLED
    session.cancellation_reason = reason[:300]
    session.cancelled_at = timezone.now()
    session.sequence += 1
    session.save(update_fields=["status", "cancellation_reason", "cancelled_at", "sequence", "updated_at"])
    cancel_session_reminders(session)
    _notify(list(session.participants.current()), session=session, kind=SessionNotice.Kind.CANCELLED)
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
    _check_staff(actor, session.patient)
    if not session.is_scheduled:
        raise ValidationError("This session is not scheduled any more.")
    added: list[Participant] = []
    for member in _eligible_members(session.patient, members):
        participant, created = Participant.objects.get_or_create(session=session, user=member)
        if not created and participant.removed_at is None:
            continue
        participant.removed_at = None
        participant.rsvp = Participant.Rsvp.INVITED
        participant.save(update_fields=["removed_at", "rsvp"])
        added.append(participant)
    plan_session_reminders(session, recipients=[p.user for p in added])
    _notify(added, session=session, kind=SessionNotice.Kind.INVITED)
    return added


@transaction.atomic
def remove_participant(*, actor: User, participant: Participant) -> Participant:
    """Take someone off a session; their pending reminders are refused at send time by the subject check."""
    participant = Participant.objects.select_for_update(of=("self",)).select_related("session").get(pk=participant.pk)
    _check_staff(actor, participant.session.patient)
    if participant.removed_at is None:
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
    return participant


# --- RSVP and attendance -------------------------------------------------------------------------------------


@transaction.atomic
def respond_rsvp(*, user: User, session: FamilySession, response: str) -> Participant:
    """A participant answers an invitation; families answer open events themselves (within capacity).

    The gate is asked again here: a revoked consent answers like a missing session (404)."""
    response = Participant.Rsvp(response)
    if response == Participant.Rsvp.INVITED:
        raise ValidationError("Choose going, maybe or not going.")
    session = (
        FamilySession.objects.select_for_update(of=("self",)).select_related("program", "patient").get(pk=session.pk)
    )
    if not FamilySession.objects.visible_to(user).filter(pk=session.pk).exists():
        raise DisclosureRefused("Not found")
    if not session.is_scheduled or session.starts_at <= timezone.now():
        raise ValidationError("This session can no longer be answered.")
    participant = Participant.objects.current().filter(session=session, user=user).first()
    if participant is None:
        if not session.is_open_event or not user.is_family:
            raise DisclosureRefused("Not found")
        participant = Participant.objects.filter(session=session, user=user).first() or Participant(
            session=session, user=user, role=Participant.Role.FAMILY
        )
        participant.removed_at = None
    if session.capacity and response != Participant.Rsvp.DECLINED and participant.rsvp != Participant.Rsvp.ACCEPTED:
        taken = session.participants.current().filter(rsvp=Participant.Rsvp.ACCEPTED).exclude(user=user).count()
        if response == Participant.Rsvp.ACCEPTED and taken >= session.capacity:
            raise ValidationError("This event is full. You can answer “maybe” to hear if a place opens.")
    was_expecting = participant.pk is not None and participant.expects_reminders
    participant.rsvp = response
    participant.rsvp_at = timezone.now()
    participant.save()
    if participant.expects_reminders and not was_expecting:
        plan_session_reminders(session, recipients=[user])
    return participant


@transaction.atomic
def record_attendance(*, actor: User, session: FamilySession, marks: Mapping[int, str]) -> FamilySession:
    """The counselor records attendance (participant id → mark) once the session has started; the session
    becomes completed."""
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    _check_staff(actor, session.patient)
    if session.status == FamilySession.Status.CANCELLED:
        raise ValidationError("This session was cancelled.")
    if session.starts_at > timezone.now():
        raise ValidationError("Attendance can be recorded once the session has started.")
    now = timezone.now()
    participants = {p.pk: p for p in session.participants.current()}
    changed = []
    for participant_id, mark in marks.items():
        participant = participants.get(participant_id)
        if participant is None:
            raise ValidationError("Someone in the list is not a participant of this session.")
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


# --- requests ---------------------------------------------------------------------------------------------


def assigned_counselor_ids(patient: User) -> list[int]:
    """The counselors with ``patient`` on their caseload now (who receives the family's requests)."""
    return sorted(recipients(patient, Scope.SCHEDULE, grants=[CASELOAD]))


@transaction.atomic
def request_session(
    *,
    requester: User,
    patient: User,
    slot_key: str = "",
    proposed_times: Sequence[datetime] = (),
    duration_minutes: int = 60,
    modality: str = FamilySession.Modality.IN_PERSON,
    message: str = "",
) -> SessionRequest:
    """A family member asks for a session: an open slot (held for them under the counselor's lock) or up to
    three proposed times for the assigned counselor to choose from."""
    if not requester.is_family or not can_disclose(requester, patient, Scope.SCHEDULE):
        raise DisclosureRefused("Not found")
    counselor_ids = assigned_counselor_ids(patient)
    if not counselor_ids:
        raise ValidationError("No counselor is available to confirm a request right now. Please call the program.")
    request = SessionRequest(patient=patient, requested_by=requester, modality=modality, message=message.strip()[:500])
    if slot_key:
        counselor_id = _slot_counselor(slot_key, counselor_ids)
        lock_counselors([counselor_id])
        slot = find_open_slot(key=slot_key, counselor_ids=[counselor_id])
        if slot is None:
            raise ValidationError("Sorry, that time was just taken. Please choose another time.")
        request.counselor_id = counselor_id
        request.slot_starts_at, request.slot_ends_at = slot.starts_at, slot.ends_at
        request.duration_minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    else:
        times = sorted(set(proposed_times))
        if not times:
            raise ValidationError("Choose an open time or suggest at least one time.")
        if len(times) > MAX_PROPOSED_TIMES:
            raise ValidationError(f"Suggest at most {MAX_PROPOSED_TIMES} times.")
        if any(moment <= timezone.now() for moment in times):
            raise ValidationError("Suggested times must be in the future.")
        request.counselor_id = counselor_ids[0]
        request.proposed_times = [moment.astimezone(UTC).isoformat() for moment in times]
        request.duration_minutes = duration_minutes
    request.full_clean(exclude=["session"])
    request.save()
    return request


def _slot_counselor(slot_key: str, counselor_ids: list[int]) -> int:
    try:
        counselor_id = int(slot_key.split(":", 1)[0])
    except ValueError:
        counselor_id = -1
    if counselor_id not in counselor_ids:
        raise ValidationError("Sorry, that time is not available. Please choose another time.")
    return counselor_id


@transaction.atomic
def confirm_request(
    *,
    actor: User,
    session_request: SessionRequest,
    starts_at: datetime | None = None,
    modality: str | None = None,
    location: str = "",
    join_url: str = "",
    message: str = "",
) -> FamilySession:
    """The counselor confirms a request: the held slot (or a chosen time) becomes a session for the patient and
    the requester, with reminders, and the requester gets a notice."""
    session_request = SessionRequest.objects.select_for_update().get(pk=session_request.pk)
    _check_staff(actor, session_request.patient)
    if not session_request.is_pending:
        raise ValidationError("This request has already been answered.")
    if session_request.slot_starts_at and session_request.slot_ends_at:
        starts_at, ends_at = session_request.slot_starts_at, session_request.slot_ends_at
    elif starts_at is None:
        raise ValidationError("Choose a time for the session.")
    else:
        ends_at = starts_at + timedelta(minutes=session_request.duration_minutes)
    members = [session_request.requested_by]
    if not can_disclose(session_request.requested_by, session_request.patient, Scope.SCHEDULE):
        raise ValidationError("The family member's consent no longer covers scheduling, so this request is closed.")
    counselors = [actor] if actor.is_counselor else [session_request.counselor]
    session, participants = _book(
        actor=actor,
        kind=FamilySession.Kind.FAMILY_THERAPY,
        starts_at=starts_at,
        ends_at=ends_at,
        modality=modality or session_request.modality,
        location=location,
        join_url=join_url,
        patient=session_request.patient,
        counselors=counselors,
        family_members=members,
        include_patient=True,
        capacity=None,
        staff_notes="",
        exclude_request=session_request,
    )
    session_request.status = SessionRequest.Status.CONFIRMED
    session_request.session = session
    session_request.response_message = message.strip()[:500]
    session_request.responded_by = actor
    session_request.responded_at = timezone.now()
    session_request.save()
    requester_id = session_request.requested_by_id
    _notify(
        [p for p in participants if p.user_id == requester_id],
        session=session,
        request=session_request,
        kind=SessionNotice.Kind.REQUEST_CONFIRMED,
    )
    _notify([p for p in participants if p.user_id != requester_id], session=session, kind=SessionNotice.Kind.INVITED)
    return session


@transaction.atomic
def decline_request(*, actor: User, session_request: SessionRequest, message: str) -> SessionRequest:
    """The counselor cannot offer the time: the held slot is released and the family reads the message."""
    session_request = SessionRequest.objects.select_for_update().get(pk=session_request.pk)
    _check_staff(actor, session_request.patient)
    if not session_request.is_pending:
        raise ValidationError("This request has already been answered.")
    if not message.strip():
        raise ValidationError({"message": "Write a short message for the family."})
    session_request.status = SessionRequest.Status.DECLINED
    session_request.response_message = message.strip()[:500]
    session_request.responded_by = actor
    session_request.responded_at = timezone.now()
    session_request.save()
    SessionNotice.objects.create(
        recipient_id=session_request.requested_by_id, request=session_request, kind=SessionNotice.Kind.REQUEST_DECLINED
    )
    return session_request


@transaction.atomic
def withdraw_request(*, requester: User, session_request: SessionRequest) -> SessionRequest:
    """The family member takes back a pending request (its held slot opens again)."""
    session_request = SessionRequest.objects.select_for_update().get(pk=session_request.pk)
    if session_request.requested_by_id != requester.pk:
        raise DisclosureRefused("Not found")
    if not session_request.is_pending:
        raise ValidationError("This request has already been answered.")
    session_request.status = SessionRequest.Status.WITHDRAWN
    session_request.save(update_fields=["status"])
    return session_request


# --- notices ---------------------------------------------------------------------------------------------------


def _notify(
    participants: Iterable[Participant],
    *,
    session: FamilySession,
    kind: str,
    request: SessionRequest | None = None,
    previous_starts_at: datetime | None = None,
) -> list[Any]:
    """Tell participants of a change in the portal (``SessionNotice``) and by email or text (the outbox); returns
    the outbox rows queued."""
    participants = list(participants)
    SessionNotice.objects.bulk_create(
        [
            SessionNotice(
                recipient_id=p.user_id,
                session=session,
                request=request,
                kind=kind,
                previous_starts_at=previous_starts_at,
            )
            for p in participants
        ]
    )
    return send_session_notices(session, [p.user_id for p in participants], kind=kind)


def mark_notices_read(*, user: User) -> int:
    """The family member has seen their notices."""
    return SessionNotice.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- calendar feeds -------------------------------------------------------------------------------------------


@transaction.atomic
def issue_calendar_feed(*, user: User) -> str:
    """Create or replace the user's private feed token; only its hash is stored, so the raw token (returned)
    is shown once. Replacing it stops the old address at once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={"token_hash": hash_token(token), "created_at": timezone.now(), "last_fetched_at": None},
    )
    return token


def revoke_calendar_feed(*, user: User) -> bool:
    """Stop the user's feed address; calendar apps get 404 from now on."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def feed_owner(token: str) -> User | None:
    """The active user a feed token belongs to, or ``None``; marks the fetch time."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
    return feed.user


# --- attendance report release -----------------------------------------------------------------------------------


@transaction.atomic
def release_attendance_report(
    *,
    actor: User,
    patient: User,
    consent: Consent,
    start: date,
    end: date,
    request: HttpRequest | None = None,
) -> Consent:
    """Release an attendance record outside the program: only under an effective consent with the
    ``attendance`` scope naming the recipient, recorded in the disclosure ledger (channel export, § 2.25)."""
    _check_staff(actor, patient)
    allowed = {c.pk: c for c in release_consents(patient, Scope.ATTENDANCE)}
    relied_on = allowed.get(consent.pk)
    if relied_on is None:
        raise ValidationError("This consent does not allow releasing attendance (it may have ended).")
    record_disclosure(
        consent=relied_on,
        scope=Scope.ATTENDANCE,
        channel=Disclosure.Channel.EXPORT,
        what=f"Family session attendance record {start:%Y-%m-%d} to {end:%Y-%m-%d}",
    )
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=patient,
        request=request,
        data={"event": "attendance_released", "consent": str(relied_on.pk)},
    )
    return relied_on
