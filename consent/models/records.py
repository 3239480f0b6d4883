"""Records of what happened: the § 2.25 disclosure ledger and the hash-chained audit log (DATA-01, DATA-02)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models.consents import Consent, Scope

ACCOUNTING_WINDOW = timedelta(days=3 * 365 + 1)  # § 2.25: the 3 years before the request


class DisclosureQuerySet(models.QuerySet["Disclosure"]):
    def for_accounting(self, patient: object, at: datetime | None = None) -> DisclosureQuerySet:
        """A patient's accounting of disclosures: every ledger row of the last 3 years (§ 2.25)."""
        at = at or timezone.now()
        return self.filter(patient=patient, at__gt=at - ACCOUNTING_WINDOW, at__lte=at)


class Disclosure(models.Model):
    """The § 2.25 accounting of disclosures: one row per disclosure made to a recipient under a consent."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web page")
        EXPORT = "export", _("Export or print")
        WEBSOCKET = "websocket", _("Live message")
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")
        CALENDAR = "calendar", _("Calendar feed")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recipient_name = models.CharField(max_length=150)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosures")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="disclosures")
    form_version = models.CharField(max_length=20)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    what = models.CharField(max_length=200, help_text="What was shown, in plain words (no message text).")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects: ClassVar[DisclosureQuerySet] = DisclosureQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self) -> str:
        return f"{self.scope} to {self.recipient_name} at {self.at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """Append-only, hash-chained audit log (DATA-01, DATA-02; HIPAA 164.312(b), (c)).

    Each row's ``hash`` is SHA-256 over the previous row's hash and this row's canonical JSON; a database
    trigger refuses UPDATE and DELETE. ``manage.py verify_audit`` names the first broken link.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        CONSENT_GRANTED = "consent_granted", _("Consent granted")
        CONSENT_RECORDED = "consent_recorded", _("Paper consent recorded")
        CONSENT_REVIEWED = "consent_reviewed", _("Paper consent reviewed")
        CONSENT_REVOKED = "consent_revoked", _("Consent revoked")
        CONSENT_ENDED = "consent_ended", _("Consent ended by an event")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        DISCLOSURE_REFUSED = "disclosure_refused", _("Disclosure refused")
        BREAK_GLASS = "break_glass", _("Emergency access")
        ADMIN_CHANGE = "admin_change", _("Admin change")
        REPRESENTATIVE_RECORDED = "representative_recorded", _("Personal representative recorded")
        LEDGER_EXPORTED = "ledger_exported", _("Disclosure ledger exported")
        OUTBOX_DEAD = "outbox_dead", _("Notification gave up")
        SMS_OPTED_IN = "sms_opted_in", _("Agreed to text messages")
        SMS_OPTED_OUT = "sms_opted_out", _("Stopped text messages")
        EDUCATION_ASSIGNED = "education_assigned", _("Education module assigned")
        EDUCATION_ASSIGNMENT_CANCELLED = "education_assignment_cancelled", _("Education assignment withdrawn")
        RETENTION_PURGE = "retention_purge", _("Expired data purged")
        OTHER = "other", _("Other")

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"
