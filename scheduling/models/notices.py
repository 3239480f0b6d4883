"""In-portal notices to participants that a session or request changed."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling.models.requests import SessionRequest
from scheduling.models.sessions import FamilySession


class SessionNoticeQuerySet(models.QuerySet["SessionNotice"]):
    def visible_to(self, user: Any) -> SessionNoticeQuerySet:
        """The recipient's notices, hidden again as soon as consent no longer covers the session."""
        return self.about(user, FamilySession.objects.visible_to(user), SessionRequest.objects.visible_to(user))

    def about(self, recipient: Any, sessions: Any, requests: Any) -> SessionNoticeQuerySet:
        """``recipient``'s notices about one of ``sessions`` or ``requests`` (those they may see)."""
        return self.filter(recipient=recipient).filter(Q(session__in=sessions) | Q(request__in=requests))

    def unread(self) -> SessionNoticeQuerySet:
        return self.filter(read_at__isnull=True)


class SessionNotice(models.Model):
    """An in-portal notice to a participant that a session or request changed."""

    class Kind(models.TextChoices):
        INVITED = "invited", _("You are invited")
        RESCHEDULED = "rescheduled", _("Time changed")
        CANCELLED = "cancelled", _("Cancelled")
        REQUEST_CONFIRMED = "request_confirmed", _("Request confirmed")
        REQUEST_DECLINED = "request_declined", _("Request not possible")
        PLACE_CONFIRMED = "place_confirmed", _("A place opened for you")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_notices")
    session = models.ForeignKey(FamilySession, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(SessionRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    previous_starts_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[SessionNoticeQuerySet] = SessionNoticeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"Notice {self.pk}"
