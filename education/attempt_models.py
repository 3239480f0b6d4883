"""Knowledge-check and pre-check attempts (kept out of ``education.models`` to keep it small; imported there).

Design: ``education.quizzes``. Each attempt stores the server's draw, so a reload or a forged form cannot change
what is graded.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QuizAttempt(models.Model):
    """One try at a knowledge check, or the optional pre-check before the first lesson (``education.quizzes``).

    ``drawn`` is the server's draw, fixed when the page is first shown: ``[{"question": id, "choices": [ids in the
    order shown]}, ...]``; only those questions and answers are graded. ``answers`` maps question id → chosen choice
    ids. An attempt is open (``submitted_at`` empty, no score) until it is answered; a learner has at most one open
    attempt of each kind. Attempts from before draws existed have an empty ``drawn``: every question counted."""

    class Kind(models.TextChoices):
        CHECK = "check", _("Knowledge check")
        PRE_CHECK = "pre", _("Pre-check")

    progress = models.ForeignKey("education.ModuleProgress", on_delete=models.CASCADE, related_name="attempts")
    version = models.ForeignKey("education.ModuleVersion", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.CHECK)
    drawn = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["progress", "kind"], condition=models.Q(submitted_at__isnull=True), name="one_open_attempt"
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.pk}: {self.score}%"
