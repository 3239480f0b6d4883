"""Family Portal settings: one module, every environment-specific value from the environment.

Embedded default (no variables set, ``DJANGO_DEBUG=True``): SQLite, in-memory channel layer, local-memory
cache, console email and console SMS. Production: ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` (channel layer
and cache), ``SMTP_*`` and ``TWILIO_*``; startup fails with a clear message when one is missing.
``.env.example`` lists every variable; this module never reads ``.env`` itself.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from family_portal.channel_layers import LAYER_KINDS, redis_channel_layer
from family_portal.env import env_bool, env_choice, env_float, env_int, env_list, env_secret, env_str
from family_portal.redaction import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is not True.")
    SECRET_KEY = "insecure-development-key-only-for-DEBUG-never-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    # WebSocket origin checks rely on a concrete host list.
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the portal's host names (no '*').")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The public address of the portal, used in emailed links, SMS links and Twilio signature checks.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",  # first, so runserver is Daphne's ASGI server
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth.usersessions' session list loads it
    "django.forms",  # the built-in widget templates, for FORM_RENDERER
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "accounts",
    "consent",
    "education",
    "scheduling",
    "messaging",
    "notifications",
    "console",
    "family_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.languages.PreferredLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "consent.middleware.GateMemoMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.RequireStaffMFAMiddleware",
    "accounts.middleware.PrivateCacheControlMiddleware",
]

ROOT_URLCONF = "family_portal.urls"
ASGI_APPLICATION = "family_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "family_portal.context_processors.portal",
            ],
        },
    },
]

FORM_RENDERER = "family_portal.form_rendering.PortalFormRenderer"

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI persistent connections leak across threads; psycopg's pool is the safe reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = env_bool("PORTAL_DB_POOL", False)
    if sslmode := env_str("DATABASE_SSLMODE", ""):
        DATABASES["default"]["OPTIONS"]["sslmode"] = sslmode
elif not DEBUG and not env_bool("PORTAL_ALLOW_SQLITE", False):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL when DJANGO_DEBUG is not True.")
else:
    # The embedded default: write-ahead logging lets the worker and Daphne's threads read while one writes, and
    # NORMAL sync (safe with WAL: a power cut may lose the last commits, never corrupt) spares an fsync per commit.
    # SQLite has one writer at a time. A deferred transaction that read first fails at once ("database is locked",
    # a 500) when it then writes while another writer is active; IMMEDIATE takes the write lock at BEGIN, where
    # the busy timeout applies, so concurrent writers queue for up to ``timeout`` seconds instead (ROB-01).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# Which channels_redis layer carries live events: "pubsub" (one PUBLISH per group send, each process subscribed to
# its sockets' groups) or "core" (Redis lists and sorted sets); family_portal/channel_layers.py says why.
PORTAL_CHANNEL_LAYER = env_choice("PORTAL_CHANNEL_LAYER", "pubsub", LAYER_KINDS)
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, PORTAL_CHANNEL_LAYER)}
    CACHES = {
        "default": {
            "BACKEND": "family_portal.redis_cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 2},
        }
    }
elif DEBUG:
    # One process only: the in-memory layer is "Do Not Use In Production" (Channels docs).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured("REDIS_URL is required when DJANGO_DEBUG is not True.")

# --- Authentication --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, loading the signed-in user with program and SMS phone joined
# (accounts/backends.py). Sessions signed in through the stock paths before this switch sign in again once.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.PortalModelBackend",
    "accounts.backends.PortalAuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth (AUTH-01..08). Email is the login; verification is mandatory, which also makes
# signup enumeration-safe; rate limits live in the shared cache above.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.PortalSignupForm"}  # adds the person's language
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
# Password reset mails a short code that works only in the browser that asked for it (3 tries, 10 minutes): no
# reset key in any URL, so none in a log, a proxy or a browser history, and a copied code is useless elsewhere
# (DATA-09).
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT = 10 * 60
# Sign in by a code mailed to the address, beside the password (the same code rules: this browser only, 3 tries,
# 5 minutes). Staff still pass their second step afterwards (allauth's MFA stage runs after a code sign-in too,
# and RequireStaffMFAMiddleware checks the session). No "trust this browser" for either.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("PORTAL_REAUTH_TIMEOUT_S", 300)
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0)
# Two-step verification: an authenticator app (TOTP) or a passkey / security key (WebAuthn), with recovery codes.
# A passkey also signs its owner in on its own (it checks a fingerprint, face or PIN, so it passes the MFA stage).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_TRUST_ENABLED = False
MFA_FORMS = {"add_webauthn": "accounts.passkey_forms.PortalAddWebAuthnForm"}  # "sign in with it" ticked
# Passkeys are bound to the host name and need https; http://localhost (development, the browser suite) is
# accepted as it is (browsers refuse passkeys on a bare IP address). Never skip the origin check.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
MFA_TOTP_ISSUER = env_str("PORTAL_MFA_ISSUER", "Family Portal")
USERSESSIONS_TRACK_ACTIVITY = False

# --- Sessions (AUTH-09, AUTH-10) ----------------------------------------------------------------------
# Sessions live in the database and are read through the cache (Redis in production): a signed-in page costs
# no session query, and a session survives a cache flush.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
PORTAL_IDLE_TIMEOUT_S = env_int("PORTAL_IDLE_TIMEOUT_S", 15 * 60)
PORTAL_ABSOLUTE_SESSION_S = env_int("PORTAL_ABSOLUTE_SESSION_S", 12 * 60 * 60)
PORTAL_IDLE_WARNING_S = env_int("PORTAL_IDLE_WARNING_S", 2 * 60)
# The session outlives the idle limit a little so SessionLifetimeMiddleware, not a silently expired cookie,
# ends it, and can tell the person why.
SESSION_COOKIE_AGE = PORTAL_IDLE_TIMEOUT_S + 120
# Activity is stamped at most once per this many seconds, so most requests write no session; pages tell the
# browser's idle warning the time actually left (an idle session may end up to this much before a full period).
PORTAL_SEEN_RESOLUTION_S = env_int("PORTAL_SEEN_RESOLUTION_S", min(60, PORTAL_IDLE_TIMEOUT_S // 8))
if not 0 <= PORTAL_SEEN_RESOLUTION_S < PORTAL_IDLE_TIMEOUT_S // 4:
    raise ImproperlyConfigured("PORTAL_SEEN_RESOLUTION_S must be below a quarter of PORTAL_IDLE_TIMEOUT_S.")
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Transport security (DEP-01..04) --------------------------------------------------------------------
SECURE_COOKIES = env_bool("PORTAL_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# __Host- cookies must be Secure, host-only and path=/: impossible to plant from a sibling domain.
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE_COOKIES else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE_COOKIES else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("PORTAL_BEHIND_PROXY", False):
    # Only behind a proxy that overwrites X-Forwarded-Proto (deploy/nginx.conf does).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "connect-src": [CSP.SELF],  # 'self' covers same-origin ws:/wss:
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "worker-src": [CSP.SELF],  # the service worker, /sw.js (family_portal/pwa.py)
    "manifest-src": [CSP.SELF],
}

# --- Email (Django 6.1 MAILERS) ---------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "Family Portal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if smtp_host := env_str("SMTP_HOST", ""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": smtp_host,
                "port": env_int("SMTP_PORT", 587),
                "use_tls": True,
                "username": env_str("SMTP_USERNAME", ""),
                "password": env_secret("SMTP_PASSWORD"),
                "timeout": 10,
            },
        }
    }
elif DEBUG and (email_dir := env_str("PORTAL_EMAIL_FILE_PATH", "")):
    # Browser tests and demos read the mail a server "sent" from this directory.
    MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend", "OPTIONS": {"file_path": email_dir}}
    }
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    raise ImproperlyConfigured("SMTP_HOST is required when DJANGO_DEBUG is not True.")

# --- Video rooms (scheduling/video.py) ---------------------------------------------------------------------
# VIDEO_PROVIDER=jitsi: the portal names each video session's room on a self-hosted Jitsi Meet with JWT
# authentication and signs a short-lived token when a participant presses "Join". Unset: staff paste a link.
VIDEO_PROVIDER = env_str("VIDEO_PROVIDER", "")
JITSI_BASE_URL = env_str("JITSI_BASE_URL", "").rstrip("/")
JITSI_APP_ID = env_str("JITSI_APP_ID", "")
JITSI_APP_SECRET = env_secret("JITSI_APP_SECRET")
JITSI_TOKEN_MARGIN_S = env_int("JITSI_TOKEN_MARGIN_S", 15 * 60)  # the token outlives the session's end by this

# --- SMS and the outbox (notifications/) ------------------------------------------------------------------
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")  # tests and demos point this at the fake server
TWILIO_MPS = env_float("TWILIO_MPS", 1.0)
TWILIO_TIMEOUT_S = env_float("TWILIO_TIMEOUT_S", 10.0)
TWILIO_WEBHOOK_BASE_URL = env_str("TWILIO_WEBHOOK_BASE_URL", PORTAL_BASE_URL).rstrip("/")
if TWILIO_ACCOUNT_SID and not TWILIO_AUTH_TOKEN:
    raise ImproperlyConfigured("TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set.")
if not DEBUG and not TWILIO_ACCOUNT_SID and not env_bool("PORTAL_ALLOW_CONSOLE_SMS", False):
    # SMS never fails silently in production: the console backend only logs.
    raise ImproperlyConfigured("TWILIO_ACCOUNT_SID is required when DJANGO_DEBUG is not True.")
PORTAL_OUTBOX_LEASE_S = env_int("PORTAL_OUTBOX_LEASE_S", 60)
PORTAL_OUTBOX_POLL_S = env_float("PORTAL_OUTBOX_POLL_S", 0.5)
PORTAL_OUTBOX_MAX_ATTEMPTS = env_int("PORTAL_OUTBOX_MAX_ATTEMPTS", 6)
PORTAL_SMS_UNREACHABLE_RETRY_S = env_int("PORTAL_SMS_UNREACHABLE_RETRY_S", 2 * 60 * 60)

# --- Web push (notifications/push.py): free notifications on phones and computers where a person turned them on ---
# Keys from ``manage.py generate_vapid_keys``; the private key may come from a file (VAPID_PRIVATE_KEY_FILE).
# A system check refuses to start production with WEB_PUSH_ENABLED=True and a key missing (notifications.E201…).
WEB_PUSH_ENABLED = env_bool("WEB_PUSH_ENABLED", False)
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_secret("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "")  # mailto: or https: contact for push services
WEB_PUSH_TIMEOUT_S = env_float("WEB_PUSH_TIMEOUT_S", 10.0)
WEB_PUSH_ALLOW_HTTP = DEBUG  # plain-http push endpoints: development and tests' local fake push service only

# --- Consent and invitations -----------------------------------------------------------------------------
PORTAL_PROGRAM_LEGAL_NAME = env_str("PORTAL_PROGRAM_LEGAL_NAME", "Demo Outpatient Program")
PORTAL_INVITATION_TTL_H = env_int("PORTAL_INVITATION_TTL_H", 72)

# --- Retention (DATA-03..07): purge_expired never touches audit events or the disclosure ledger ------------
PORTAL_AUDIT_RETENTION_DAYS = env_int("PORTAL_AUDIT_RETENTION_DAYS", 6 * 366)
PORTAL_CHAT_RETENTION_DAYS = env_int("PORTAL_CHAT_RETENTION_DAYS", 730)
PORTAL_OUTBOX_BODY_RETENTION_DAYS = env_int("PORTAL_OUTBOX_BODY_RETENTION_DAYS", 30)
PORTAL_INVITATION_RETENTION_DAYS = env_int("PORTAL_INVITATION_RETENTION_DAYS", 30)
# A worker heartbeat older than this makes /healthz report "degraded".
PORTAL_WORKER_STALE_S = env_int("PORTAL_WORKER_STALE_S", 120)

# Time zone for people with none set and no program (family members), until they choose one.
PORTAL_DEFAULT_TIME_ZONE = env_str("PORTAL_DEFAULT_TIME_ZONE", "America/New_York")

# --- Internationalisation -----------------------------------------------------------------------------------
# Every user-visible string is marked; the catalogues live in locale/ (``make messages`` compiles them). Adding a
# language is a catalogue plus a line here. LocaleMiddleware picks the language (cookie, then Accept-Language),
# then a signed-in person's own preference replaces it (accounts/languages.py).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A signed-in person's preferred_language wins (accounts.languages.PreferredLanguageMiddleware); the cookie keeps a
# choice made in the header before sign-in, or carried over from the last sign-in, for a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Dates and times are shown through named formats, per language (family_portal/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["family_portal.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Logging: structured, never patient data (DATA-05), never a bearer token (DATA-09) -----------------------
LOGGING = logging_config(env_str("PORTAL_LOG_LEVEL", "INFO"))
