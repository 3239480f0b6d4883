"""SMS backends. The ONLY module that imports ``twilio`` (style §2.3): sending, reconciliation, webhook signatures.

Two backends share one small interface (``send`` and ``find_sent``):

- ``ConsoleBackend`` (default, development): logs the text with the number, any code and any short link masked
  (DATA-09); the outbox row keeps the body so staff can read it on the outbox page (sign-in codes stay hidden).
- ``TwilioBackend`` (when ``settings.TWILIO_ACCOUNT_SID`` is set): the real ``twilio`` client, one per thread, with an
  explicit timeout (``TWILIO_TIMEOUT_S``); ``TWILIO_API_BASE_URL`` points it at a fake server in tests and demos.

Errors are translated into four outcomes the worker understands (SMS-05, SMS-06):
``RetryableSendError`` (429 / connection refused: Twilio did not take it), ``AmbiguousSendError`` (5xx, read timeout:
Twilio may have taken it — reconcile before resending), ``OptedOutError`` (21610), ``TerminalSendError`` (other 4xx).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from family_portal.redaction import redact_text

logger = logging.getLogger(__name__)
# twilio's client logs query strings (they carry phone numbers) at INFO; ours only says something when it fails.
_http_logger = logging.getLogger("notifications.sms.http")
_http_logger.setLevel(logging.WARNING)

OPTED_OUT_CODE = 21610


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str


class SendError(Exception):
    """A send did not succeed. ``code`` is the Twilio error code (or HTTP status) when known."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class RetryableSendError(SendError):
    """Twilio did not accept the message (429, connection refused): safe to retry after backing off."""


class AmbiguousSendError(SendError):
    """Twilio may have accepted the message (5xx, read timeout): reconcile before any resend."""


class TerminalSendError(SendError):
    """A permanent error (e.g. 21211 invalid number): never retry."""


class OptedOutError(TerminalSendError):
    """21610: the recipient replied STOP to our sender. Record the opt-out; never retry."""


class Backend(Protocol):
    name: str
    sender: str

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult: ...

    def find_sent(self, *, to: str, body: str, since: datetime) -> list[str]: ...

    def prepare(self) -> None: ...


def mask_number(number: str) -> str:
    """``+15551234567`` → ``+1•••••••67``: enough for an operator to tell numbers apart, not to dial one."""
    if len(number) <= 4:
        return "•" * len(number)
    return number[:2] + "•" * (len(number) - 4) + number[-2:]


_DIGIT_RUN = re.compile(r"\d{4,}")


def mask_text(body: str) -> str:
    """A text as it may appear in a log: every run of four or more digits (a confirmation code, a number) and every
    token-bearing link (``/notifications/go/…``) masked; the wording stays readable."""
    return _DIGIT_RUN.sub(lambda match: "•" * len(match.group()), redact_text(body))


class ConsoleBackend:
    """Development backend: logs the message (number, codes and links masked) and pretends it was accepted."""

    name = "console"

    def __init__(self) -> None:
        self.sender = settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_FROM_NUMBER or "console"

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        logger.info("console SMS to %s: %s", mask_number(to), mask_text(body))
        return SendResult(sid=f"CONSOLE{uuid.uuid4().hex}", status="sent")

    def find_sent(self, *, to: str, body: str, since: datetime) -> list[str]:
        return []  # console sends never end ambiguous

    def prepare(self) -> None:
        pass


