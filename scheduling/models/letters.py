"""Attendance letters for a court, a probation or parole officer, or a drug court (42 CFR § 2.35).

A counselor on the patient's care team issues a letter under a § 2.35 consent in force that covers ``attendance``.
The letter's facts (letterhead, counselor, recipient, period, sessions and totals) are frozen in ``facts`` when it is
issued, so the public verification page shows exactly what was sent. Only a hash of the verification code is kept.
A letter is valid while its consent is in force (not expired, revoked, replaced or ended) and it is not withdrawn.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AttendanceLetter(models.Model):
    """One letter as issued: who issued it, under which consent, for which period, and its frozen facts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendance_letters")
    consent = models.ForeignKey("consent.Consent", on_delete=models.PROTECT, related_name="attendance_letters")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    period_start = models.DateField()
    period_end = models.DateField()
    code_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the normalised code; never the code."
    )
    facts: models.JSONField[Any] = models.JSONField(help_text="What the letter says, frozen at issue time.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["patient", "issued_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="letter_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Attendance letter {str(self.pk)[:8]}"

    def is_valid(self, at: datetime | None = None) -> bool:
        """Valid while not withdrawn and its consent is in force (not expired, revoked, replaced or ended)."""
        at = at or timezone.now()
        return (self.withdrawn_at is None or at < self.withdrawn_at) and self.consent.is_effective(at)

    def status_key(self, at: datetime | None = None) -> str:
        """ "withdrawn", "consent_ended" or "valid" (stable: templates and tests use it)."""
        at = at or timezone.now()
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return "withdrawn"
        return "valid" if self.consent.is_effective(at) else "consent_ended"
