"""PROD-ENV: the one settings module, loaded with a production-like environment in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "family_portal.settings",
    "DJANGO_SECRET_KEY": "x7Gq2-test-only-production-like-secret-key-with-enough-entropy-91kd",
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "DATABASE_SSLMODE": "require",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SMTP_HOST": "smtp.example.org",
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "test-token",
    "TWILIO_FROM_NUMBER": "+15555550100",
    "PORTAL_BASE_URL": "https://portal.example.org",
}
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "hasher": settings.PASSWORD_HASHERS[0],
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": settings.CSRF_COOKIE_NAME,
    "secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT],
    "hsts": settings.SECURE_HSTS_SECONDS,
    "mailer": settings.MAILERS["default"]["BACKEND"],
    "passkeys": [settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN, settings.MFA_TRUST_ENABLED],
}))
"""


def _run(args: list[str], **overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **PROD_ENV}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_production_environment():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_values():
    result = _run(["-c", PROBE])
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False
    assert values["hasher"].endswith("Argon2PasswordHasher")
    assert values["cache"] == "family_portal.redis_cache.PortalRedisCache"
    assert values["layer"] == "family_portal.channel_layers.PortalPubSubLayer"  # PORTAL_CHANNEL_LAYER's default
    assert values["session_cookie"] == "__Host-sessionid"
    assert values["csrf_cookie"] == "__Host-csrftoken"
    assert values["secure"] == [True, True, True]
    assert values["hsts"] >= 31536000
    assert values["mailer"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["passkeys"] == [False, False]  # origin checked; no "trust this browser"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"),
        ("REDIS_URL", "REDIS_URL"),
        ("SMTP_HOST", "SMTP_HOST"),
        ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
    ],
)
def test_missing_secret_fails_fast_with_a_clear_message(missing, message):
    result = _run(["manage.py", "check"], **{missing: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_wildcard_allowed_hosts_is_refused():
    result = _run(["manage.py", "check"], DJANGO_ALLOWED_HOSTS="*")
    assert result.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_malformed_boolean_is_refused():
    result = _run(["manage.py", "check"], DJANGO_DEBUG="yes")
    assert result.returncode != 0 and "True or False" in result.stderr
