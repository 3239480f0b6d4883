"""Sending one web push notice (RFC 8030/8291/8292): the neutral words in the recipient's language, encrypted for
each of their devices (aes128gcm) and signed with the portal's VAPID key.

The worker (``notifications.worker.sending``) calls ``send_push`` after the send-time checks. What a lock screen
shows is as neutral as a text: "Family Portal" and one sentence (no name, no program, nothing clinical; the same
``CLINICAL_WORDS`` refusal as SMS), plus the portal page to open, which asks for sign-in and applies the consent
gate itself. A push service's 404 or 410 means the subscription is gone: it is deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import pgettext
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from notifications.models import PushSubscription
from notifications.rendering import UnsafeMessageError, clinical_words_in, language_of
from notifications.wording import spoken_times

if TYPE_CHECKING:
    from notifications.models import OutboxMessage

logger = logging.getLogger("notifications.worker")

TITLE = "Family Portal"
TTL_S = 12 * 60 * 60  # a push service keeps an undelivered notice this long (a phone switched off overnight)
GONE = frozenset({404, 410})


def push_body(template_key: str, context: dict[str, Any]) -> str:
    """The one neutral sentence of a push notice, in the active language."""
    when = context.get("when", "")
    bodies = {
        "new_message": pgettext("push notification", "You have a new message in Family Portal"),
        "session_invited": pgettext("push notification", "New appointment: %(when)s") % {"when": when},
        "session_rescheduled": pgettext("push notification", "Appointment moved to %(when)s") % {"when": when},
        "session_cancelled": pgettext("push notification", "Appointment on %(when)s is cancelled") % {"when": when},
        "session_place_confirmed": pgettext("push notification", "A place opened for you on %(when)s") % {"when": when},
        "session_reminder": pgettext("push notification", "Reminder: you have an appointment %(when)s")
        % {"when": when},
    }
    if template_key not in bodies:
        raise UnsafeMessageError(f"No push wording for {template_key}.")
    if template_key != "new_message" and not when:
        raise UnsafeMessageError(f"Push {template_key} is missing when.")
    return str(bodies[template_key])


def render_push(row: OutboxMessage, now: datetime) -> dict[str, str]:
    """The payload of a push row (title, body, url, lang, tag) in its recipient's language, times worded at ``now``.
    Refuses (``UnsafeMessageError``) a body with a clinical word or a link that is not a local path."""
    language = language_of(row.recipient)
    with translation.override(language):
        body = push_body(row.template_key, spoken_times(row.template_key, row.context, now))
    if clinical_words_in(body):
        raise UnsafeMessageError(f"Push {row.template_key} rendered a word that is not allowed.")
    path = str(row.context.get("path") or "/")
    if not path.startswith("/") or path.startswith("//"):
        raise UnsafeMessageError("Push links point at local paths only.")
    return {"title": TITLE, "body": body, "url": path, "lang": language, "tag": row.template_key}


@cache
def _vapid(private_key: str) -> Vapid02:
    """The signing key: raw base64url (``generate_vapid_keys``), base64url DER or PEM."""
    if "-----BEGIN" in private_key:
        return Vapid02.from_pem(private_key.encode())
    return Vapid02.from_string(private_key)


def vapid_key() -> Vapid02:
    return _vapid(settings.VAPID_PRIVATE_KEY)


@dataclass
class PushResult:
    """How a row's devices answered: delivered to some, gone, or worth another try later."""

    delivered: int = 0
    gone: int = 0
    rejected: int = 0
    retryable: int = 0
    last_error: str = ""

    @property
    def devices(self) -> int:
        return self.delivered + self.gone + self.rejected + self.retryable


def send_push(row: OutboxMessage, payload: dict[str, str]) -> PushResult:
    """Encrypt and post ``payload`` to every subscribed device of the row's recipient. A 404/410 deletes that
    subscription; 429 and 5xx answers and network errors count as retryable; other answers as rejected."""
    result = PushResult()
    data = json.dumps(payload, ensure_ascii=False)
    for subscription in PushSubscription.objects.filter(user_id=row.recipient_id).order_by("pk"):
        status = _post(subscription, data)
        if status is not None and status < 300:
            result.delivered += 1
            PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now())
        elif status in GONE:
            result.gone += 1
            subscription.delete()
            logger.info("outbox row %s: push subscription %s gone (%s), removed", row.pk, subscription.pk, status)
        elif status is None or status == 429 or status >= 500:
            result.retryable += 1
            result.last_error = f"push service {status or 'unreachable'}"
        else:
            result.rejected += 1
            result.last_error = f"push service refused ({status})"
    return result


def _post(subscription: PushSubscription, data: str) -> int | None:
    """The push service's HTTP status, or None when it could not be reached."""
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        response: Any = webpush(
            info,
            data=data,
            vapid_private_key=vapid_key(),
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=TTL_S,
            timeout=settings.WEB_PUSH_TIMEOUT_S,
            headers={"Urgency": "normal"},
        )
    except WebPushException as exc:
        return exc.response.status_code if exc.response is not None else None
    except Exception as exc:  # network errors: connection refused, timeout, TLS
        logger.warning("push subscription %s: %s", subscription.pk, type(exc).__name__)
        return None
    return int(response.status_code)
