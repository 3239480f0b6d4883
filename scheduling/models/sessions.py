"""Family sessions and their participants. Times are stored in UTC and shown in each viewer's time zone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.gate import visibility, visible_patients
from consent.models import Scope
from scheduling.video import portal_rooms_enabled


class FamilySessionQuerySet(models.QuerySet["FamilySession"]):
    def visible_to(self, user: Any) -> FamilySessionQuerySet:
        """Sessions ``user`` may see, asked of the consent gate on every read (AZ-02, AZ-03).

        Patient sessions: the patient, their care team, and family members invited to it whose consent
        includes ``schedule``. Patient-less events (education nights): staff of the program, and family
        members holding a schedule consent for any patient of the program (nothing about a patient is shown).
        """
        if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
            return self.none()
        patients = visible_patients(user, Scope.SCHEDULE)
        if user.is_care_staff or user.is_patient:
            return self.filter(Q(patient__in=patients) | Q(patient__isnull=True, program_id=user.program_id))
        seen = visibility(user)
        programs = seen.program_ids(Scope.SCHEDULE)
        return self.seen_by_family_member(
            user.pk,
            seen.patient_ids(Scope.SCHEDULE) or (),
            patients.values("program_id") if programs is None else programs,
        )

    def seen_by_family_member(self, user_id: Any, patient_ids: Any, programs: Any) -> FamilySessionQuerySet:
        """``visible_to`` for a family member, from the gate's answer for them: the sessions of ``patient_ids``
        (the patients whose schedule they may see) they are invited to, and the patient-less events of
        ``programs`` (those patients' programs: ids or a subquery). Written once for both ``visible_to`` and the
        dashboard's prepared queries (``scheduling.dashboard``)."""
        invited = Participant.objects.current().filter(user=user_id).values("session_id")
        return self.filter(
            Q(pk__in=invited, patient_id__in=patient_ids) | Q(patient__isnull=True, program__in=programs)
        )

    def scheduled(self) -> FamilySessionQuerySet:
        return self.filter(status=FamilySession.Status.SCHEDULED)

    def upcoming(self, now: datetime | None = None) -> FamilySessionQuerySet:
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at")

    def past(self, now: datetime | None = None) -> FamilySessionQuerySet:
        return self.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at")

    def overlapping(self, starts_at: datetime, ends_at: datetime) -> FamilySessionQuerySet:
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def led_by_any(self, counselor_ids: list[int]) -> FamilySessionQuerySet:
        return self.filter(counselors__in=counselor_ids).distinct()


class FamilySession(models.Model):
    """A scheduled family session, multi-family group or education night."""

    class Kind(models.TextChoices):
        FAMILY_THERAPY = "family_therapy", _("Family session")
        MULTI_FAMILY_GROUP = "multi_family_group", _("Multi-family group")
        EDUCATION_NIGHT = "education_night", _("Family education night")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="family_sessions")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="family_sessions",
        help_text="Empty for events open to all families of the program (education nights).",
    )
    counselors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="family_sessions_led")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.FAMILY_THERAPY)
    title = models.CharField(
        max_length=120, blank=True, help_text="Shown on the portal's pages only, never in calendar files."
    )
    description = models.TextField(max_length=2000, blank=True, help_text="Plain text for the families invited.")
    invite_summary = models.JSONField(
        default=dict,
        blank=True,
        help_text="Counts from booking a group: invited, families, notified, not_covered (no names).",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    modality = models.CharField(max_length=10, choices=Modality.choices, default=Modality.IN_PERSON)
    location = models.CharField(max_length=200, blank=True)
    join_url = models.URLField(blank=True, help_text="Video link (shown to participants only).")
    video_room = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="The portal's own video room (scheduling/video.py); only ever sent inside a participant's join "
        "redirect, never shown, texted, emailed, put in calendar files or logged.",
    )
    capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Places for group events; more people going join the waiting list.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    staff_notes = models.TextField(
        blank=True,
        help_text="Logistics for staff only (room, interpreter). Never clinical notes; never shown to families.",
    )
    sequence = models.PositiveIntegerField(default=0, help_text="Calendar revision number (.ics SEQUENCE).")
    series = models.ForeignKey(
        "scheduling.SessionSeries", null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences"
    )
    occurrence_start = models.DateTimeField(
        null=True, blank=True, help_text="For an occurrence of a series: the start its rule gave (RECURRENCE-ID)."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[FamilySessionQuerySet] = FamilySessionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["program", "starts_at"]),
            models.Index(fields=["series", "occurrence_start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="session_capacity_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.pk)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("scheduling:session_detail", args=[self.pk])

    @property
    def subject(self) -> str:
        """The reminder subject shared with ``notifications`` (one per session)."""
        return f"session:{self.pk}"

    @property
    def heading(self) -> str:
        """The name shown on the portal's pages: the title, or the kind of session."""
        return self.title or str(self.get_kind_display())

    @property
    def has_portal_room(self) -> bool:
        """A video session whose room the portal created, while the portal's rooms are on (``VIDEO_PROVIDER``):
        participants join through "Join", not a link."""
        return self.modality == self.Modality.VIDEO and bool(self.video_room) and portal_rooms_enabled()

    @property
    def is_group(self) -> bool:
        return self.kind != self.Kind.FAMILY_THERAPY

    @property
    def is_open_event(self) -> bool:
        return self.patient_id is None

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.SCHEDULED

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})
        if self.kind == self.Kind.FAMILY_THERAPY and not self.patient_id:
            raise ValidationError({"patient": _("A family session is for one patient's family.")})
        if self.kind == self.Kind.EDUCATION_NIGHT and self.patient_id:
            raise ValidationError({"patient": _("Education nights are open to all families; choose no patient.")})
        if self.modality == self.Modality.VIDEO and not (self.join_url or self.video_room):
            raise ValidationError({"join_url": _("Add the video link for a video session.")})
        if self.modality == self.Modality.IN_PERSON and not self.location.strip():
            raise ValidationError({"location": _("Add where the session takes place.")})


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def current(self) -> ParticipantQuerySet:
        return self.filter(removed_at__isnull=True)

    def expecting_reminders(self) -> ParticipantQuerySet:
        """Participants who may still come: invited, accepted or tentative (not declined, not waiting for a place,
        not removed)."""
        return self.current().exclude(rsvp__in=Participant.WITHOUT_REMINDERS)

    def waiting(self) -> ParticipantQuerySet:
        """The waiting list in order: who asked first comes first (``waitlisted_at``, then id)."""
        return self.current().filter(rsvp=Participant.Rsvp.WAITLISTED).order_by("waitlisted_at", "pk")


