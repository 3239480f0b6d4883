"""Neutral notices that something changed for a person in the portal: one email (verified address) and one text
(opted-in phone) per event, written in the caller's transaction through ``enqueue_message`` (JOB-01).

Other apps decide what happened and to whom; this module decides how it is said and sent:

- the text is one neutral GSM-7 segment (no name, no program, no clinical word; consent-and-privacy § 12) with a
  short login-protected link; the email adds the time in the person's zone and the page's full address;
- each (event, person, channel) has one idempotency key, so repeating an event's call queues nothing new;
- a notice about a patient carries ``patient`` and ``scope``, so the worker asks the consent gate again at send
  time (JOB-05); a notice that access *ended* carries neither: it says only that access changed;
- texts respect quiet hours in the worker (a notice waits for the morning; only reminders are dropped).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.utils import timezone, translation

from notifications.models import OutboxMessage
from notifications.push import wants_push
from notifications.quiet_hours import profile_zone
from notifications.rendering import language_of
from notifications.services import enqueue_message, page_url, portal_link, sms_phone_for
from notifications.wording import describe_fully, describe_moment

if TYPE_CHECKING:
    from accounts.models import Program, User

SESSION_INVITED = "session_invited"
SESSION_RESCHEDULED = "session_rescheduled"
SESSION_CANCELLED = "session_cancelled"
SESSION_PLACE_CONFIRMED = "session_place_confirmed"
ASSIGNMENT_NEW = "assignment_new"
CONSENT_GRANTED = "consent_granted"
ACCESS_CHANGED = "access_changed"
SUMMARY_REVIEW = "summary_review"  # a progress summary waits for the patient's review (messaging.summaries)
SUMMARY_UPDATE = "summary_update"  # a progress summary was shared with the family
SHARING_CHANGED = "sharing_changed"
CHECKIN_SHARED = "checkin_shared"  # a family member shared their own check-in (accounts.checkin_sharing)
LETTER_ISSUED = "letter_issued"

NOTICE_TEMPLATES = (
    SESSION_INVITED,
    SESSION_RESCHEDULED,
    SESSION_CANCELLED,
    SESSION_PLACE_CONFIRMED,
    ASSIGNMENT_NEW,
    CONSENT_GRANTED,
    ACCESS_CHANGED,
    SUMMARY_REVIEW,
    SUMMARY_UPDATE,
    SHARING_CHANGED,
    CHECKIN_SHARED,
    LETTER_ISSUED,
)

Channel = OutboxMessage.Channel


def has_verified_email(user: User) -> bool:
    """True when the account's own email address is confirmed (allauth), so an email may go to it."""
    if not user.email:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def notice_key(*, event: str, recipient: User, channel: str) -> str:
    """One key per event, person and channel: calling again for the same event queues nothing new."""
    return f"notice:{event}:{recipient.pk}:{channel}"


def send_notice(
    *,
    recipient: User,
    template_key: str,
    event: str,
    link_path: str,
    starts_at: datetime | None = None,
    program: Program | None = None,
    patient: User | None = None,
    scope: str | None = None,
    subject: str = "",
    extra: dict[str, Any] | None = None,
    channels: Collection[str] | None = None,
) -> list[OutboxMessage]:
    """Queue the notice ``template_key`` about ``event`` to ``recipient``: an email when their address is verified,
    a text when their phone is confirmed and opted in, and a push notice when they turned push on for its kind
    (``notifications.push.wants_push``). Returns the rows queued now (none for a repeat).

    ``event`` names the change once (e.g. ``session:<uuid>:cancelled:r3``); ``starts_at`` adds the time in the
    recipient's zone (``when`` for texts, ``when_full`` for emails) and lets the worker drop a notice whose
    session has begun; both are written in the recipient's language, now and again at send time. ``patient`` and
    ``scope`` make the worker re-check consent at send time; ``subject`` selects a registered subject check;
    ``channels`` limits the notice to some channels. Context values stay neutral: times, links, a revision number.
    """
    if template_key not in NOTICE_TEMPLATES:
        raise ValueError(f"Unknown notice {template_key!r}.")
    wanted = set(Channel.values if channels is None else channels)
    usable = []
    if Channel.EMAIL in wanted and has_verified_email(recipient):
        usable.append(Channel.EMAIL)
    if Channel.SMS in wanted and sms_phone_for(recipient) is not None:
        usable.append(Channel.SMS)
    if Channel.PUSH in wanted and wants_push(recipient, template_key):
        usable.append(Channel.PUSH)
    if not usable:
        return []
    context: dict[str, Any] = {
        "link": portal_link(link_path),
        "url": page_url(link_path),
        "path": link_path,
        **(extra or {}),
    }
    if starts_at is not None:
        tz = profile_zone(recipient, program)
        with translation.override(language_of(recipient)):  # worded again at send time (``wording.spoken_times``)
            context.update(when=describe_moment(starts_at, tz), when_full=describe_fully(starts_at, tz))
        context.update(starts_at=starts_at.isoformat(), tz=tz.key)
    rows = []
    for channel in usable:
        row = enqueue_message(
            recipient=recipient,
            template_key=template_key,
            idempotency_key=notice_key(event=event, recipient=recipient, channel=channel),
            context=context,
            patient=patient,
            scope=scope if patient is not None else None,
            subject=subject,
            channel=channel,
        )
        if row is not None:
            rows.append(row)
    return rows


def _attempted(*, subject: str, template_key: str) -> set[tuple[int, str]]:
    """(recipient id, channel) pairs for which a ``template_key`` row of ``subject`` went, or is going, to the
    provider: every state but waiting, cancelled and suppressed."""
    unsent = (OutboxMessage.State.QUEUED, OutboxMessage.State.CANCELLED, OutboxMessage.State.SUPPRESSED)
    rows = OutboxMessage.objects.filter(subject=subject, template_key=template_key).exclude(state__in=unsent)
    return set(rows.values_list("recipient_id", "channel"))


def withdrawn_recipients(*, subject: str, template_key: str) -> set[tuple[int, str]]:
    """(recipient id, channel) pairs whose ``template_key`` row of ``subject`` was withdrawn before it went out
    and never went out in another revision: they have not heard of it yet."""
    withdrawn = OutboxMessage.objects.filter(
        subject=subject, template_key=template_key, state=OutboxMessage.State.CANCELLED
    )
    pairs = set(withdrawn.values_list("recipient_id", "channel"))
    return pairs - _attempted(subject=subject, template_key=template_key)


def withdraw_notices(*, subject: str, template_keys: Collection[str]) -> int:
    """Cancel the still-waiting notices ``template_keys`` of ``subject`` (in the caller's transaction), because a
    later change makes them wrong. Returns how many."""
    waiting = OutboxMessage.objects.filter(subject=subject, template_key__in=template_keys)
    return waiting.filter(state=OutboxMessage.State.QUEUED).update(
        state=OutboxMessage.State.CANCELLED, state_reason="replaced by a later change", updated_at=timezone.now()
    )
