"""Phone numbers and consent to texting: add, confirm by code, opt in with recorded wording, opt out (SMS-04).

Opting in or out of texts is separate from Part 2 consent: STOP never revokes a consent, START never restores one.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone
from notifications.services import enqueue_message

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_WINDOW = 3
CODE_WINDOW = timedelta(minutes=15)
CODE_MIN_GAP = timedelta(seconds=60)
DEFAULT_REGION = "US"
# The number the form shows as an example: a valid US mobile-or-landline number (555-01xx is reserved for
# fiction), typed as people dial it. normalize_phone must accept it; (555) 123-4567 is not a valid US number.
EXAMPLE_NUMBER = "(201) 555-0123"

# The English wording (the catalogue's msgid). It is shown in the reader's language (``opt_in_label``) and the words
# they agreed to are recorded as shown: any offered language's version is valid (``opt_in_wordings``).
OPT_IN_TEXT = gettext_noop(
    "Yes, send appointment reminders and new-message alerts by text message to this number. "
    "How often varies. Message and data rates may apply. Reply STOP to opt out or HELP for help. "
    "Texts never include names or health details."
)


opt_in_label = gettext_lazy(OPT_IN_TEXT)  # the form shows this: the wording in the active language


def opt_in_wordings() -> set[str]:
    """The opt-in wording in every language the portal offers: the exact words a person may have been shown."""
    wordings = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            wordings.add(_(OPT_IN_TEXT))
    return wordings


# Audit kinds for texting choices (ids only in data, never the number).
AUDIT_SMS_OPTED_IN = AuditEvent.Kind.SMS_OPTED_IN
AUDIT_SMS_OPTED_OUT = AuditEvent.Kind.SMS_OPTED_OUT

PENDING_STATES = (OutboxMessage.State.QUEUED, OutboxMessage.State.UNKNOWN)


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a typed number (US by default); ValidationError with plain words otherwise."""
    try:
        parsed = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a mobile number such as %(example)s.") % {"example": EXAMPLE_NUMBER}, code="invalid"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("That does not look like a complete phone number."), code="invalid")
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise ValidationError(_("That number looks like a landline. Please enter a mobile number."), code="landline")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Friendly national form of a number for its owner, e.g. ``(201) 555-0123``."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def is_opted_out(e164: str) -> bool:
    return SmsOptOut.objects.filter(e164=e164, active=True).exists()


