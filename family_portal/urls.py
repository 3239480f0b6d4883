"""Root URLs. Every view requires login (LoginRequiredMiddleware) unless marked ``login_not_required``."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts.languages import set_language
from family_portal import pwa, views
from scheduling.views.letters import letter_verify

admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Family Portal administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("crisis/", views.crisis_resources, name="crisis"),
    # Public: anyone holding an attendance letter checks it with its code (scheduling/views/letters.py).
    path("verify/", letter_verify, name="letter_verify"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
    path("language/", set_language, name="set_language"),
    # The djangojs catalogue of the active language (locale/*/LC_MESSAGES/djangojs.po) for static/js: gettext().
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("consent/", include("consent.urls")),
    path("learn/", include("education.urls")),
    path("sessions/", include("scheduling.urls")),
    path("messages/", include("messaging.urls")),
    path("summaries/", include("messaging.summaries.urls")),
    path("notifications/", include("notifications.urls")),
    path("console/", include("console.urls")),
    path("staff-admin/", admin.site.urls),
]
