"""Inbound Twilio webhooks: keywords (STOP/START/HELP) and delivery status callbacks (SMS-01..04, SMS-07, SMS-09).

Both views are public (Twilio cannot log in) and the only ``csrf_exempt`` views: the X-Twilio-Signature over
``TWILIO_WEBHOOK_BASE_URL`` + the path Twilio called (never the request's Host header) is their authentication.
A missing or wrong signature is a 403, never a 500. They validate, deduplicate, write and return: no provider calls.
"""

from __future__ import annotations

import logging
import re
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Program
from notifications import sms
from notifications.models import InboundMessage, StatusCallbackReceipt
from notifications.phones import record_keyword_opt_in, record_keyword_opt_out
from notifications.status import apply_status

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Keywords Twilio's default opt-out handling answers itself; we reply only to the ones it does not know.
TWILIO_ANSWERS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "START", "UNSTOP", "YES"})

_NOT_LETTERS = re.compile(r"[^A-Z]+")


def normalize_keyword(body: str) -> str:
    """``" Opt-out. "`` → ``"OPTOUT"``: upper-case, punctuation and spaces removed (consent-and-privacy §12)."""
    return _NOT_LETTERS.sub("", body.upper())


def classify_keyword(body: str) -> str:
    """ "stop", "start", "help", or "" for an ordinary message. The whole message must be the keyword."""
    word = normalize_keyword(body)
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return ""


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
    if not kind or normalize_keyword(body) in TWILIO_ANSWERS:
        return _twiml()  # an ordinary text, or a keyword Twilio's opt-out handling answers itself
    reply = render_to_string(f"notifications/sms/{kind}_reply.txt", {"help_phone": _help_phone()})
    return _twiml(reply.strip())


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
