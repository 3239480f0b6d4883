"""A module version's content in another language (issue 18: the curriculum in Spanish).

Design
------
A module's content is written in English on its ``ModuleVersion``. A ``ModuleTranslation`` holds the same
version's text in one other language: the title, summary and sources on the translation itself, and one row per
lesson, question and answer, each pointing at the English row it translates. A translation therefore has exactly
the English structure (same lessons, questions and answers, in the same order, the right answers in the same
places), and a learner's progress stays per module, not per language: a lesson read in Spanish completes the same
``Lesson`` row, and a knowledge check answered in Spanish is scored against the same ``Question`` and ``Choice``
ids (``education.translating`` only lays the translated words over them for the page).

A translation has its own review status and is published with its version (``education.translating``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class ModuleTranslation(models.Model):
    """One version's content in one language other than English. Published translations are never edited."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("translation status", "Draft")
        IN_REVIEW = "in_review", pgettext_lazy("translation status", "In review")
        PUBLISHED = "published", pgettext_lazy("translation status", "Published")

    version = models.ForeignKey("education.ModuleVersion", on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=160, blank=True)
    summary = models.TextField(max_length=600, blank=True)
    sources = models.JSONField(default=list, blank=True, help_text='[{"title": ..., "url": ...}]')
    reading_ease = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, help_text="Fernández-Huerta reading ease (Spanish)."
    )
    reading_note = models.CharField(max_length=500, blank=True)
    source_hash = models.CharField(max_length=64, blank=True, help_text="Starter curriculum file fingerprint.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "language"]
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="one_translation_per_version_language")
        ]

    def __str__(self) -> str:
        return f"{self.language} translation of version {self.version_id}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class LessonTranslation(models.Model):
    translation = models.ForeignKey(ModuleTranslation, on_delete=models.CASCADE, related_name="lessons")
    lesson = models.ForeignKey("education.Lesson", on_delete=models.CASCADE, related_name="translations")
    title = models.CharField(max_length=160)
    body = models.TextField(max_length=40_000)
    body_html = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["translation", "lesson"], name="one_translation_per_lesson")]

    def __str__(self) -> str:
        return self.title


class QuestionTranslation(models.Model):
    translation = models.ForeignKey(ModuleTranslation, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey("education.Question", on_delete=models.CASCADE, related_name="translations")
    prompt = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["translation", "question"], name="one_translation_per_question")]

    def __str__(self) -> str:
        return self.prompt


class ChoiceTranslation(models.Model):
    translation = models.ForeignKey(ModuleTranslation, on_delete=models.CASCADE, related_name="choices")
    choice = models.ForeignKey("education.Choice", on_delete=models.CASCADE, related_name="translations")
    text = models.CharField(max_length=300)
    feedback = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["translation", "choice"], name="one_translation_per_choice")]

    def __str__(self) -> str:
        return self.text
