"""Render outbox rows into text. Every SMS and email goes through ``render_sms`` / ``render_email`` (SMS-08).

SMS templates live in ``templates/notifications/sms/<key>.txt``; emails in ``templates/notifications/email/<key>.txt``
with a subject in ``<key>_subject.txt``. Context values are neutral (a local time, a portal link, a code); a body that
leaves the GSM-7 alphabet or one segment is a programming error and is refused before sending.
"""

from __future__ import annotations

import re
from typing import Any

from django.template.loader import render_to_string

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
SEGMENT_LIMIT = 160

SMS_TEMPLATES = (
    "session_reminder",
    "phone_code",
    "new_message",
    "help_reply",
    "stop_reply",
    "start_reply",
    # Notices that something changed (``notifications.notices``).
    "session_invited",
    "session_rescheduled",
    "session_cancelled",
    "assignment_new",
    "consent_granted",
    "access_changed",
)

# Words that must never appear in a text or email to a family (SMS-08, consent-and-privacy §12).
CLINICAL_WORDS = (
    "addiction",
    "substance",
    "recovery",
    "detox",
    "relapse",
    "rehab",
    "treatment",
    "therapy",
    "therapist",
    "counseling",
    "counselor",
    "clinic",
    "clinical",
    "diagnosis",
    "alcohol",
    "drug",
    "opioid",
    "sober",
    "sobriety",
    "overdose",
    "withdrawal",
    "psychiatric",
    "mental health",
    "patient",
    "iop",
)


REQUIRED_CONTEXT: dict[str, tuple[str, ...]] = {
    "session_reminder": ("when", "link"),
    "new_message": ("link",),
    "phone_code": ("code", "minutes"),
    "session_invited": ("when", "when_full", "link", "url"),
    "session_rescheduled": ("when", "when_full", "link", "url"),
    "session_cancelled": ("when", "when_full", "link", "url"),
    "assignment_new": ("link", "url"),
    "consent_granted": ("link", "url"),
    "access_changed": ("link", "url"),
    "staff_welcome": ("link",),
}


class UnsafeMessageError(ValueError):
    """A rendered text broke the content rules (non-GSM-7 character or more than one segment)."""


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` needs in GSM-7 (extension characters count twice); None if it is not GSM-7."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def is_single_gsm7_segment(text: str) -> bool:
    length = gsm7_length(text)
    return length is not None and length <= SEGMENT_LIMIT


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_sms(template_key: str, context: dict[str, Any]) -> str:
    """Render ``templates/notifications/sms/<key>.txt`` to one line; refuse anything beyond one GSM-7 segment."""
    _require_context(template_key, context)
    body = _squash(render_to_string(f"notifications/sms/{template_key}.txt", context))
    if not is_single_gsm7_segment(body):
        raise UnsafeMessageError(f"SMS template {template_key} rendered outside one GSM-7 segment.")
    return body


def render_email(template_key: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, plain-text body) for ``templates/notifications/email/<key>.txt`` and ``<key>_subject.txt``."""
    _require_context(template_key, context)
    subject = _squash(render_to_string(f"notifications/email/{template_key}_subject.txt", context))
    body = render_to_string(f"notifications/email/{template_key}.txt", context).strip() + "\n"
    return subject, body


def _require_context(template_key: str, context: dict[str, Any]) -> None:
    missing = [k for k in REQUIRED_CONTEXT.get(template_key, ()) if not context.get(k)]
    if missing:
        raise UnsafeMessageError(f"Template {template_key} is missing {', '.join(missing)}.")


def clinical_words_in(text: str) -> list[str]:
    """Clinical or identifying words found in ``text`` (whole-word, case-insensitive)."""
    lowered = text.lower()
    return [w for w in CLINICAL_WORDS if re.search(rf"\b{re.escape(w)}", lowered)]
