"""Secure messaging: conversations about a patient, their participants' read state, messages and revisions.

The database is the record (WS-08): the channel layer only carries copies, and clients replay what they missed by
message id. Who may take part is never stored as a permission: it is asked of the consent gate every time
(``messaging.access.can_participate``); ``Participant`` rows only hold read positions and notice state.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, cast

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from consent.gate import visible_patients
from consent.models import Scope
from messaging.roles import SenderRole, sender_role
from messaging.text import MAX_BODY_CHARS, body_parts

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class UnreadCounts(TypedDict):
    last_read: int
    unread: int


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def visible_to(self, user: Any, at: Any = None) -> ConversationQuerySet:
        """Conversations ``user`` may open now; everything else answers 404 (AZ-03).

        Mirrors ``messaging.access.can_participate`` as one query: the patients come from the consent gate, the
        roles from the conversation kind (tests check the two agree).
        """
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        scoped = self.filter(patient__in=visible_patients(user, Scope.MESSAGING, at))
        member = Exists(Participant.objects.filter(conversation=OuterRef("pk"), user=user))
        if user.is_counselor or user.is_family:
            return scoped.filter(Q(kind=Conversation.Kind.CARE_TEAM) | Q(member, kind=Conversation.Kind.DIRECT))
        if user.is_patient:
            return scoped.filter(
                kind=Conversation.Kind.CARE_TEAM, patient=user, patient__program__patients_join_care_team=True
            )
        return self.none()

    def with_unread(self, user: Any) -> models.QuerySet[WithAnnotations[Conversation, UnreadCounts]]:
        """Annotate ``last_read`` (the user's "seen up to" id) and ``unread`` (others' live messages after it)."""
        last_read = Participant.objects.filter(conversation=OuterRef("pk"), user=user).values("last_read_message_id")
        unread = (
            Message.objects.filter(conversation=OuterRef("pk"), deleted_at__isnull=True, id__gt=OuterRef("last_read"))
            .exclude(sender=user)
            .order_by()
            .values("conversation")
            .annotate(n=Count("id"))
            .values("n")
        )
        annotated = self.annotate(last_read=Coalesce(Subquery(last_read[:1]), Value(0))).annotate(
            unread=Coalesce(Subquery(unread[:1]), Value(0))
        )
        return cast("models.QuerySet[WithAnnotations[Conversation, UnreadCounts]]", annotated)


class Conversation(models.Model):
    """A thread about one patient: the care-team conversation, or a one-to-one between a counselor and a family
    member. Both are gated by the patient's ``messaging`` consent scope."""

    class Kind(models.TextChoices):
        CARE_TEAM = "care_team", "Care team"
        DIRECT = "direct", "One-to-one"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversations_about")
    direct_key = models.CharField(
        max_length=80, null=True, blank=True, unique=True, help_text="patient:counselor:family for one-to-ones."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_id = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ConversationQuerySet] = ConversationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-last_message_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(kind="care_team"), name="one_care_team_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(kind="care_team", direct_key__isnull=True) | Q(kind="direct", direct_key__isnull=False),
                name="direct_key_only_for_direct",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {str(self.id)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:conversation", args=[self.pk])

    @property
    def is_care_team(self) -> bool:
        return self.kind == self.Kind.CARE_TEAM

    def title_for(self, viewer: Any) -> str:
        """A heading for ``viewer``. One-to-one titles need ``participants`` prefetched with their users."""
        if self.is_care_team:
            if viewer.pk == self.patient_id:
                return "Your care team"
            return f"Care team for {self.patient.display_name}"
        others = [p.user.display_name for p in self.participants.all() if p.user_id != viewer.pk]
        return f"{', '.join(others) or 'Private conversation'} (about {self.patient.display_name})"


class Participant(models.Model):
    """A person's read position in a conversation and the offline-notice bookkeeping (not a permission)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversation_seats")
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_message_id = models.PositiveBigIntegerField(default=0, help_text='"Seen up to" this message id.')
    notified_up_to = models.PositiveBigIntegerField(default=0, help_text="Latest message id an offline notice covered.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_seat_per_person")]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"


class Message(models.Model):
    """One message. Edits and deletes are soft: the previous text goes to ``MessageRevision`` for staff."""

    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent")
    body = models.TextField(max_length=MAX_BODY_CHARS, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_id")]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def parts(self) -> list[dict[str, str]]:
        return [] if self.is_deleted else body_parts(self.body)

    @property
    def sender_role(self) -> SenderRole:
        """The sender's role from their account (AUTH-13); needs ``sender`` loaded."""
        return sender_role(self.sender)

    def as_event(self) -> dict[str, Any]:
        """The JSON shape sent to sockets (needs ``sender`` loaded); a deleted message carries no text. The sender's
        role comes from their account, so a name cannot claim one (AUTH-13)."""
        return {
            "id": self.pk,
            "conversation": str(self.conversation_id),
            "sender": {"id": self.sender_id, "name": self.sender.display_name, "role": self.sender_role.value},
            "parts": self.parts,
            "created_at": self.created_at.isoformat(),
            "edited": self.edited_at is not None,
            "deleted": self.is_deleted,
        }


class MessageRevision(models.Model):
    """The text a message had before an edit or a delete: kept for staff, never shown to families."""

    class Kind(models.TextChoices):
        EDITED = "edited", "Edited"
        DELETED = "deleted", "Deleted"

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    previous_body = models.TextField(max_length=MAX_BODY_CHARS)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} message {self.message_id}"


class SocketConnection(models.Model):
    """One open WebSocket, so every process can tell who is online (offline notices). A heartbeat keeps
    ``last_seen_at`` fresh; rows of a crashed process simply go stale."""

    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen_at"], name="socket_user_seen")]

    def __str__(self) -> str:
        return f"Socket of user {self.user_id}"