class Participant(models.Model):
    """A family member (or the patient) taking part in a session, with their RSVP and attendance."""

    class Role(models.TextChoices):
        FAMILY = "family", _("Family member")
        PATIENT = "patient", _("Patient")

    class Rsvp(models.TextChoices):
        INVITED = "invited", _("Not answered yet")
        ACCEPTED = "accepted", _("Going")
        TENTATIVE = "tentative", _("Maybe")
        DECLINED = "declined", _("Not going")
        WAITLISTED = "waitlisted", _("On the waiting list")

    class Attendance(models.TextChoices):
        NOT_RECORDED = "", _("Not recorded")
        ATTENDED = "attended", _("Attended")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    session = models.ForeignKey(FamilySession, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_participations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.FAMILY)
    via_patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a group: the patient whose family this person was invited as (shown to their care team only).",
    )
    rsvp = models.CharField(max_length=10, choices=Rsvp.choices, default=Rsvp.INVITED)
    rsvp_at = models.DateTimeField(null=True, blank=True)
    attendance = models.CharField(max_length=10, choices=Attendance.choices, blank=True, default="")
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(
        null=True, blank=True, help_text="When they asked to go while the session was full (their place in line)."
    )
    invited_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ParticipantQuerySet] = ParticipantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_participation_per_person"),
            models.CheckConstraint(
                condition=~Q(rsvp="waitlisted") | Q(waitlisted_at__isnull=False), name="waitlisted_has_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Participant {self.pk}"

    # Answers that get no reminders: not going, or waiting for a place (reminders are planned when promoted).
    WITHOUT_REMINDERS = (Rsvp.DECLINED, Rsvp.WAITLISTED)

    @classmethod
    def answer_choices(cls) -> list[tuple[str, Any]]:
        """The answers a person gives themselves: going, maybe, not going (never "not answered" or "waiting")."""
        return [c for c in cls.Rsvp.choices if c[0] not in (cls.Rsvp.INVITED, cls.Rsvp.WAITLISTED)]

    @property
    def expects_reminders(self) -> bool:
        return self.removed_at is None and self.rsvp not in self.WITHOUT_REMINDERS

    @property
    def is_waiting(self) -> bool:
        return self.removed_at is None and self.rsvp == self.Rsvp.WAITLISTED
