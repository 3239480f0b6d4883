"""The durable outbox of outbound messages, the phones families text us from, and worker bookkeeping.

Nothing stored here may name a patient: ``subject`` is an opaque key such as ``session:<uuid>`` and ``context``
holds only neutral values (a local time string, a portal link). The patient FK exists so the worker can re-check
consent at send time (JOB-05); it is never rendered into a message.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OutboxQuerySet(models.QuerySet["OutboxMessage"]):
    def due(self, now: datetime | None = None) -> OutboxQuerySet:
        """Rows a worker may claim now: queued or unknown (to reconcile) and due, or `sending` with an expired lease
        (a crashed worker's row, JOB-03)."""
        now = now or timezone.now()
        return self.filter(
            Q(state__in=CLAIMABLE_STATES, send_after__lte=now)
            | Q(state=OutboxMessage.State.SENDING, lease_expires_at__lt=now)
        )

    def needing_attention(self) -> OutboxQuerySet:
        """Rows staff should look at: gave up (dead) or flagged by a carrier error."""
        return self.filter(Q(state=OutboxMessage.State.DEAD) | Q(flagged=True))


class OutboxMessage(models.Model):
    """One outbound message intent, written in the transaction of the change that causes it (JOB-01)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")
        PUSH = "push", _("Web push notification")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to send")
        SENDING = "sending", _("Sending")
        UNKNOWN = "unknown", _("Outcome unknown")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Not delivered")
        FAILED = "failed", _("Failed")
        OPTED_OUT = "opted_out", _("Not sent (number opted out)")
        CANCELLED = "cancelled", pgettext_lazy("an outgoing text or email", "Cancelled")
        SUPPRESSED = "suppressed", _("Not sent (no longer allowed)")
        DEAD = "dead", _("Gave up after retries")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outbox_messages")
    to_address = models.CharField(max_length=254, blank=True, help_text="Number or address used at send time.")
    template_key = models.CharField(max_length=60)
    context = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, help_text="The rendered text, kept for staff review.")
    send_after = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    state_reason = models.CharField(max_length=120, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Start of the latest send attempt.")
    provider_message_id = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=16, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    flagged = models.BooleanField(default=False, help_text="Carrier trouble worth a look by staff.")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=120, blank=True, help_text="Opaque key, e.g. session:<uuid>.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[OutboxQuerySet] = OutboxQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["send_after"], condition=Q(state__in=["queued", "unknown"]), name="outbox_claimable"),
            models.Index(fields=["lease_expires_at"], condition=Q(state="sending"), name="outbox_leased"),
            models.Index(fields=["subject", "state"], name="outbox_subject_state"),
            models.Index(fields=["provider_message_id"], name="outbox_provider_id"),
            models.Index(fields=["recipient", "template_key", "created_at"], name="outbox_recipient_template"),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} ({self.get_state_display()})"

    @property
    def kind_label(self) -> str:
        """What the message is, in words for the staff outbox page."""
        return str(TEMPLATE_LABELS.get(self.template_key, self.template_key.replace("_", " ").capitalize()))


TEMPLATE_LABELS = {
    "session_reminder": _("Session reminder"),
    "new_message": _("New-message notice"),
    "phone_code": _("Phone confirmation code"),
    "session_invited": _("Session invitation notice"),
    "session_rescheduled": _("New session time notice"),
    "session_cancelled": _("Session cancelled notice"),
    "assignment_new": _("New assignment notice"),
    "consent_granted": _("Sharing started notice"),
    "access_changed": _("Access changed notice"),
    "summary_review": _("Progress summary review notice"),
    "summary_update": _("Progress summary shared notice"),
    "sharing_changed": _("Sharing agreement changed notice (to the patient)"),
    "checkin_shared": _("Shared check-in notice"),
    "letter_issued": _("Letter issued notice"),
}


CLAIMABLE_STATES = (OutboxMessage.State.QUEUED, OutboxMessage.State.UNKNOWN)


class SmsPhone(models.Model):
    """A user's mobile number for texts: confirmed by code (SMS by the outbox) and opted in with recorded words."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_phone")
    e164 = models.CharField(max_length=20)
    verified_at = models.DateTimeField(null=True, blank=True)
    opted_in_at = models.DateTimeField(null=True, blank=True)
    opt_in_text = models.TextField(blank=True, help_text="The exact wording the user agreed to.")
    sms_capable = models.BooleanField(default=True, help_text="False after carrier error 30006 (landline).")
    code_hash = models.CharField(max_length=128, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts_left = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["e164"], name="smsphone_e164")]

    def __str__(self) -> str:
        return f"phone ending {self.e164[-2:]}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class SmsOptOut(models.Model):
    """A number that texted STOP (or that Twilio reported as opted out, error 21610). One row per number."""

    e164 = models.CharField(max_length=20, unique=True)
    active = models.BooleanField(default=True)
    opted_out_at = models.DateTimeField(default=timezone.now)
    opted_back_in_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, default="keyword")

    def __str__(self) -> str:
        return f"opt-out ending {self.e164[-2:]}"


class StatusCallbackReceipt(models.Model):
    """Deduplicates Twilio status callbacks on (MessageSid, status)."""

    message_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message_sid", "status"], name="one_receipt_per_sid_status")]

    def __str__(self) -> str:
        return self.status


class InboundMessage(models.Model):
    """One inbound text, deduplicated on MessageSid. Only the keyword class is kept, never the body (may be PHI)."""

    message_sid = models.CharField(max_length=64, unique=True)
    from_e164 = models.CharField(max_length=20)
    keyword = models.CharField(max_length=10, blank=True, help_text="stop, start, help or empty.")
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.keyword or "message"


class ShortLink(models.Model):
    """A short opaque path (``/notifications/go/<token>``) to a portal page, so a text fits one segment.

    The redirect view requires login and the target page applies the consent gate itself; the token reveals nothing.
    """

    token = models.CharField(max_length=12, unique=True)
    path = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.token


class WorkerHeartbeat(models.Model):
    """Each worker process writes its last pass time here (JOB-07 monitoring)."""

    worker_id = models.CharField(max_length=80, primary_key=True)
    last_beat_at = models.DateTimeField(default=timezone.now)
    processed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.worker_id


class PushSubscription(models.Model):
    """One browser's web push subscription (one per device), made on the account page (``notifications.push``).

    ``endpoint`` is the push service's address for that browser; ``p256dh`` and ``auth`` are its keys (base64url)
    that encrypt each payload (RFC 8291). ``session_key`` is the sign-in it came from: signing out of that device
    removes it. A push service's 404 or 410 removes it too.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=60)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"push subscription {self.pk}"


class PushPreferences(models.Model):
    """Which kinds of notices a person wants as push notifications on their devices (all on by default)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_preferences")
    new_messages = models.BooleanField(default=True)
    session_changes = models.BooleanField(default=True)
    reminders = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"push preferences of {self.user_id}"
