"""Project-level pages: the role dashboard, public crisis resources, session keep-alive and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.middleware import stamp_activity
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


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon instead of a 404."""
    return HttpResponseRedirect(static("favicon.svg"))  # not permanent: the hashed name changes


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The idle-logoff warning's "Stay signed in" button: stamps activity now, so a full idle period starts."""
    stamp_activity(request)
    return JsonResponse({"ok": True})


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Operator health check (docs/operations.md). No detail that could help an attacker: states only.

    ``GET /healthz?live`` is the liveness probe: the process answers (no database, no cache; the benchmark's
    floor). ``GET /healthz`` is the readiness check: the database (503 when down), Redis when ``REDIS_URL`` is set
    (503 when down: the channel layer and rate limits need it) and the notifications worker's heartbeat. A stale
    or missing heartbeat reports ``"status": "degraded"`` with HTTP 200: the web tier still serves pages, so a
    load balancer must not pull it from rotation for a worker problem; monitoring alerts on any status but "ok".
    """
    if "live" in request.GET:
        return JsonResponse({"status": "ok"})
    checks = {"database": _database_state()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_state(settings.REDIS_URL)
    checks["worker"] = _worker_state() if checks["database"] == "ok" else "unknown"
    if checks["database"] != "ok" or checks.get("redis", "ok") != "ok":
        return JsonResponse({"status": "error", "checks": checks}, status=503)
    status = "ok" if checks["worker"] == "ok" else "degraded"
    return JsonResponse({"status": status, "checks": checks})


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure means unhealthy
        return "error"
    return "ok"


def _redis_state(url: str) -> str:
    """PING over a fresh connection with a 1 s deadline (a hung Redis must not hang the health check)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:
        return "error"
    return "ok"


def worker_stale_after_s() -> float:
    """A heartbeat older than this is stale: twice the outbox lease, and never under a minute."""
    configured = getattr(settings, "PORTAL_WORKER_STALE_S", None)
    return float(configured) if configured else max(60.0, 2.0 * settings.PORTAL_OUTBOX_LEASE_S)


def _worker_state() -> str:
    """ "ok" when some worker wrote a heartbeat recently, "stale" when the newest is old, "missing" when none."""
    from django.db.models import Max

    from notifications.models import WorkerHeartbeat

    try:
        newest = WorkerHeartbeat.objects.aggregate(newest=Max("last_beat_at"))["newest"]
    except Exception:  # table missing before migrate
        return "unknown"
    if newest is None:
        return "missing"
    age = (timezone.now() - newest).total_seconds()
    return "ok" if age <= worker_stale_after_s() else "stale"
