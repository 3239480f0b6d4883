"""Series: book a repeating session, change this and the following occurrences, cancel the rest or all of it.

One occurrence is changed or cancelled with the ordinary ``reschedule_session`` / ``cancel_session`` (it stays in
its series, and calendars show it as an exception). Every workflow here is one transaction: the counselors' rows
are locked before the overlap checks (``booking.lock_counselors``), so a refusal (an overlap, a date in the past)
leaves nothing half-written. Reminders follow the rule of ``scheduling.reminders``: cancelled with the old time,
planned again for the new one within the rolling horizon, with the same idempotency keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent
from scheduling.models import FamilySession, Participant, SessionNotice, SessionSeries
from scheduling.notices import send_session_notices
from scheduling.recurrence import MAX_OCCURRENCES, WeeklyRule, end_of_local_day
from scheduling.reminders import REMINDER_HORIZON, cancel_session_reminders, plan_session_reminders
from scheduling.services.booking import (
    check_staff,
    eligible_members,
    ensure_free,
    invite_family_members,
    lock_counselors,
    schedule_group_session,
)
from scheduling.services.booking import schedule_session as book_one
from scheduling.services.notices import notify

COPIED_FIELDS = (
    "program_id", "patient_id", "kind", "title", "description", "modality", "location", "join_url", "capacity",
    "staff_notes", "created_by_id", "invite_summary",
)  # fmt: skip


def weekly_rule(*, every_weeks: int, count: int | None, until: date | None, tz: Any) -> WeeklyRule:
    """The rule a counselor chose: every one or two weeks, ``count`` times or until the end of ``until``."""
    if every_weeks not in (1, 2):
        raise ValidationError(_("Choose every week or every two weeks."))
    if count is None and until is None:
        raise ValidationError(_("Say how many times the session repeats, or until which date."))
    if count is not None and not 2 <= count <= MAX_OCCURRENCES:
        raise ValidationError(_("A series has between 2 and %(max)d sessions.") % {"max": MAX_OCCURRENCES})
    if count is not None:
        return WeeklyRule(every_weeks, count=count)
    assert until is not None  # noqa: S101 (checked above; for the type checker)
    return WeeklyRule(every_weeks, until=end_of_local_day(until, tz))


def _overlap_on(start: datetime) -> ValidationError:
    day = formats.date_format(timezone.localtime(start), "DATE_FORMAT")
    return ValidationError(
        _("The session on %(date)s overlaps another session or time off. Nothing was booked.") % {"date": day}
    )


@transaction.atomic
def schedule_series(
    *,
    actor: User,
    every_weeks: int,
    count: int | None = None,
    until: date | None = None,
    patients: Sequence[User] = (),
    **booking: Any,
) -> SessionSeries:
    """Book the first occurrence as any session (``schedule_session``, or ``schedule_group_session`` when
    ``patients`` are chosen: its checks, invitations and notices), then every later occurrence of the rule in the
    program's time zone, each a copy with the same counselors and participants, each checked for overlaps.

    The invitation is sent once, for the first occurrence. Reminders are planned for the occurrences within the
    rolling horizon only. Any refusal undoes the whole series."""
    program_tz = actor.program.tz if actor.program is not None else timezone.get_current_timezone()
    rule = weekly_rule(every_weeks=every_weeks, count=count, until=until, tz=program_tz)
    if patients:
        first, _outcome = schedule_group_session(actor=actor, patients=patients, **booking)
    else:
        first = book_one(actor=actor, **booking)
    series = SessionSeries(
        program_id=first.program_id,
        rule=rule.as_rrule(),
        time_zone=str(program_tz),
        first_start=first.starts_at,
        duration_minutes=first.duration_minutes,
        reminders_planned_until=max(timezone.now() + REMINDER_HORIZON, first.starts_at),
        created_by=actor,
    )
    starts = series.occurrence_starts()
    if len(starts) > MAX_OCCURRENCES:
        raise ValidationError(
            _("A series has at most %(max)d sessions. Choose an earlier end date.") % {"max": MAX_OCCURRENCES}
        )
    if len(starts) < 2:
        raise ValidationError(_("The end date leaves only one session. Choose a later date."))
    series.save()
    first.series, first.occurrence_start = series, first.starts_at
    first.save(update_fields=["series", "occurrence_start"])
    _copy_occurrences(first, series, starts[1:])
    _mention_the_series_in_invitations(first, every_weeks=every_weeks, count=len(starts))
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=first.patient,
        data={"event": "series_scheduled", "series": str(series.pk), "occurrences": len(starts)},
    )
    return series


def _mention_the_series_in_invitations(first: FamilySession, *, every_weeks: int, count: int) -> None:
    """The invitation emails queued for the first occurrence (rendered at send time) also say how it repeats."""
    from notifications.models import OutboxMessage

    rows = OutboxMessage.objects.filter(
        subject=first.subject, template_key="session_invited", state=OutboxMessage.State.QUEUED
    )
    for row in rows:
        row.context = {**row.context, "repeat_weeks": every_weeks, "repeat_count": count}
        row.save(update_fields=["context"])


def _copy_occurrences(first: FamilySession, series: SessionSeries, starts: list[datetime]) -> None:
    """Create the later occurrences with the first one's counselors and participants (bulk inserts)."""
    counselor_ids = list(first.counselors.values_list("pk", flat=True))
    lock_counselors(counselor_ids)
    for start in starts:
        try:
            ensure_free(counselor_ids=counselor_ids, starts_at=start, ends_at=start + series.duration)
        except ValidationError:
            raise _overlap_on(start) from None
    values = {name: getattr(first, name) for name in COPIED_FIELDS}
    copies = FamilySession.objects.bulk_create(
        [
            FamilySession(
                **values, series=series, occurrence_start=start, starts_at=start, ends_at=start + series.duration
            )
            for start in starts
        ]
    )
    through = FamilySession.counselors.through
    through.objects.bulk_create(
        [through(familysession_id=copy.pk, user_id=user_id) for copy in copies for user_id in counselor_ids]
    )
    people = list(first.participants.current())
    Participant.objects.bulk_create(
        [
            Participant(session=copy, user_id=p.user_id, role=p.role, via_patient_id=p.via_patient_id)
            for copy in copies
            for p in people
        ]
    )
    for copy in copies:
        copy.series = series
        plan_session_reminders(copy)


