"""Progress summaries and their versions (imported by ``messaging.models``).

A ``ProgressSummary`` is one update about one patient; its text lives on ``SummaryVersion`` rows. Only a draft is
edited in place: editing a version the patient has seen makes a new version, which needs the patient's review
again. ``current_version`` is the newest version (what the patient reviews and the counselor edits);
``released_version`` is the newest released one, the only one family members ever see.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TEXT_LIMIT = 1500


class ProgressSummary(models.Model):
    """One update for the family about one patient, written by the care team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_summaries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    current_version = models.ForeignKey(
        "SummaryVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_version = models.ForeignKey(
        "SummaryVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The newest released version: the only one family members see.",
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"])]
        verbose_name_plural = "progress summaries"

    def __str__(self) -> str:
        return f"Progress summary {self.pk}"


class SummaryVersion(models.Model):
    """One version of a summary's text and where it stands in the patient's review."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_REVIEW = "awaiting_review", _("Waiting for the patient's review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        RELEASED = "released", _("Shared with family")
        SUPERSEDED = "superseded", _("Replaced by a newer version")

    class Release(models.TextChoices):
        APPROVED = "approved", _("Approved by the patient")
        AUTOMATIC = "automatic", _("Shared automatically when the review time ended")

    summary = models.ForeignKey(ProgressSummary, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    attendance = models.TextField(max_length=TEXT_LIMIT)
    working_on = models.TextField(max_length=TEXT_LIMIT)
    how_to_help = models.TextField(max_length=TEXT_LIMIT)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    sent_for_review_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When it is shared automatically if the patient has not answered."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, max_length=TEXT_LIMIT)
    released_at = models.DateTimeField(null=True, blank=True)
    released_how = models.CharField(max_length=10, choices=Release.choices, blank=True)

    class Meta:
        ordering = ["summary", "-number"]
        constraints = [models.UniqueConstraint(fields=["summary", "number"], name="one_summary_version_number")]
        indexes = [models.Index(fields=["state", "review_due_at"])]

    def __str__(self) -> str:
        return f"Summary version {self.number}"

    @property
    def awaiting_review(self) -> bool:
        return self.state == self.State.AWAITING_REVIEW

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT
