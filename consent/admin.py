"""Admin: consent records are read-only here (workflows live in ``consent.services``); form versions may be added."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from consent.models import (
    AuditEvent,
    BreakGlassAccess,
    Consent,
    ConsentEvent,
    ConsentFormTranslation,
    ConsentFormVersion,
    Disclosure,
    PersonalRepresentative,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: a change made here would bypass the audited services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("id", "program", "recipient_kind", "method", "review_status", "signed_at", "expires_at")
    list_filter = ("review_status", "method", "recipient_kind")


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ("consent", "kind", "at", "method")


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("at", "scope", "channel", "consent")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "kind", "actor_id", "patient_id")
    list_filter = ("kind",)


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(ReadOnlyAdmin):
    list_display = ("counselor", "started_at", "expires_at")


@admin.register(PersonalRepresentative)
class PersonalRepresentativeAdmin(ReadOnlyAdmin):
    list_display = ("authority", "verified_at", "expires_at", "ended_at")


@admin.register(ConsentFormVersion)
class ConsentFormVersionAdmin(admin.ModelAdmin):
    """A new wording is a new version; signed versions never change."""

    list_display = ("version", "effective_from")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentFormTranslation)
class ConsentFormTranslationAdmin(admin.ModelAdmin):
    """A version's text in another language; like the version itself, it never changes once added."""

    list_display = ("form_version", "language")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
