"""Notification workflows other apps call: enqueue a message, plan and cancel session reminders, requeue dead rows.

Every function writes in the caller's transaction (JOB-01): enqueue inside the same ``transaction.atomic()`` as
the change that causes the message, and a rollback drops the message too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from notifications.links import short_link
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone
from notifications.quiet_hours import latest_waking_at_or_before, profile_zone, zones_for
from notifications.rendering import language_of
from notifications.wakeup import notify_workers
from notifications.wording import describe_fully, describe_when

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from accounts.models import Program, User

logger = logging.getLogger(__name__)


def sms_phone_for(user: User) -> SmsPhone | None:
    """The user's phone if it may receive texts now: confirmed, opted in, SMS-capable and not opted out.

    One short query, the phone row with its opt-out flag (R6: every ``enqueue_message`` without a channel asks).
    Written as SQL because building the equivalent ``Exists`` queryset costs several times more Python per call than
    running it (R6 measures the enqueue); ``tests/notifications/test_services.py`` checks it against the rule spelled
    in the ORM."""
    phone = next(iter(SmsPhone.objects.raw(_textable_phone_sql(), [True, user.pk, True])), None)
    return None if phone is None or phone.opted_out else phone  # type: ignore[attr-defined]  # the SQL's column


@cache
def _textable_phone_sql() -> str:
    quote = connection.ops.quote_name
    phones, opt_outs = quote(SmsPhone._meta.db_table), quote(SmsOptOut._meta.db_table)
    # Table names come from the models' own metadata; every value is a parameter.
    return (
        f"SELECT p.*, EXISTS (SELECT 1 FROM {opt_outs} o WHERE o.e164 = p.e164 AND o.active = %s) AS opted_out "  # noqa: S608
        f"FROM {phones} p WHERE p.user_id = %s AND p.verified_at IS NOT NULL AND p.opted_in_at IS NOT NULL "
        "AND p.sms_capable = %s"
    )


def enqueue_message(
    *,
    recipient: User,
    template_key: str,
    idempotency_key: str,
    context: dict[str, Any] | None = None,
    send_after: datetime | None = None,
    patient: User | None = None,
    scope: str | None = None,
    subject: str = "",
    channel: str | None = None,
    to_address: str = "",
) -> OutboxMessage | None:
    """Write one outbound message intent in the caller's transaction (JOB-01).

    ``channel`` None picks SMS when the recipient has a confirmed, opted-in phone, else email. Returns None when a
    row with ``idempotency_key`` already exists. ``patient`` + ``scope`` make the worker re-check consent at send
    time (JOB-05); ``subject`` (e.g. ``session:<uuid>``) selects a registered subject check. ``context`` and
    ``subject`` must never hold patient names or clinical words. ``to_address`` pins the destination (used for
    phone confirmation codes); empty means "resolve at send time".
    """
    if channel is not None and channel not in OutboxMessage.Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    if (patient is None) != (scope is None):
        raise ValueError("patient and scope go together: both or neither.")
    row = OutboxMessage(
        channel=channel or "",
        recipient=recipient,
        template_key=template_key,
        idempotency_key=idempotency_key,
        context=context or {},
        send_after=send_after or timezone.now(),
        patient=patient,
        scope=scope or "",
        subject=subject,
        to_address=to_address,
    )
    # One statement, no savepoint: a duplicate key inserts nothing (ON CONFLICT DO NOTHING) and leaves the caller's
    # transaction usable; outside a transaction the INSERT is its own (R6).
    if not _insert(row, choose_channel=channel is None):
        return None
    if row.send_after <= timezone.now():
        notify_workers()  # R4: wakes idle workers once the row is committed
    logger.info("outbox row %s queued (%s, %s)", row.pk, template_key, row.channel)
    return row


def _insert(row: OutboxMessage, *, choose_channel: bool) -> bool:
    """Insert ``row`` in one statement; False (nothing written) when its idempotency key is taken. With
    ``choose_channel`` the database picks the channel in the same statement: SMS when the recipient's phone may
    receive texts now (the rule of ``sms_phone_for``), else email — one round trip instead of a lookup and an insert
    (R6); ``tests/notifications/test_services.py`` checks the choice against every other textability check.
    No model signal is sent (none is connected to ``OutboxMessage``)."""
    sql, fields = _insert_sql(choose_channel)
    params = [field.get_db_prep_save(field.pre_save(row, add=True), connection) for field in fields]
    if choose_channel:
        params += [row.recipient_id, True, True, OutboxMessage.Channel.SMS, OutboxMessage.Channel.EMAIL]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchone()
    if returned is None:
        return False
    row.channel = returned[0]
    row._state.adding = False
    row._state.db = connection.alias
    return True


@cache
def _insert_sql(choose_channel: bool) -> tuple[str, list[Any]]:
    quote = connection.ops.quote_name
    meta = OutboxMessage._meta
    fields = [f for f in meta.concrete_fields if f.attname != "channel" or not choose_channel]
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    channel = quote(meta.get_field("channel").column or "channel")
    key = quote(meta.get_field("idempotency_key").column or "idempotency_key")
    conflict = f"ON CONFLICT ({key}) DO NOTHING RETURNING {channel}"
    if not choose_channel:
        return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values}) {conflict}", fields  # noqa: S608
    phones, opt_outs = quote(SmsPhone._meta.db_table), quote(SmsOptOut._meta.db_table)
    # Table and column names come from the models' own metadata; every value is a parameter.
    textable = (
        f"SELECT 1 FROM {phones} p WHERE p.user_id = %s AND p.verified_at IS NOT NULL "  # noqa: S608
        "AND p.opted_in_at IS NOT NULL AND p.sms_capable = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {opt_outs} o WHERE o.e164 = p.e164 AND o.active = %s)"
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}, {channel}) "  # noqa: S608
        f"VALUES ({values}, CASE WHEN EXISTS ({textable}) THEN %s ELSE %s END) {conflict}"
    )
    return sql, fields


def page_url(path: str) -> str:
    """The full address of a portal page, for emails (built from ``PORTAL_BASE_URL``; the page asks for sign-in)."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("Links point at local paths only.")
    return f"{settings.PORTAL_BASE_URL}{path}"


