"""Bearer tokens never reach a log line (DATA-09).

A few portal URLs carry a credential in their path: whoever holds the address holds the access. Each is listed in
``TOKEN_PATH_PREFIXES``; everything after such a prefix is replaced with ``[redacted]`` wherever the portal writes a
log line:

- Daphne's access log (``family_portal/serve.py`` wraps Daphne's access-log writer with ``redact_path``, which also
  drops the query string and decodes percent-escapes first, so ``/consent/%69nvitation/…`` cannot slip past);
- every record that goes through Django's logging (``RedactingFormatter`` in ``settings.LOGGING``: ``Not Found:
  /consent/invitation/…`` warnings, tracebacks, anything a library logs);
- the console SMS backend (``notifications/sms.py`` masks codes and short links in the text it logs).

The shipped nginx configuration (deploy/nginx.conf) redacts the same prefixes with a ``map``; a test keeps the two
lists and the URL configuration in step (tests/ops/test_token_logs.py).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

# Every path prefix followed by a bearer token. A new token-bearing URL must be added here AND to the `map` in
# deploy/nginx.conf; tests/ops/test_token_logs.py fails when a URL pattern with a token parameter is missing.
TOKEN_PATH_PREFIXES: tuple[str, ...] = (
    "/accounts/password/reset/key/",  # allauth's reset link (the portal mails a code instead; old links still arrive)
    "/accounts/confirm-email/",  # email verification key
    "/consent/invitation/",  # family invitation (consent-and-privacy § 10)
    "/notifications/go/",  # short link in texts
    "/sessions/feed/",  # private calendar subscription
)
REDACTED = "[redacted]"
_PATH_SAFE = "/:@!$&'()*+,;=[]"

_TOKEN_AFTER_PREFIX = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in TOKEN_PATH_PREFIXES) + r")[^\s?#\"'<>]+"
)


def redact_text(text: str) -> str:
    """``text`` with the rest of every token-bearing path replaced by ``[redacted]`` (prefix kept, for triage)."""
    return _TOKEN_AFTER_PREFIX.sub(lambda match: match.group(1) + REDACTED, text)


def redact_path(raw: str) -> str:
    """A request path as an access log may show it: no query string or fragment, and no token.

    The token is looked for in the path decoded the way the router decodes it (so ``/consent/%69nvitation/…`` is
    caught); the result is escaped again, so a decoded newline cannot forge a log line."""
    path = raw.split("?", 1)[0].split("#", 1)[0]
    return quote(redact_text(unquote(path, errors="replace")), safe=_PATH_SAFE)


class RedactingFormatter(logging.Formatter):
    """``logging.Formatter`` whose output (message, arguments, traceback) never carries a token-bearing path."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def logging_config(level: str) -> dict[str, object]:
    """``settings.LOGGING``: every record leaves through one console handler whose formatter redacts tokens.

    Structured and never patient data (DATA-05), never a bearer token (DATA-09). Django's defaults give some
    loggers their own handlers (an unformatted console copy in debug, admin mail, runserver's access lines): they
    are replaced, so every record goes through the redacting handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {
                "()": "family_portal.redaction.RedactingFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": []},
            "django.server": {"handlers": ["console"], "propagate": False},
            "django.db.backends": {"level": "WARNING"},
        },
    }