def _locked_series(actor: User, session: FamilySession) -> SessionSeries:
    if session.series_id is None:
        raise ValidationError(_("This session is not part of a series."))
    check_staff(actor, session.patient)
    return SessionSeries.objects.select_for_update().get(pk=session.series_id)


@transaction.atomic
def change_following(*, actor: User, session: FamilySession, starts_at: datetime, ends_at: datetime) -> SessionSeries:
    """Move this occurrence and every later one to a new day and time (a new weekly rule from ``starts_at``).

    From the first occurrence this changes the whole series in place; from a later one the series is split:
    the earlier occurrences keep the old rule (ended with UNTIL), the rest form a new series. Occurrences keep
    their rows, so participants, RSVPs and attendance stay with them; cancelled ones stay cancelled. Each moved
    occurrence gets a new revision, its old reminders cancelled and new ones planned (within the horizon), and
    the participants are told once, for this occurrence."""
    series = _locked_series(actor, session)
    session = FamilySession.objects.select_for_update().get(pk=session.pk)
    if not session.is_scheduled or session.starts_at <= timezone.now():
        raise ValidationError(_("Only a future, scheduled session can be changed."))
    if starts_at <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    if ends_at <= starts_at:
        raise ValidationError(_("The end must be after the start."))
    anchor = session.occurrence_start or session.starts_at
    following = list(
        series.occurrences.select_for_update().filter(occurrence_start__gte=anchor).order_by("occurrence_start")
    )
    earlier = series.occurrences.filter(occurrence_start__lt=anchor).exists()
    interval = series.weekly_rule.interval
    target = series
    if earlier:
        target = SessionSeries(
            program_id=series.program_id,
            time_zone=series.time_zone,
            created_by=actor,
            split_from=series,
            reminders_planned_until=series.reminders_planned_until,
        )
        series.rule = WeeklyRule(interval, until=anchor - timedelta(seconds=1)).as_rrule()
    series.sequence += 1
    series.save(update_fields=["rule", "sequence"])
    target.rule = WeeklyRule(interval, count=len(following)).as_rrule()
    target.first_start = starts_at
    target.duration_minutes = int((ends_at - starts_at).total_seconds() // 60)
    target.save()
    new_starts = target.occurrence_starts()
    counselor_ids = sorted({pk for occ in following for pk in occ.counselors.values_list("pk", flat=True)})
    lock_counselors(counselor_ids)
    previous = session.starts_at
    moved: list[FamilySession] = []
    for occurrence, start in zip(following, new_starts, strict=True):
        if (occurrence.starts_at, occurrence.ends_at) != (start, start + target.duration):
            moved.append(occurrence)
            occurrence.sequence += 1
        occurrence.series, occurrence.occurrence_start = target, start
        occurrence.starts_at, occurrence.ends_at = start, start + target.duration
        occurrence.save(update_fields=["series", "occurrence_start", "starts_at", "ends_at", "sequence", "updated_at"])
    if session.pk not in {occ.pk for occ in moved}:
        raise ValidationError(_("This is the session's current time."))
    for occurrence in moved:
        if occurrence.is_scheduled:
            try:
                ensure_free(
                    counselor_ids=list(occurrence.counselors.values_list("pk", flat=True)),
                    starts_at=occurrence.starts_at,
                    ends_at=occurrence.ends_at,
                    exclude_session=occurrence,
                )
            except ValidationError:
                raise _overlap_on(occurrence.starts_at) from None
            cancel_session_reminders(occurrence)
            plan_session_reminders(occurrence)
    session = next(occ for occ in following if occ.pk == session.pk)
    notify(list(session.participants.current()), session=session, kind=SessionNotice.Kind.RESCHEDULED,
           previous_starts_at=previous)  # fmt: skip
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=session.patient,
        data={"event": "series_changed", "series": str(target.pk), "occurrences": len(following)},
    )
    return target


