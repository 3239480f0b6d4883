"""Families' session requests: one open slot (held while pending) or proposed times."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.gate import visible_patients
from consent.models import Scope
from scheduling.models.sessions import FamilySession


class SessionRequestQuerySet(models.QuerySet["SessionRequest"]):
    def visible_to(self, user: Any) -> SessionRequestQuerySet:
        """Requests the viewer may see: the family member who asked (while consent lasts) and the care team."""
        if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
            return self.none()
        patients = visible_patients(user, Scope.SCHEDULE)
        if user.is_care_staff:
            return self.filter(patient__in=patients)
        return self.asked_by(user, patients)

    def asked_by(self, user: Any, patients: Any) -> SessionRequestQuerySet:
        """``visible_to`` for a family member: what ``user`` asked about ``patients`` (those whose schedule the gate
        lets them see, as ``consent.gate.visible_patients`` gives them)."""
        return self.filter(requested_by=user, patient__in=patients)

    def pending(self) -> SessionRequestQuerySet:
        return self.filter(status=SessionRequest.Status.PENDING)

    def holding(self, starts_at: datetime, ends_at: datetime) -> SessionRequestQuerySet:
        """Pending requests for an open slot overlapping the period: the slot is held for that family."""
        return self.pending().filter(slot_starts_at__lt=ends_at, slot_ends_at__gt=starts_at)


class SessionRequest(models.Model):
    """A family member asks for a family session: one open slot (held while pending) or proposed times."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for the counselor")
        CONFIRMED = "confirmed", gettext_lazy("Confirmed")
        DECLINED = "declined", gettext_lazy("Not possible")
        WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_requests"
    )
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests_received")
    modality = models.CharField(
        max_length=10, choices=FamilySession.Modality.choices, default=FamilySession.Modality.IN_PERSON
    )
    slot_starts_at = models.DateTimeField(null=True, blank=True)
    slot_ends_at = models.DateTimeField(null=True, blank=True)
    proposed_times = models.JSONField(default=list, blank=True, help_text="Proposed start times, UTC ISO 8601.")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    response_message = models.CharField(max_length=500, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    session = models.OneToOneField(
        FamilySession, null=True, blank=True, on_delete=models.SET_NULL, related_name="from_request"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SessionRequestQuerySet] = SessionRequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["counselor", "status"])]

    def __str__(self) -> str:
        return f"Request {str(self.pk)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("scheduling:request_detail", args=[self.pk])

    @property
    def proposed_datetimes(self) -> list[datetime]:
        return [datetime.fromisoformat(value) for value in self.proposed_times]

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def session_cancelled(self) -> bool:
        """Confirmed, but the session it became was cancelled afterwards (load with ``select_related("session")``)."""
        session = self.session
        return (
            self.status == self.Status.CONFIRMED
            and session is not None
            and session.status == FamilySession.Status.CANCELLED
        )

    @property
    def current_status(self) -> str:
        """The state to show now: the request's own status, or ``"cancelled"`` when its session was cancelled."""
        return "cancelled" if self.session_cancelled else self.status

    @property
    def current_status_display(self) -> str:
        return str(_("Session cancelled")) if self.session_cancelled else self.get_status_display()
