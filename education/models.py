"""Education content (modules, versions, lessons, knowledge checks), assignments and learner progress.

Versioning design
-----------------
``Module`` is the stable identity of a piece of learning content (its slug, owning program and prerequisites).
Everything a learner reads lives on a ``ModuleVersion``: title, summary, topic, lessons and the knowledge check.
Versions move through draft → in review → published → archived. Only a draft can be edited; editing a published
module means starting a new draft version, a full copy of the published one (``services.start_new_version``).
Publishing a version makes it the module's ``current_version`` and archives the one it replaces, so the version
list is the module's editorial history (author, reviewer, publisher, dates, reading grade).

Progress and new versions
-------------------------
A learner's ``ModuleProgress`` records the version they started. When a newer version is published they keep
their progress and keep reading the version they started (its rows are immutable), and the module page offers
"Start the updated version"; restarting (or starting after finishing) moves them to the newest version with a
fresh set of lesson completions. Completion and certificates therefore always name the version that was done.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_display_name


def validate_https_url(value: str) -> None:
    """Video links open in a new page (CSP forbids embedding), and only over https."""
    if value and not value.lower().startswith("https://"):
        raise ValidationError(_("Use a link that starts with https://."))


class Topic(models.TextChoices):
    GETTING_STARTED = "getting-started", _("Getting started")
    ADDICTION = "addiction", _("Understanding addiction")
    MENTAL_HEALTH = "mental-health", _("Mental health")
    CO_OCCURRING = "co-occurring", _("Co-occurring conditions")
    TREATMENT = "treatment", _("Treatment and recovery")
    SUPPORTING = "supporting", _("Helping and supporting")
    COMMUNICATION = "communication", _("Communication")
    BOUNDARIES = "boundaries", _("Boundaries")
    RELAPSE = "relapse", _("Setbacks and relapse")
    OVERDOSE = "overdose", _("Overdose response")
    SAFETY = "safety", _("Safety")
    CRISIS = "crisis", _("Crisis resources")
    SELF_CARE = "self-care", _("Taking care of yourself")
    TEENS = "teens", _("Teens and young people")
    OTHER = "other", _("Other")


class Audience(models.TextChoices):
    FAMILY = "family", _("Family and friends")
    PARENTS = "parents", _("Parents and guardians")
    PATIENTS = "patients", _("People in treatment")
    EVERYONE = "everyone", _("Everyone")


PATH_POSITION_MAX = 99


class ModuleQuerySet(models.QuerySet["Module"]):
    def live(self) -> ModuleQuerySet:
        """Modules a learner could read: a published current version and not retired."""
        return self.filter(current_version__isnull=False, archived_at__isnull=True)

    def for_program(self, program_id: int | None) -> ModuleQuerySet:
        """Shared starter content plus the given program's own modules."""
        return self.filter(models.Q(program__isnull=True) | models.Q(program_id=program_id))


