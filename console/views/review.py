"""Content review: the education modules waiting for review, linked to the authoring pages that review them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from console.views.common import admin_of, console_view
from education.access import editable_modules
from education.models import ModuleVersion


def waiting_for_review(admin: object) -> list[ModuleVersion]:
    """Versions in review of the modules the admin may edit (shared content and their program's own), oldest first."""
    return list(
        ModuleVersion.objects.filter(status=ModuleVersion.Status.IN_REVIEW, module__in=editable_modules(admin))
        .select_related("module", "submitted_by")
        .order_by("submitted_at", "pk")
    )


@console_view
@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "console/review_queue.html", {"versions": waiting_for_review(admin_of(request))})
