"""Session requests: a family member asks for an open slot (held under the counselor's lock) or proposes times; the
counselor confirms (a booking) or declines; the family member may withdraw while it is pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from consent.gate import DisclosureRefused, can_disclose, recipients
from consent.models import Scope
from consent.policy import CASELOAD
from scheduling.models import FamilySession, SessionNotice, SessionRequest
from scheduling.services.booking import book, check_staff, lock_counselors
from scheduling.services.notices import notify
from scheduling.slots import find_open_slot

MAX_PROPOSED_TIMES = 3


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
        raise ValidationError(_("No counselor is available to confirm a request right now. Please call the program."))
    request = SessionRequest(patient=patient, requested_by=requester, modality=modality, message=message.strip()[:500])
    if slot_key:
        counselor_id = _slot_counselor(slot_key, counselor_ids)
        lock_counselors([counselor_id])
        slot = find_open_slot(key=slot_key, counselor_ids=[counselor_id])
        if slot is None:
            raise ValidationError(_("Sorry, that time was just taken. Please choose another time."))
        request.counselor_id = counselor_id
        request.slot_starts_at, request.slot_ends_at = slot.starts_at, slot.ends_at
        request.duration_minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    else:
        times = sorted(set(proposed_times))
        if not times:
            raise ValidationError(_("Choose an open time or suggest at least one time."))
        if len(times) > MAX_PROPOSED_TIMES:
            raise ValidationError(
                ngettext("Suggest at most %(count)d time.", "Suggest at most %(count)d times.", MAX_PROPOSED_TIMES)
                % {"count": MAX_PROPOSED_TIMES}
            )
        if any(moment <= timezone.now() for moment in times):
            raise ValidationError(_("Suggested times must be in the future."))
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
        raise ValidationError(_("Sorry, that time is not available. Please choose another time."))
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
    check_staff(actor, session_request.patient)
    if not session_request.is_pending:
        raise ValidationError(_("This request has already been answered."))
    if session_request.slot_starts_at and session_request.slot_ends_at:
        starts_at, ends_at = session_request.slot_starts_at, session_request.slot_ends_at
    elif starts_at is None:
        raise ValidationError(_("Choose a time for the session."))
    else:
        ends_at = starts_at + timedelta(minutes=session_request.duration_minutes)
    members = [session_request.requested_by]
    if not can_disclose(session_request.requested_by, session_request.patient, Scope.SCHEDULE):
        raise ValidationError(_("The family member's consent no longer covers scheduling, so this request is closed."))
    counselors = [actor] if actor.is_counselor else [session_request.counselor]
    session, participants = book(
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
    notify(
        [p for p in participants if p.user_id == requester_id],
        session=session,
        request=session_request,
        kind=SessionNotice.Kind.REQUEST_CONFIRMED,
    )
    notify([p for p in participants if p.user_id != requester_id], session=session, kind=SessionNotice.Kind.INVITED)
    return session


@transaction.atomic
def decline_request(*, actor: User, session_request: SessionRequest, message: str) -> SessionRequest:
    """The counselor cannot offer the time: the held slot is released and the family reads the message."""
    session_request = SessionRequest.objects.select_for_update().get(pk=session_request.pk)
    check_staff(actor, session_request.patient)
    if not session_request.is_pending:
        raise ValidationError(_("This request has already been answered."))
    if not message.strip():
        raise ValidationError({"message": _("Write a short message for the family.")})
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
        raise ValidationError(_("This request has already been answered."))
    session_request.status = SessionRequest.Status.WITHDRAWN
    session_request.save(update_fields=["status"])
    return session_request
