"""Project-level pages: the role dashboard, public crisis resources, session keep-alive and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from family_portal.dashboard import collect_cards


def dashboard(request: HttpRequest) -> HttpResponse:
    """Each role's home page: cards contributed by the apps, each with its own empty state."""
    return render(request, "dashboard.html", {"cards": collect_cards(request)})


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return dashboard(request)
    return render(request, "home.html")


@login_not_required
def crisis_resources(request: HttpRequest) -> HttpResponse:
    return render(request, "crisis.html")


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The idle-logoff warning's "Stay signed in" button: any authenticated request refreshes the session."""
    return JsonResponse({"ok": True})


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Operator health check: the database answers. No detail that could help an attacker."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001  (any failure means unhealthy)
        checks["database"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