@transaction.atomic
def invite_to_following(*, actor: User, session: FamilySession, members: Sequence[User]) -> list[Participant]:
    """Invite family members to this occurrence (``invite_family_members``: the gate, the notice) and to every
    later scheduled occurrence of its series, with their reminders within the horizon; told once. Returns the
    participations added."""
    series = _locked_series(actor, session)
    added = invite_family_members(actor=actor, session=session, members=members)
    chosen = eligible_members(session.patient, members)
    later = series.occurrences.scheduled().filter(
        occurrence_start__gt=session.occurrence_start or session.starts_at, starts_at__gt=timezone.now()
    )
    for occurrence in later.select_for_update().order_by("starts_at"):
        occurrence.series = series
        fresh: list[Participant] = []
        for member in chosen:
            participant, created = Participant.objects.get_or_create(session=occurrence, user=member)
            if not created and participant.removed_at is None:
                continue
            participant.removed_at, participant.rsvp = None, Participant.Rsvp.INVITED
            participant.save(update_fields=["removed_at", "rsvp"])
            fresh.append(participant)
        plan_session_reminders(occurrence, recipients=[p.user for p in fresh])
        added += fresh
    return added


@transaction.atomic
def cancel_following(*, actor: User, session: FamilySession, reason: str, whole_series: bool = False) -> int:
    """Cancel this occurrence and every later scheduled one (or, with ``whole_series``, every future occurrence),
    with a reason participants read. Pending reminders and notices of each are cancelled in this transaction.
    Each participant sees a portal notice per occurrence and gets one email or text (for the first one).
    Returns how many occurrences were cancelled."""
    series = _locked_series(actor, session)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a short reason; participants will see it.")})
    now = timezone.now()
    occurrences = series.occurrences.select_for_update().filter(
        status=FamilySession.Status.SCHEDULED, starts_at__gt=now
    )
    if not whole_series:
        occurrences = occurrences.filter(occurrence_start__gte=session.occurrence_start or session.starts_at)
    cancelled = list(occurrences.order_by("starts_at"))
    if not cancelled:
        raise ValidationError(_("No future session of this series is scheduled any more."))
    for occurrence in cancelled:
        occurrence.status = FamilySession.Status.CANCELLED
        occurrence.cancellation_reason = reason[:300]
        occurrence.cancelled_at = now
        occurrence.sequence += 1
        cancel_session_reminders(occurrence)
    FamilySession.objects.bulk_update(cancelled, ["status", "cancellation_reason", "cancelled_at", "sequence"])
    series.sequence += 1
    series.save(update_fields=["sequence"])
    by_session: dict[Any, list[Participant]] = {}
    for participant in Participant.objects.current().filter(session__in=cancelled):
        by_session.setdefault(participant.session_id, []).append(participant)
    SessionNotice.objects.bulk_create(
        [
            SessionNotice(recipient_id=p.user_id, session=occ, kind=SessionNotice.Kind.CANCELLED)
            for occ in cancelled
            for p in by_session.get(occ.pk, [])
        ]
    )
    first = cancelled[0]
    send_session_notices(first, [p.user_id for p in by_session.get(first.pk, [])], kind=SessionNotice.Kind.CANCELLED)
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=session.patient,
        data={"event": "series_cancelled", "series": str(series.pk), "occurrences": len(cancelled)},
    )
    return len(cancelled)
