"""Access beside a consent: personal representatives (§ 2.15) and emergency break-glass access (AZ-06)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PersonalRepresentativeQuerySet(models.QuerySet["PersonalRepresentative"]):
    def effective(self, at: datetime | None = None) -> PersonalRepresentativeQuerySet:
        at = at or timezone.now()
        return self.filter(
            Q(verified_at__lte=at),
            Q(expires_at__isnull=True) | Q(expires_at__gt=at),
            Q(ended_at__isnull=True) | Q(ended_at__gt=at),
        )


class PersonalRepresentative(models.Model):
    """Someone who may act as the patient within a recorded legal authority (§ 2.15, HIPAA 164.502(g))."""

    class Authority(models.TextChoices):
        GUARDIAN_OF_MINOR = "guardian_of_minor", _("Parent or guardian of a minor (where § 2.14 allows)")
        GUARDIAN = "guardian", _("Court-appointed guardian")
        HEALTH_CARE_POA = "health_care_poa", _("Health care power of attorney")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    representative = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="represents")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="representatives")
    authority = models.CharField(max_length=30, choices=Authority.choices)
    limits = models.CharField(max_length=300, blank=True)
    document_reference = models.CharField(max_length=120)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[PersonalRepresentativeQuerySet] = PersonalRepresentativeQuerySet.as_manager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"{self.representative} ({self.get_authority_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and mark the representative ``recorded_as_representative`` in the same transaction: the gate
        only looks for authorities of people so marked. The flag is never cleared (an ended authority is filtered
        by date like any other), so it can only cost a query, never hide an authority that exists."""
        from accounts.models import User

        with transaction.atomic():
            super().save(*args, **kwargs)
            User.objects.filter(pk=self.representative_id, recorded_as_representative=False).update(
                recorded_as_representative=True
            )
        if "representative" in self._state.fields_cache:
            self.representative.recorded_as_representative = True

    def is_effective(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return (
            self.verified_at <= at
            and (self.expires_at is None or at < self.expires_at)
            and (self.ended_at is None or at < self.ended_at)
        )


BREAK_GLASS_DURATION = timedelta(hours=1)


class BreakGlassAccessQuerySet(models.QuerySet["BreakGlassAccess"]):
    def active(self, at: datetime | None = None) -> BreakGlassAccessQuerySet:
        at = at or timezone.now()
        return self.filter(started_at__lte=at, expires_at__gt=at)


class BreakGlassAccess(models.Model):
    """Emergency access by a counselor to a patient outside their caseload (AZ-06, 164.312(a)(2)(ii))."""

    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects: ClassVar[BreakGlassAccessQuerySet] = BreakGlassAccessQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [models.Index(fields=["counselor", "patient", "expires_at"])]

    def __str__(self) -> str:
        return f"Emergency access {self.pk}"