def _code_hash(phone: SmsPhone, code: str) -> str:
    return salted_hmac("notifications.phone_code", f"{phone.pk}:{phone.e164}:{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def set_phone(*, user: User, raw_number: str) -> SmsPhone:
    """Save a new or changed number: confirmation and opt-in start over, and a code is texted through the outbox."""
    e164 = normalize_phone(raw_number)
    phone = SmsPhone.objects.select_for_update().filter(user=user).first()
    if phone is None:
        phone = SmsPhone(user=user, e164=e164)
    elif phone.e164 != e164:
        phone.e164 = e164
        phone.verified_at = None
        phone.opted_in_at = None
        phone.opt_in_text = ""
        phone.sms_capable = True
    elif phone.verified_at:
        return phone  # the same, already confirmed number: nothing to do
    phone.save()
    _issue_code(phone)
    return phone


@transaction.atomic
def send_confirmation_code(*, user: User) -> SmsPhone:
    """Text a fresh code to the user's unconfirmed number (rate limited: 1 a minute, 3 per 15 minutes)."""
    phone = SmsPhone.objects.select_for_update().filter(user=user).first()
    if phone is None:
        raise ValidationError(_("Add a mobile number first."), code="no_phone")
    if phone.verified_at:
        raise ValidationError(_("This number is already confirmed."), code="confirmed")
    _issue_code(phone)
    return phone


def _issue_code(phone: SmsPhone) -> None:
    """Text a new code: at most one a minute and three in 15 minutes, counted from the ``phone_code`` outbox rows.

    Those rows are the record of what was sent, written in this transaction under the phone's row lock, so a code
    refused for another reason (an opted-out number) or rolled back uses up none of the allowance and concurrent
    requests cannot both pass. ``allauth.core.ratelimit`` (the sign-in limiter) counts attempts in the cache
    instead, outside the transaction, and answers one yes or no for all its rates, so the two different messages
    below could not be told apart (tests/notifications/test_phones.py::test_codes_are_rate_limited and
    ::test_a_refused_code_uses_none_of_the_allowance)."""
    now = timezone.now()
    recent = list(
        OutboxMessage.objects.filter(
            recipient_id=phone.user_id, template_key="phone_code", created_at__gte=now - CODE_WINDOW
        ).values_list("created_at", flat=True)
    )
    if recent and max(recent) > now - CODE_MIN_GAP:
        raise ValidationError(_("We just sent a code. Please wait a minute before asking for another."), code="wait")
    if len(recent) >= CODES_PER_WINDOW:
        raise ValidationError(_("Too many codes were sent. Please try again in 15 minutes."), code="too_many")
    if is_opted_out(phone.e164):
        raise ValidationError(
            _("This number asked us to stop texting. Text START to our number first, then ask for a code."),
            code="opted_out",
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    phone.code_hash = _code_hash(phone, code)
    phone.code_expires_at = now + CODE_TTL
    phone.code_attempts_left = CODE_ATTEMPTS
    phone.save(update_fields=["code_hash", "code_expires_at", "code_attempts_left", "updated_at"])
    enqueue_message(
        recipient=phone.user,
        template_key="phone_code",
        idempotency_key=f"phone_code:{phone.user_id}:{secrets.token_hex(8)}",
        context={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
        channel=OutboxMessage.Channel.SMS,
        to_address=phone.e164,
    )


def confirm_phone(*, user: User, code: str) -> SmsPhone:
    """Check a typed code (5 tries, 10 minutes); on success the number is confirmed. ValidationError otherwise.

    A wrong try is committed before the error is raised, so the try counter cannot be reset by the rollback.
    """
    phone, error = _check_code(user, code)
    if error is not None or phone is None:
        raise error or ValidationError(_("Add a mobile number first."), code="no_phone")
    return phone


@transaction.atomic
def _check_code(user: User, code: str) -> tuple[SmsPhone | None, ValidationError | None]:
    phone = SmsPhone.objects.select_for_update().filter(user=user).first()
    if phone is None:
        return None, ValidationError(_("Add a mobile number first."), code="no_phone")
    if phone.verified_at:
        return phone, None
    now = timezone.now()
    if not phone.code_hash or not phone.code_expires_at or phone.code_expires_at <= now:
        return phone, ValidationError(_("That code has expired. Ask for a new one."), code="expired")
    if phone.code_attempts_left <= 0:
        return phone, ValidationError(_("Too many tries. Ask for a new code."), code="locked")
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    if not constant_time_compare(_code_hash(phone, typed), phone.code_hash):
        phone.code_attempts_left -= 1
        phone.save(update_fields=["code_attempts_left", "updated_at"])
        if phone.code_attempts_left <= 0:
            return phone, ValidationError(_("Too many tries. Ask for a new code."), code="locked")
        return phone, ValidationError(_("That code is not right. Check the text and try again."), code="wrong")
    phone.verified_at = now
    phone.code_hash = ""
    phone.code_expires_at = None
    phone.code_attempts_left = 0
    phone.save()
    return phone, None


@transaction.atomic
def opt_in_to_texts(*, user: User, wording: str) -> SmsPhone:
    """Record consent to texting with the exact words shown and the time (separate from Part 2 consent)."""
    phone = SmsPhone.objects.select_for_update().filter(user=user).first()
    if phone is None or not phone.verified_at:
        raise ValidationError(_("Confirm your number before turning on texts."), code="unconfirmed")
    if wording not in opt_in_wordings():
        raise ValidationError(_("The agreement text changed. Please read it again."), code="stale_wording")
    phone.opted_in_at = timezone.now()
    phone.opt_in_text = wording
    phone.save(update_fields=["opted_in_at", "opt_in_text", "updated_at"])
    record_audit(kind=AUDIT_SMS_OPTED_IN, actor=user, data={"phone_id": phone.pk, "method": "web"})
    return phone


@transaction.atomic
def opt_out_of_texts(*, user: User) -> int:
    """Turn texts off from the portal. Pending texts to this user switch to email. Returns how many switched."""
    phone = SmsPhone.objects.select_for_update().filter(user=user).first()
    if phone is not None and phone.opted_in_at:
        phone.opted_in_at = None
        phone.save(update_fields=["opted_in_at", "updated_at"])
        record_audit(kind=AUDIT_SMS_OPTED_OUT, actor=user, data={"phone_id": phone.pk, "method": "web"})
    return _switch_pending_to_email(user)


@transaction.atomic
def remove_phone(*, user: User) -> int:
    """Forget the user's number; pending texts switch to email."""
    SmsPhone.objects.filter(user=user).delete()
    return _switch_pending_to_email(user)


def _switch_pending_to_email(user: User) -> int:
    pending = OutboxMessage.objects.filter(recipient=user, channel=OutboxMessage.Channel.SMS, state__in=PENDING_STATES)
    pending.filter(template_key="phone_code").update(
        state=OutboxMessage.State.SUPPRESSED, state_reason="number removed or texts turned off"
    )
    # Only rows never handed to Twilio switch; a row that may already have gone out stays put (no duplicate).
    return pending.filter(state=OutboxMessage.State.QUEUED, claimed_at__isnull=True).update(
        channel=OutboxMessage.Channel.EMAIL, to_address=""
    )


def _pending_for_number(e164: str) -> Q:
    return Q(channel=OutboxMessage.Channel.SMS, state__in=PENDING_STATES) & (
        Q(to_address=e164) | Q(recipient__sms_phone__e164=e164)
    )


@transaction.atomic
def record_keyword_opt_out(*, e164: str, source: str = "keyword") -> bool:
    """A number texted STOP (or Twilio said 21610): block it on all our senders, suppress its pending texts.

    Returns True when this created or re-activated the opt-out (replays change nothing and write no audit row).
    """
    now = timezone.now()
    opt_out, created = SmsOptOut.objects.select_for_update().get_or_create(
        e164=e164, defaults={"opted_out_at": now, "source": source}
    )
    changed = created or not opt_out.active
    if not created and not opt_out.active:
        opt_out.active = True
        opt_out.opted_out_at = now
        opt_out.source = source
        opt_out.save(update_fields=["active", "opted_out_at", "source"])
    ids = list(OutboxMessage.objects.filter(_pending_for_number(e164)).values_list("pk", flat=True))
    if ids:
        OutboxMessage.objects.filter(pk__in=ids, state__in=PENDING_STATES).update(
            state=OutboxMessage.State.SUPPRESSED, state_reason="number opted out", updated_at=now
        )
    if changed:
        record_audit(kind=AUDIT_SMS_OPTED_OUT, data={"opt_out_id": opt_out.pk, "method": source})
        logger.info("SMS opt-out recorded (%s), %d pending texts suppressed", source, len(ids))
    return changed


@transaction.atomic
def record_keyword_opt_in(*, e164: str) -> bool:
    """A number texted START/UNSTOP/YES: texting resumes for users who had opted in. Never touches consent."""
    updated = SmsOptOut.objects.filter(e164=e164, active=True).update(active=False, opted_back_in_at=timezone.now())
    if updated:
        record_audit(kind=AUDIT_SMS_OPTED_IN, data={"method": "keyword"})
    return bool(updated)