class _BaseUrlHttpClient(TwilioHttpClient):
    """Rewrites every ``https://<product>.twilio.com/...`` URL to ``TWILIO_API_BASE_URL`` (fake server)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


class TwilioBackend:
    """The real Twilio REST client, one per thread (``requests`` sessions are not shared across threads)."""

    name = "twilio"

    def __init__(self) -> None:
        self.sender = settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_FROM_NUMBER
        if not self.sender:
            raise ValueError("Set TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER to send texts.")
        self._local = threading.local()

    def client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            timeout = float(settings.TWILIO_TIMEOUT_S)
            http: TwilioHttpClient
            if settings.TWILIO_API_BASE_URL:
                http = _BaseUrlHttpClient(settings.TWILIO_API_BASE_URL, timeout=timeout, logger=_http_logger)
            else:
                http = TwilioHttpClient(timeout=timeout, logger=_http_logger)
            client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
            self._local.client = client
        return client

    def prepare(self) -> None:
        """Build this thread's client and load the Messages API modules (lazily imported on first use: ~0.1–0.4 s).
        Called before the rate limiter hands out a slot, so the first POST is not late and bunched with the next."""
        _ = self.client().messages

    def _sender_kwargs(self) -> dict[str, str]:
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            return {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        return {"from_": settings.TWILIO_FROM_NUMBER}

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        kwargs: dict[str, Any] = {"to": to, "body": body, **self._sender_kwargs()}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client().messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _classify(exc) from None
        except requests.exceptions.ConnectTimeout as exc:
            raise RetryableSendError("connect timeout", status=None) from exc
        except requests.exceptions.ConnectionError as exc:
            # Refused before any byte was sent is safe to retry; anything else may have reached Twilio.
            if _refused(exc):
                raise RetryableSendError("connection refused") from exc
            raise AmbiguousSendError("connection lost after sending") from exc
        except requests.exceptions.Timeout as exc:
            raise AmbiguousSendError("read timeout after sending") from exc
        return SendResult(sid=str(message.sid), status=str(message.status or "queued"))

    def find_sent(self, *, to: str, body: str, since: datetime) -> list[str]:
        """SIDs of messages to ``to`` from our sender created since ``since`` with exactly ``body`` (SMS-06)."""
        window_start = since - timedelta(minutes=2)  # clock skew between us and Twilio
        filters: dict[str, Any] = {"to": to, "limit": 50}
        if not settings.TWILIO_MESSAGING_SERVICE_SID:
            filters["from_"] = settings.TWILIO_FROM_NUMBER
        # No DateSent filter: a message Twilio accepted but has not sent yet has no date_sent. The list is newest
        # first; we keep those created inside the window.
        try:
            messages = self.client().messages.list(**filters)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _classify(exc) from None
        except requests.exceptions.RequestException as exc:
            raise RetryableSendError("could not list messages") from exc
        found = []
        for message in messages:
            if message.body != body:
                continue
            if settings.TWILIO_MESSAGING_SERVICE_SID:
                if message.messaging_service_sid not in (None, settings.TWILIO_MESSAGING_SERVICE_SID):
                    continue
            elif message.from_ not in (None, settings.TWILIO_FROM_NUMBER):
                continue
            created = message.date_created
            if not isinstance(created, datetime) or created < window_start:
                continue
            found.append(str(message.sid))
        return found


def _refused(exc: requests.exceptions.ConnectionError) -> bool:
    text = repr(exc)
    return "Connection refused" in text or "NewConnectionError" in text


def _classify(exc: TwilioRestException | TwilioServiceException) -> SendError:
    status = int(getattr(exc, "status", 0) or 0)
    code = getattr(exc, "code", None)
    code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    label = f"Twilio HTTP {status}" + (f" code {code}" if code else "")
    if code == OPTED_OUT_CODE:
        return OptedOutError(label, code=code, status=status)
    if status == 429 or code == 20429:
        return RetryableSendError(label, code=code, status=status)
    if status >= 500:
        return AmbiguousSendError(label, code=code, status=status)
    return TerminalSendError(label, code=code, status=status)


_backend: Backend | None = None
_backend_lock = threading.Lock()


def get_backend() -> Backend:
    """The configured backend (created once per process; call ``reset_backend()`` after changing settings)."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = TwilioBackend() if settings.TWILIO_ACCOUNT_SID else ConsoleBackend()
        return _backend


def reset_backend() -> None:
    global _backend
    with _backend_lock:
        _backend = None


def send_sms(*, to: str, body: str, status_callback: str | None = None) -> SendResult:
    """Send one text through the configured backend. Raises a ``SendError`` subclass on failure."""
    return get_backend().send(to=to, body=body, status_callback=status_callback)


def find_sent(*, to: str, body: str, since: datetime) -> list[str]:
    """Provider SIDs matching an earlier, possibly-sent message (reconciliation before any resend)."""
    return get_backend().find_sent(to=to, body=body, since=since)


def prepare() -> None:
    """Make the next send fast (see ``TwilioBackend.prepare``); call before waiting for a rate-limit slot."""
    get_backend().prepare()


def sender_id() -> str:
    return get_backend().sender


def uses_twilio() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID)


def is_valid_signature(url: str, params: Any, signature: str | None) -> bool:
    """True when ``signature`` is Twilio's HMAC-SHA1 of ``url`` + sorted ``params`` with our auth token (SMS-01).

    A missing or empty signature, a missing token, or anything the validator chokes on is simply False.
    """
    token = settings.TWILIO_AUTH_TOKEN
    if not signature or not token:
        return False
    try:
        return bool(RequestValidator(token).validate(url, params, signature))
    except Exception:
        return False
