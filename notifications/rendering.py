"""Render outbox rows into text. Every SMS and email goes through ``render_sms`` / ``render_email`` (SMS-08).

SMS templates live in ``templates/notifications/sms/<key>.txt``; emails in ``templates/notifications/email/<key>.txt``
with a subject in ``<key>_subject.txt``. Context values are neutral (a local time, a portal link, a code); a body that
leaves the GSM-7 alphabet or one segment is a programming error and is refused before sending.

Everything sent to a person is written in THEIR language (``language_of``), at send time: the worker renders each row
under ``translation.override`` (``render_outbox_sms`` / ``render_outbox_email``), so one batch can hold rows in
different languages. Spanish letters á í ó ú are not in GSM-7 (é ñ ü ¿ ¡ are): a single one would switch a text to
UCS-2, 70 characters a segment, which no text with a link fits. So texts fold those four vowels to their plain
letters (``fold_to_gsm7``), as Spanish texting commonly does, and stay one 160-character GSM-7 segment; emails keep
every accent.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from notifications.wording import spoken_times

if TYPE_CHECKING:
    from notifications.models import OutboxMessage

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
SEGMENT_LIMIT = 160
# Letters a Spanish text needs that GSM-7 lacks, and the GSM-7 letter each is written as in a text (GSM 03.38).
GSM7_FOLDS = str.maketrans("áíóúÁÍÓÚ", "aiouAIOU")

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
    "session_place_confirmed",
    "assignment_new",
    "consent_granted",
    "access_changed",
    "summary_review",
    "summary_update",
    "sharing_changed",
    "checkin_shared",
    "letter_issued",
)

# Words that must never appear in a text or email to a family, in any language (SMS-08, consent-and-privacy §12).
# Matched as word beginnings on the text with its accents removed, so Spanish words are written without accents.
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
    # Spanish
    "adiccion",
    "sustancia",
    "recuperacion",
    "desintoxic",
    "recaida",
    "rehabilitacion",
    "tratamiento",
    "terapia",
    "terapeuta",
    "consejer",
    "clinica",
    "clinico",
    "diagnostico",
    "droga",
    "opioide",
    "sobrio",
    "sobria",
    "sobriedad",
    "sobredosis",
    "abstinencia",
    "psiquiatr",
    "salud mental",
    "paciente",
)


REQUIRED_CONTEXT: dict[str, tuple[str, ...]] = {
    "session_reminder": ("when", "link"),
    "new_message": ("link",),
    "phone_code": ("code", "minutes"),
    "session_invited": ("when", "when_full", "link", "url"),
    "session_rescheduled": ("when", "when_full", "link", "url"),
    "session_cancelled": ("when", "when_full", "link", "url"),
    "session_place_confirmed": ("when", "when_full", "link", "url"),
    "assignment_new": ("link", "url"),
    "consent_granted": ("link", "url"),
    "access_changed": ("link", "url"),
    "summary_review": ("link", "url"),
    "summary_update": ("link", "url"),
    "sharing_changed": ("link", "url"),
    "checkin_shared": ("link", "url"),
    "letter_issued": ("link", "url"),
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


def language_of(user: Any) -> str:
    """The language a person's texts and emails are written in: their ``preferred_language`` when the portal offers
    it, else the default language."""
    code = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def fold_to_gsm7(text: str) -> str:
    """``text`` with the Spanish vowels GSM-7 lacks (á í ó ú) written plain; every other character unchanged."""
    return text.translate(GSM7_FOLDS)


def render_outbox_sms(row: OutboxMessage, now: datetime) -> str:
    """The text of an outbox row in its recipient's language, times worded at ``now`` (no query: the worker loads
    the recipient with the row)."""
    with translation.override(language_of(row.recipient)):
        return render_sms(row.template_key, spoken_times(row.template_key, row.context, now))


def render_outbox_email(row: OutboxMessage, now: datetime) -> tuple[str, str]:
    """(subject, body) of an outbox row in its recipient's language, times worded at ``now``."""
    with translation.override(language_of(row.recipient)):
        return render_email(row.template_key, spoken_times(row.template_key, row.context, now))


def render_sms(template_key: str, context: dict[str, Any]) -> str:
    """Render ``templates/notifications/sms/<key>.txt`` in the active language to one line (Spanish vowels folded to
    GSM-7); refuse anything beyond one GSM-7 segment."""
    _require_context(template_key, context)
    body = fold_to_gsm7(_squash(render_to_string(f"notifications/sms/{template_key}.txt", context)))
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
    """Clinical or identifying words found in ``text`` (word beginnings, case- and accent-insensitive)."""
    lowered = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return [w for w in CLINICAL_WORDS if re.search(rf"\b{re.escape(w)}", lowered)]
