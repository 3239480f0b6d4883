"""The installable portal: the web app manifest, the service worker and the offline page (issue #21).

The service worker (``templates/pwa/sw.js``) is served from ``/sw.js`` so its scope is the whole site. It keeps
only static files (``/static/…``) and the offline page in Cache Storage: never a signed-in page, an API answer or
a navigation response (privacy: a shared or lost phone must not hold patient pages). A navigation that fails
because the network is down shows the offline page. It also shows web push notifications (``notifications/push``).
The cache name carries a version derived from the worker's own source and the static files it pre-caches, so a
deploy that changes either starts a new cache and the old ones are deleted on activation.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOUR = "#1f5f8b"  # --brand in static/css/portal.css
BACKGROUND_COLOUR = "#f6f7f4"  # --bg

PRECACHED_STATIC = ("css/portal.css", "js/portal.js", "js/sw-register.js", "favicon.svg", "icons/icon-192.png")
"""Static files the offline page needs, cached when the worker installs (other static files as they are used)."""


def _static_prefix() -> str:
    return "/" + settings.STATIC_URL.strip("/") + "/"


@cache
def cache_version() -> str:
    """A short hash of the worker's template and the addresses of the pre-cached files (hashed names in production):
    a new value means a new cache, and the worker deletes the caches of older versions."""
    source = get_template("pwa/sw.js").template.source  # type: ignore[attr-defined]
    digest = hashlib.sha256(source.encode())
    for name in PRECACHED_STATIC:
        digest.update(static(name).encode())
    return digest.hexdigest()[:12]


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: what a phone shows when the portal is added to the home screen. Neutral words only."""
    data = {
        "name": "Family Portal",
        "short_name": "Family Portal",
        "description": _("Messages, sessions and learning for families."),
        "lang": request.LANGUAGE_CODE,
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: always revalidated (``no-cache``), allowed to control the whole site."""
    config = {
        "version": cache_version(),
        "staticPrefix": _static_prefix(),
        "offlineUrl": reverse("offline"),
        "precache": [reverse("offline"), *(static(name) for name in PRECACHED_STATIC)],
        "icon": static("icons/icon-192.png"),
    }
    body = render_to_string("pwa/sw.js", {"config": json.dumps(config)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """The page shown when the network is down. Always rendered as for a signed-out visitor (the worker keeps it),
    so it never names anyone or shows a menu of someone's pages; in the visitor's language."""
    return render(request, "pwa/offline.html", {"user": AnonymousUser()})