class Module(models.Model):
    """The stable identity of a learning module; its content lives on versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    program = models.ForeignKey(
        "accounts.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="education_modules",
        help_text=_("Empty for shared starter content every program uses."),
    )
    path_position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(PATH_POSITION_MAX)],
        help_text=_("Place on the “Start here” path (1 comes first); empty when the module is not on the path."),
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks", help_text=_("Suggested to finish first.")
    )
    current_version = models.OneToOneField(
        "ModuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ModuleQuerySet] = ModuleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class ModuleVersion(models.Model):
    """One edition of a module's content. Published and archived versions are never edited."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=160)
    summary = models.TextField(max_length=600)
    topic = models.CharField(max_length=30, choices=Topic.choices, default=Topic.OTHER)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.FAMILY)
    estimated_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    enrolled_only = models.BooleanField(
        default=False,
        help_text=_(
            "Only for the program's staff and families linked to one of its patients. Off: general education, "
            "open to everyone signed in. A shared module is always general."
        ),
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)], help_text=_("Percent to pass.")
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many questions each knowledge check draws from the module's questions; empty: all of them."),
    )
    sources = models.JSONField(default=list, blank=True, help_text='[{"title": ..., "url": ...}]')
    change_note = models.CharField(max_length=300, blank=True)
    reading_grade = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    reading_note = models.CharField(
        max_length=500, blank=True, help_text=_("Why the text reads above grade 8, when it does.")
    )
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
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["module", "-number"]
        constraints = [models.UniqueConstraint(fields=["module", "number"], name="one_number_per_module_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    def clean(self) -> None:
        if self.enrolled_only and self.module_id is not None and self.module.program_id is None:
            raise ValidationError(
                {
                    "enrolled_only": _(
                        "Shared modules are general education; only a program's own module can be limited."
                    )
                }
            )

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def draw_size(self, bank_size: int) -> int:
        """How many of ``bank_size`` questions one knowledge check draws (``education.quizzes``)."""
        return min(self.questions_per_attempt or bank_size, bank_size)

    @property
    def topic_label(self) -> str:
        return str(Topic(self.topic).label) if self.topic in Topic.values else self.topic


class Lesson(models.Model):
    """One page of a module version; ``body`` is Markdown, ``body_html`` its sanitised rendering."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(ModuleVersion, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=160)
    body = models.TextField(max_length=40_000)
    body_html = models.TextField(blank=True, editable=False)
    video_url = models.URLField(blank=True, validators=[validate_https_url], help_text=_("Optional, https only."))

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            # Reordering swaps through a free position, so the pair stays unique on every database.
            models.UniqueConstraint(fields=["version", "position"], name="one_lesson_per_position")
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A knowledge-check question: one right answer (single) or several (multiple)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Choose one answer")
        MULTIPLE = "multiple", _("Choose all that apply")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(ModuleVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    prompt = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    lesson = models.ForeignKey(
        Lesson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The lesson this question is about: a wrong answer points the learner back to it."),
    )

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.prompt


class Choice(models.Model):
    """An answer to a question, with the feedback shown when it is picked (or missed)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    correct = models.BooleanField(default=False)
    feedback = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["question", "position"]

    def __str__(self) -> str:
        return self.text


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> AssignmentQuerySet:
        return self.filter(cancelled_at__isnull=True)


class Assignment(models.Model):
    """A counselor asks a patient's family to take a module. Patient data: shown only through the gate."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[AssignmentQuerySet] = AssignmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["due_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "module"],
                condition=models.Q(cancelled_at__isnull=True),
                name="one_active_assignment_per_module",
            )
        ]

    def __str__(self) -> str:
        return f"Assignment {str(self.id)[:8]}"


class ModuleProgress(models.Model):
    """A learner's progress through one module, pinned to the version they started. Private to the learner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_progress")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="progress")
    version = models.ForeignKey(ModuleVersion, on_delete=models.PROTECT, related_name="progress")
    started_at = models.DateTimeField(default=timezone.now)
    last_position = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    quiz_passed_at = models.DateTimeField(null=True, blank=True)
    best_score = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    precheck_skipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["learner", "module"], name="one_progress_per_module")]

    def __str__(self) -> str:
        return f"Progress {str(self.id)[:8]}"

    @property
    def certificate_code(self) -> str:
        """A short code printed on the certificate so staff can check it."""
        return self.id.hex[:10].upper()


class LessonCompletion(models.Model):
    progress = models.ForeignKey(ModuleProgress, on_delete=models.CASCADE, related_name="completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["progress", "lesson"], name="one_completion_per_lesson")]

    def __str__(self) -> str:
        return f"Lesson read at {self.completed_at:%Y-%m-%d %H:%M}"


class LocalSupportGroup(models.Model):
    """A support group for families that a program lists for its own families (``education.support_groups``).

    Program information, never patient data. Groups are deactivated rather than deleted, so the ids in the audit
    log keep pointing at a row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="support_groups")
    name = models.CharField(_("name"), max_length=160, validators=[validate_display_name])
    description = models.TextField(_("what the group is"), max_length=1000, blank=True)
    meeting_times = models.CharField(
        _("when it meets"), max_length=300, help_text=_("For example: Tuesdays, 6 to 7 pm, in person and online.")
    )
    how_to_join = models.TextField(
        _("how to join"),
        max_length=600,
        help_text=_("Who to call or write to, or where to go: program contacts only, never a patient's."),
    )
    url = models.URLField(
        _("web page"),
        max_length=500,
        blank=True,
        validators=[validate_https_url],
        help_text=_("Optional, https only."),
    )
    is_active = models.BooleanField(_("shown to families"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# A version's content in another language lives in its own module (kept small); imported here so Django finds it.
from education.attempt_models import QuizAttempt  # noqa: E402, F401
from education.translation_models import (  # noqa: E402, F401
    ChoiceTranslation,
    LessonTranslation,
    ModuleTranslation,
    QuestionTranslation,
)
