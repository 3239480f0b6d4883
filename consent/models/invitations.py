"""Invitations: a single-use, expiring link to the family member a consent names (only the token hash is kept)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from consent.models.consents import Consent

INVITATIONS_PER_HOUR = 5


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def sent_since(self, since: datetime) -> InvitationQuerySet:
        return self.filter(created_at__gt=since)


class Invitation(models.Model):
    """A single-use, expiring link inviting the family member a consent names; only the token hash is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Chosen by whoever sends it: the email, the landing page and the new account's first language (issue #18).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {str(self.id)[:8]}"

    def is_usable(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.accepted_at is None and at < self.expires_at
