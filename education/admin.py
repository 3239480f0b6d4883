"""Admin registration. Content is edited in the counselor authoring pages; the admin is for inspection and fixes.

Published versions are immutable, so version content is read-only here once it leaves draft.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from education.models import (
    Assignment,
    Choice,
    Lesson,
    LocalSupportGroup,
    Module,
    ModuleProgress,
    ModuleVersion,
    Question,
    QuizAttempt,
)


class VersionInline(admin.TabularInline):
    model = ModuleVersion
    fields = ("number", "status", "title", "created_by", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("slug", "program", "current_version", "path_position", "archived_at")
    list_filter = ("program",)
    search_fields = ("slug", "versions__title")
    readonly_fields = ("current_version", "created_by", "created_at")
    filter_horizontal = ("prerequisites",)
    inlines = [VersionInline]


class LessonInline(admin.StackedInline):
    model = Lesson
    fields = ("position", "title", "body", "video_url")
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "prompt", "kind")
    extra = 0
    show_change_link = True


@admin.register(ModuleVersion)
class ModuleVersionAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "number", "status", "published_at", "reading_grade")
    list_filter = ("status", "topic", "enrolled_only")
    search_fields = ("title", "module__slug")
    readonly_fields = (
        "module",
        "number",
        "status",
        "created_by",
        "created_at",
        "submitted_by",
        "submitted_at",
        "published_by",
        "published_at",
        "archived_at",
        "reading_grade",
        "source_hash",
    )
    inlines = [LessonInline, QuestionInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != ModuleVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        from education.markdown import render_markdown

        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Lesson):
                instance.body_html = render_markdown(instance.body)
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ("position", "text", "correct", "feedback")
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("prompt", "version", "position", "kind")
    inlines = [ChoiceInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.version.status != ModuleVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("id", "module", "due_on", "created_at", "cancelled_at")
    readonly_fields = ("id", "patient", "module", "assigned_by", "created_at")
    list_filter = ("cancelled_at",)


@admin.register(ModuleProgress)
class ModuleProgressAdmin(admin.ModelAdmin):
    list_display = ("id", "module", "version", "completed_at", "best_score")
    readonly_fields = ("learner", "module", "version", "started_at", "updated_at", "quiz_passed_at", "completed_at")


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ("id", "version", "kind", "score", "passed", "created_at", "submitted_at")
    readonly_fields = (
        "progress",
        "version",
        "kind",
        "drawn",
        "answers",
        "score",
        "passed",
        "created_at",
        "submitted_at",
    )


@admin.register(LocalSupportGroup)
class LocalSupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "is_active", "updated_at")
    list_filter = ("program", "is_active")
    readonly_fields = ("created_by", "created_at", "updated_at")