def portal_link(path: str) -> str:
    """A short, opaque, login-protected link to ``path`` that fits in one text (use it for every SMS link)."""
    return short_link(path)


def reminder_key(*, subject: str, recipient: User, offset: int, starts_at: datetime, revision: int = 0) -> str:
    """One key per recipient, offset, start and revision: a session moved back to an earlier time is a new
    revision, so its reminders are planned again instead of colliding with the cancelled rows."""
    return f"reminder:{subject}:{recipient.pk}:{offset}:{int(starts_at.timestamp())}:r{revision}"


def plan_reminders(
    *,
    subject: str,
    recipients: Iterable[User],
    starts_at: datetime,
    program: Program,
    patient: User | None,
    link_path: str,
    revision: int = 0,
) -> list[OutboxMessage]:
    """Queue neutral reminders for an upcoming family session, in the caller's transaction.

    One row per recipient per ``program.reminder_offsets_minutes`` (default 24 h and 2 h before), placed in the
    recipient's waking hours (8 AM–9 PM in their profile zone — see ``quiet_hours.profile_zone`` — and their number's
    area-code zone) by moving it earlier, never later; a reminder whose time
    has already passed is skipped. Rows carry ``scope="schedule"`` and ``patient`` so the worker re-checks consent,
    and ``subject`` so the registered subject check can drop them if the session is cancelled or moved.
    Re-planning the same start is idempotent; a moved start gets new keys (cancel the old subject first).
    A text says when in a few neutral words and links through a short link; an email also gives the full date and
    time in the recipient's zone (``when_full``) and the page's address (``url``, from ``PORTAL_BASE_URL``). Both are
    written in the recipient's language here and again by the worker at send time, from ``starts_at`` and ``tz``
    (``notifications.wording.spoken_times``), so a person who changes language meanwhile reads one language.
    """
    now = timezone.now()
    starts_at = starts_at.astimezone(UTC)  # offsets are real elapsed time, also across a DST change
    offsets = sorted({int(m) for m in (program.reminder_offsets_minutes or [])}, reverse=True)
    link = portal_link(link_path)
    rows: list[OutboxMessage] = []
    for recipient in recipients:
        tz = profile_zone(recipient, program)
        phone = SmsPhone.objects.filter(user=recipient).only("e164").first()
        zones = zones_for(tz, phone.e164 if phone else None)
        for offset in offsets:
            send_at = latest_waking_at_or_before(starts_at - timedelta(minutes=offset), zones)
            if send_at is None or send_at <= now or send_at >= starts_at:
                continue
            row = enqueue_message(
                recipient=recipient,
                template_key="session_reminder",
                idempotency_key=reminder_key(
                    subject=subject, recipient=recipient, offset=offset, starts_at=starts_at, revision=revision
                ),
                context={
                    **_spoken(recipient, starts_at, send_at, tz),
                    "link": link,
                    "url": page_url(link_path),
                    "starts_at": starts_at.isoformat(),
                    "tz": tz.key,
                },
                send_after=send_at,
                patient=patient,
                scope="schedule" if patient is not None else None,
                subject=subject,
            )
            if row is not None:
                rows.append(row)
                push = _push_reminder(row, link_path)
                if push is not None:
                    rows.append(push)
    return rows


