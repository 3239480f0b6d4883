"""The program's own treatment sessions for a patient (IOP group, individual), recorded by hand or imported.

Courts and probation officers ask about the patient's own treatment, not only family sessions. A record is a
wall-clock date and start time in the program's time zone with a length in minutes and an attendance mark. An
import (``TreatmentImport``) is written once per confirmation token, so a re-submitted confirm writes nothing twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TreatmentImport(models.Model):
    """One confirmed CSV import: who, for whom, how many rows; ``token`` makes the confirmation idempotent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    row_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Treatment import {str(self.pk)[:8]}"


class TreatmentSession(models.Model):
    """One program session of one patient, with attendance and length (minutes)."""

    class Kind(models.TextChoices):
        IOP_GROUP = "iop_group", _("IOP group")
        INDIVIDUAL = "individual", _("Individual session")
        OTHER = "other", _("Other treatment session")

    class Attendance(models.TextChoices):
        ATTENDED = "attended", _("Attended")
        MISSED = "missed", _("Missed")
        EXCUSED = "excused", _("Excused")

    class Source(models.TextChoices):
        HAND = "hand", _("Entered by hand")
        IMPORT = "import", _("Imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_sessions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField(help_text="The day in the program's time zone.")
    start_time = models.TimeField(help_text="Wall-clock start in the program's time zone.")
    minutes = models.PositiveIntegerField()
    attendance = models.CharField(max_length=10, choices=Attendance.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.HAND)
    treatment_import = models.ForeignKey(
        TreatmentImport, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "date", "start_time", "kind"], name="treatment_session_once"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="treatment_session_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"Treatment session {str(self.pk)[:8]}"

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)
