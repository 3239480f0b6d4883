"""Inbound Twilio webhooks: keywords (STOP/START/HELP, PARAR/COMENZAR/AYUDA…) and delivery status callbacks
(SMS-01..04, SMS-07, SMS-09).

Both views are public (Twilio cannot log in) and the only ``csrf_exempt`` views: the X-Twilio-Signature over
``TWILIO_WEBHOOK_BASE_URL`` + the path Twilio called (never the request's Host header) is their authentication.
A missing or wrong signature is a 403, never a 500. They validate, deduplicate, write and return: no provider calls.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Program
from notifications import sms
from notifications.models import InboundMessage, SmsPhone, StatusCallbackReceipt
from notifications.phones import record_keyword_opt_in, record_keyword_opt_out
from notifications.rendering import language_of, render_sms
from notifications.status import apply_status

logger = logging.getLogger(__name__)

# Keyword → (what it asks, the language it is in). A whole message that is one of these words, after
# ``normalize_keyword``, changes texting permission or asks for help (consent-and-privacy §12).
# English: Twilio's default opt-out keywords (help.twilio.com/articles/223134027, "Twilio support for opt-out keywords
# (SMS STOP filtering)"): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; START, UNSTOP, YES; HELP, INFO.
# Spanish: carriers require a Spanish-language program to answer ALTO (stop) and AYUDA (help) (Twilio FAQ "What are
# the requirements for a Spanish-language short code?"); Twilio's Advanced Opt-Out adds such keywords and replies to a
# Messaging Service (support.twilio.com/articles/360034798533). We also accept the everyday words people text: PARAR,
# DETENER, CANCELAR, BAJA ("darse de baja"), FIN; COMENZAR, INICIAR, ALTA, SI (accent-free "sí", like YES).
KEYWORDS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"), ("stop", "en")),
    **dict.fromkeys(("START", "UNSTOP", "YES"), ("start", "en")),
    **dict.fromkeys(("HELP", "INFO"), ("help", "en")),
    **dict.fromkeys(("PARAR", "ALTO", "DETENER", "CANCELAR", "BAJA", "FIN"), ("stop", "es")),
    **dict.fromkeys(("COMENZAR", "INICIAR", "ALTA", "SI"), ("start", "es")),
    **dict.fromkeys(("AYUDA",), ("help", "es")),
}
STOP_WORDS = frozenset(word for word, (kind, _) in KEYWORDS.items() if kind == "stop")
START_WORDS = frozenset(word for word, (kind, _) in KEYWORDS.items() if kind == "start")
HELP_WORDS = frozenset(word for word, (kind, _) in KEYWORDS.items() if kind == "help")
# Keywords Twilio's default opt-out handling answers itself; we reply only to the ones it does not know (all the
# Spanish ones, unless Advanced Opt-Out is set up: then Twilio marks the request with ``OptOutType`` and we stay quiet).
TWILIO_ANSWERS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "START", "UNSTOP", "YES"})

_NOT_LETTERS = re.compile(r"[^A-Z]+")


def normalize_keyword(body: str) -> str:
    """``" Opt-out. "`` → ``"OPTOUT"``, ``"Sí"`` → ``"SI"``: accents dropped, upper-case, punctuation and spaces
    removed (consent-and-privacy §12)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", body) if not unicodedata.combining(c))
    return _NOT_LETTERS.sub("", plain.upper())


def classify_keyword(body: str) -> str:
    """ "stop", "start", "help", or "" for an ordinary message. The whole message must be the keyword."""
    return KEYWORDS.get(normalize_keyword(body), ("", ""))[0]


def keyword_language(body: str) -> str:
    """The language a keyword is in ("es" for PARAR, "en" for STOP), or "" for an ordinary message."""
    return KEYWORDS.get(normalize_keyword(body), ("", ""))[1]


def reply_language(sender: str, body: str) -> str:
    """The language to answer a keyword in: that of the person whose number it is, else (an unknown number, or one
    that people with different languages share) the keyword's own language."""
    languages = {language_of(phone.user) for phone in SmsPhone.objects.filter(e164=sender).select_related("user")}
    if len(languages) == 1:
        return languages.pop()
    return keyword_language(body) or settings.LANGUAGE_CODE


def _signed(request: HttpRequest) -> bool:
    url = f"{settings.TWILIO_WEBHOOK_BASE_URL}{request.get_full_path()}"
    return sms.is_valid_signature(url, request.POST, request.headers.get("X-Twilio-Signature"))


def _twiml(text: str = "") -> HttpResponse:
    message = f"<Message>{escape(text)}</Message>" if text else ""
    return HttpResponse(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>', content_type="text/xml"
    )


# The views only wrap ``_inbound`` and ``_status_callback``: mutmut skips decorated functions, so the work lives in
# undecorated ones that `make mutate` can reach (docs/testing.md).


@csrf_exempt
@login_not_required
@require_POST
def inbound(request: HttpRequest) -> HttpResponse:
    """A text to our number. Keywords change texting permission; the body itself is never stored (may be PHI)."""
    return _inbound(request)


@csrf_exempt
@login_not_required
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    """Delivery status for a message we sent: dedupe on (MessageSid, status), move the row forward only."""
    return _status_callback(request)


def _inbound(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponseForbidden("Invalid signature")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    sender = request.POST.get("From", "")[:20]
    if not sid or not sender:
        return HttpResponseBadRequest("Missing MessageSid or From")
    body = request.POST.get("Body", "")
    kind = classify_keyword(body)
    _, created = InboundMessage.objects.get_or_create(
        message_sid=sid[:64], defaults={"from_e164": sender, "keyword": kind}
    )
    if not created:
        return _twiml()  # a retry of a message we already handled
    if kind == "stop":
        record_keyword_opt_out(e164=sender)
    elif kind == "start":
        record_keyword_opt_in(e164=sender)
    if not kind or normalize_keyword(body) in TWILIO_ANSWERS or request.POST.get("OptOutType"):
        return _twiml()  # an ordinary text, or a keyword Twilio's opt-out handling answers itself
    with translation.override(reply_language(sender, body)):
        reply = render_sms(f"{kind}_reply", {"help_phone": _help_phone()})
    return _twiml(reply)


def _help_phone() -> str:
    program = Program.objects.only("help_phone").order_by("pk").first()
    return program.help_phone if program else ""


def _status_callback(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponseForbidden("Invalid signature")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    status = request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or ""
    if not sid or not status:
        return HttpResponseBadRequest("Missing MessageSid or MessageStatus")
    error_code = request.POST.get("ErrorCode", "")[:16]
    StatusCallbackReceipt.objects.bulk_create(
        [StatusCallbackReceipt(message_sid=sid[:64], status=status[:20], error_code=error_code)],
        ignore_conflicts=True,
    )
    apply_status(sid=sid[:64], status=status, error_code=error_code)
    if error_code:
        logger.warning("delivery problem reported: status=%s code=%s", status, error_code)
    return HttpResponse(status=204)