def _push_reminder(row: OutboxMessage, link_path: str) -> OutboxMessage | None:
    """The push twin of a reminder row, for a person who wants reminders by push (``notifications.push``): same
    time, facts and checks, its own idempotency key."""
    from notifications.push import wants_push

    if not wants_push(row.recipient, row.template_key):
        return None
    return enqueue_message(
        recipient=row.recipient,
        template_key=row.template_key,
        idempotency_key=f"push:{row.idempotency_key}",
        context={**row.context, "path": link_path},
        send_after=row.send_after,
        patient=row.patient,
        scope=row.scope or None,
        subject=row.subject,
        channel=OutboxMessage.Channel.PUSH,
    )


def _spoken(recipient: User, starts_at: datetime, send_at: datetime, tz: ZoneInfo) -> dict[str, str]:
    with translation.override(language_of(recipient)):
        return {"when": describe_when(starts_at, send_at, tz), "when_full": describe_fully(starts_at, tz)}


def cancel_reminders(*, subject: str) -> int:
    """Mark every still-queued row of ``subject`` cancelled (in the caller's transaction). Returns how many."""
    return OutboxMessage.objects.filter(subject=subject, state=OutboxMessage.State.QUEUED).update(
        state=OutboxMessage.State.CANCELLED, state_reason="cancelled by the portal", updated_at=timezone.now()
    )


def requeue_dead(*, rows: Iterable[OutboxMessage], actor: User | None = None) -> int:
    """Give dead rows a fresh set of attempts (staff view or ``manage.py requeue_dead``). Audited; returns count.

    ``claimed_at`` and the body are kept, so a row whose last outcome was ambiguous is reconciled before resending.
    """
    from consent.audit import record_audit
    from consent.models import AuditEvent

    count = 0
    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            dead = OutboxMessage.objects.filter(pk=row.pk, state=OutboxMessage.State.DEAD)
            # A confirmation code is never resent (its code is wiped and may have expired): ask for a new one.
            updated = dead.exclude(template_key="phone_code").update(
                state=OutboxMessage.State.QUEUED,
                attempts=0,
                send_after=now,
                lease_owner="",
                lease_expires_at=None,
                flagged=False,
                state_reason="requeued by staff",
                updated_at=now,
            )
            if updated:
                count += 1
                record_audit(
                    kind=AuditEvent.Kind.ADMIN_CHANGE,
                    actor=actor,
                    patient=row.patient if row.patient_id else None,
                    data={"outbox_id": str(row.pk), "action": "outbox_requeue"},
                )
    logger.info("%d dead outbox rows requeued", count)
    return count
