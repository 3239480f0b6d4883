"""The Django admin for superusers (/staff-admin/); program admins manage their program in the console (/console/)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import CaseloadAssignment, Program, User


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "office_opens", "office_closes"]


class CaseloadInline(admin.TabularInline):
    model = CaseloadAssignment
    fk_name = "counselor"
    extra = 0
    autocomplete_fields = ["patient"]
    verbose_name = "patient on caseload"
    verbose_name_plural = "caseload"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "program", "is_active"]
    list_filter = ["role", "program", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "preferred_name", "role", "program", "time_zone", "date_of_birth")}),
        ("Staff", {"fields": ("can_review_content", "read_receipts_enabled", "is_active", "is_staff", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "program", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [CaseloadInline]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [CaseloadInline] if obj is not None and obj.is_counselor else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request).select_related("program")
        user = request.user
        if user.is_superuser:
            return queryset
        return queryset.filter(program_id=getattr(user, "program_id", None))


@admin.register(CaseloadAssignment)
class CaseloadAssignmentAdmin(admin.ModelAdmin):
    list_display = ["counselor", "patient", "assigned_at", "ended_at"]
    list_filter = ["ended_at"]
    autocomplete_fields = ["counselor", "patient"]
