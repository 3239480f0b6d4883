"""Secure messaging: conversations about a patient, their participants' read state, messages and revisions.

The database is the record (WS-08): the channel layer only carries copies, and clients replay what they missed by
message id. Who may take part is never stored as a permission: it is asked of the consent gate every time
(``messaging.access.can_participate``); ``Participant`` rows only hold read positions and notice state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, cast

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consent.gate import visible_patients
from consent.history import EVERYTHING, history_start
from consent.models import Scope
from messaging.roles import SenderRole, sender_role
from messaging.text import MAX_BODY_CHARS, body_parts

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class UnreadCounts(TypedDict):
    last_read: int
    visible_from: datetime | None
    unread: int


def visible_from(user: Any) -> Expression:
    """For annotating conversations: the instant from which ``user`` reads each one. A family member reads a shared
    family thread only from the start of their own messaging consent (``consent.history``, MSG-01); everything
    else, and everyone else (staff, the patient), from the beginning. NULL where the user reads nothing."""
    everything = Value(EVERYTHING, output_field=models.DateTimeField())
    if not getattr(user, "is_family", False):
        return everything
    start = history_start(user.pk, OuterRef("patient_id"), Scope.MESSAGING)
    return Case(
        When(kind=Conversation.Kind.CARE_TEAM, then=start), default=everything, output_field=models.DateTimeField()
    )


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def visible_to(self, user: Any, at: Any = None) -> ConversationQuerySet:
        """Conversations ``user`` may open now; everything else answers 404 (AZ-03).

        Mirrors ``messaging.access.can_participate`` as one query: the patients come from the consent gate, the
        roles from the conversation kind (tests check the two agree). Counselors see every family's private
        thread with the care team; a family member only their own.
        """
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.visible_among(user, visible_patients(user, Scope.MESSAGING, at))

    def visible_among(self, user: Any, patients: Any) -> ConversationQuerySet:
        """``visible_to`` with the gate's answer given: ``patients`` is ``visible_patients(user, messaging, at)``
        (a queryset of the same patients, for SQL compiled once: ``messaging.inbox_queries``)."""
        scoped = self.filter(patient__in=patients)
        seated = Exists(Participant.objects.filter(conversation=OuterRef("pk"), user=user))
        kinds = Conversation.Kind
        shared, private, direct = kinds.CARE_TEAM, kinds.FAMILY_PRIVATE, kinds.DIRECT
        if user.is_counselor:
            return scoped.filter(Q(kind__in=[shared, private]) | Q(seated, kind=direct))
        if user.is_family:
            return scoped.filter(Q(kind=shared) | Q(kind=private, member=user) | Q(seated, kind=direct))
        if user.is_patient:
            return scoped.filter(kind=shared, patient=user, patient__program__patients_join_care_team=True)
        return self.none()

    def with_unread(self, user: Any) -> models.QuerySet[WithAnnotations[Conversation, UnreadCounts]]:
        """Annotate ``last_read`` (the user's "seen up to" id), ``visible_from`` (the instant from which the user
        reads the thread: a family member reads a shared thread only from the start of their own sharing,
        MSG-01) and ``unread`` (others' live messages after both)."""
        last_read = Participant.objects.filter(conversation=OuterRef("pk"), user=user).values("last_read_message_id")
        unread = (
            Message.objects.filter(
                conversation=OuterRef("pk"),
                deleted_at__isnull=True,
                id__gt=OuterRef("last_read"),
                created_at__gte=OuterRef("visible_from"),
            )
            .exclude(sender=user)
            .order_by()
            .values("conversation")
            .annotate(n=Count("id"))
            .values("n")
        )
        annotated = (
            self.annotate(last_read=Coalesce(Subquery(last_read[:1]), Value(0)))
            .annotate(visible_from=visible_from(user))
            .annotate(unread=Coalesce(Subquery(unread[:1]), Value(0)))
        )
        return cast("models.QuerySet[WithAnnotations[Conversation, UnreadCounts]]", annotated)


class Conversation(models.Model):
    """A thread about one patient, gated by the patient's ``messaging`` consent scope (MSG-01):

    - ``FAMILY_PRIVATE``: a family member's default conversation, private with the patient's care team (one per
      family member and patient, created on first use);
    - ``CARE_TEAM``: the shared family thread of the patient's relatives (and the patient where the program
      allows), which a family member reads only from the start of their own messaging consent;
    - ``DIRECT``: a one-to-one between a counselor and a family member.
    """

    class Kind(models.TextChoices):
        CARE_TEAM = "care_team", _("Shared family thread")
        FAMILY_PRIVATE = "family_private", _("Private with the care team")
        DIRECT = "direct", _("One-to-one")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversations_about")
    direct_key = models.CharField(
        max_length=80, null=True, blank=True, unique=True, help_text="patient:counselor:family for one-to-ones."
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The family member of a private conversation with the care team.",
    )
    member_relationship = models.CharField(
        max_length=80, blank=True, help_text="How the family member is related to the patient (shown to staff)."
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
            models.UniqueConstraint(
                fields=["patient", "member"], condition=Q(kind="family_private"), name="one_private_per_member"
            ),
            models.CheckConstraint(
                condition=Q(kind="care_team", direct_key__isnull=True, member__isnull=True)
                | Q(kind="direct", direct_key__isnull=False, member__isnull=True)
                | Q(kind="family_private", direct_key__isnull=True, member__isnull=False),
                name="keys_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {str(self.id)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:conversation", args=[self.pk])

    @property
    def is_shared(self) -> bool:
        """The shared family thread (its kind keeps its first name, ``care_team``)."""
        return self.kind == self.Kind.CARE_TEAM

    @property
    def is_private(self) -> bool:
        return self.kind == self.Kind.FAMILY_PRIVATE

    def title_for(self, viewer: Any) -> str:
        """A heading for ``viewer``. Private titles need ``member`` loaded, one-to-one titles ``participants``
        prefetched with their users."""
        patient = self.patient.display_name
        if self.is_shared:
            if viewer.pk == self.patient_id:
                return gettext("Shared family thread")
            return gettext("Shared family thread (about %(patient)s)") % {"patient": patient}
        if self.is_private:
            if viewer.pk == self.member_id:
                return gettext("Private with the care team (about %(patient)s)") % {"patient": patient}
            relationship = self.member_relationship or gettext("Family")
            member = self.member.display_name if self.member is not None else ""
            return gettext("%(member)s (%(relationship)s), private (about %(patient)s)") % {
                "member": member,
                "relationship": relationship,
                "patient": patient,
            }
        others = ", ".join(p.user.display_name for p in self.participants.all() if p.user_id != viewer.pk)
        return gettext("%(people)s (about %(patient)s)") % {
            "people": others or gettext("Private conversation"),
            "patient": patient,
        }


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
        EDITED = "edited", _("Edited")
        DELETED = "deleted", _("Deleted")

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


# The progress summaries' models live in their own module; importing them here registers them with the app.
from messaging.summaries.models import ProgressSummary as ProgressSummary  # noqa: E402
from messaging.summaries.models import SummaryVersion as SummaryVersion  # noqa: E402
