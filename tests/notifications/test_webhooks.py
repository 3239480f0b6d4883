"""Signed Twilio webhooks: signatures (SMS-01/02), idempotent order-tolerant callbacks (SMS-03), keywords (SMS-04),
carrier errors (SMS-07), fast handlers (SMS-09)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from twilio.request_validator import RequestValidator

from accounts.models import Program, User
from consent.models import AuditEvent, Consent
from notifications.models import InboundMessage, OutboxMessage, SmsOptOut, SmsPhone, StatusCallbackReceipt
from notifications.services import enqueue_message
from notifications.webhooks import classify_keyword, normalize_keyword
from tests.notifications.conftest import AUTH_TOKEN, MEMBER_NUMBER, give_phone, run_worker
from tests.support import personas

pytestmark = pytest.mark.django_db

PUBLIC = "https://portal.example.org"
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
INBOUND = "/notifications/twilio/inbound"
STATUS = "/notifications/twilio/status"


def _sign(url: str, params: Any, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def _post(client: Client, path: str, params: dict[str, Any], *, signature: str | None = "auto", **extra: Any) -> Any:
    if signature == "auto":
        signature = _sign(PUBLIC + path, params)
    if signature is not None:
        extra["HTTP_X_TWILIO_SIGNATURE"] = signature
    return client.post(path, urlencode(params, doseq=True), content_type="application/x-www-form-urlencoded", **extra)


def _inbound(body: str, sid: str = "SM1", sender: str = MEMBER_NUMBER) -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body, "AccountSid": "AC1"}


def _sent_row(member: User, sid: str = "SMabc") -> OutboxMessage:
    row = enqueue_message(recipient=member, template_key="new_message", idempotency_key=sid, context={"link": "x"})
    assert row is not None
    OutboxMessage.objects.filter(pk=row.pk).update(
        state=OutboxMessage.State.SENT, provider_message_id=sid, to_address=MEMBER_NUMBER
    )
    return row


# --- signatures -------------------------------------------------------------------------------------------------
def test_valid_signature_is_accepted(client: Client, db: None) -> None:
    assert _post(client, STATUS, {"MessageSid": "SMx", "MessageStatus": "sent"}).status_code == 204


def test_missing_signature_is_403(client: Client, db: None) -> None:
    refused = [
        _post(client, STATUS, {"MessageSid": "SMx", "MessageStatus": "sent"}, signature=None),
        _post(client, INBOUND, _inbound("STOP"), signature=None),
        _post(client, INBOUND, _inbound("STOP"), signature=""),
    ]
    assert [(r.status_code, r.content) for r in refused] == [(403, b"Invalid signature")] * 3
    assert not SmsOptOut.objects.exists()
    assert not StatusCallbackReceipt.objects.exists()


def test_signature_with_wrong_token_is_403(client: Client, db: None) -> None:
    params = _inbound("STOP")
    assert _post(client, INBOUND, params, signature=_sign(PUBLIC + INBOUND, params, "other")).status_code == 403


def test_altered_or_added_parameter_is_403(client: Client, db: None) -> None:
    params = _inbound("HELP")
    signature = _sign(PUBLIC + INBOUND, params)
    assert _post(client, INBOUND, {**params, "Body": "STOP"}, signature=signature).status_code == 403
    assert _post(client, INBOUND, {**params, "Extra": "1"}, signature=signature).status_code == 403
    assert not SmsOptOut.objects.exists()


def test_repeated_values_are_signed_as_twilio_does(client: Client, db: None) -> None:
    params = {"MessageSid": ["SMr"], "From": [MEMBER_NUMBER], "Body": ["a", "b"]}
    signature = _sign(PUBLIC + INBOUND, MultiValueDict(params))
    assert _post(client, INBOUND, params, signature=signature).status_code == 200
    only_first = _sign(PUBLIC + INBOUND, {"MessageSid": "SMr", "From": MEMBER_NUMBER, "Body": "a"})
    assert _post(client, INBOUND, params, signature=only_first).status_code == 403


def test_signature_uses_public_base_url_not_request_host(client: Client, settings: Any, db: None) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "internal"]
    path = STATUS + "?a=1&b=2"
    params = {"MessageSid": "SMq", "MessageStatus": "sent"}
    good = _sign(PUBLIC + path, params)
    internal = _sign("http://internal:8000" + path, params)
    headers = {"HTTP_HOST": "internal:8000", "HTTP_X_FORWARDED_HOST": "evil.example"}
    assert _post(client, path, params, signature=good, **headers).status_code == 204
    assert _post(client, path, params, signature=internal, **headers).status_code == 403


def test_webhooks_reject_get_and_need_no_login(client: Client, db: None) -> None:
    assert client.get(INBOUND).status_code == 405
    assert _post(client, INBOUND, _inbound("hello")).status_code == 200  # anonymous, no CSRF token


def test_signed_request_missing_fields_is_400_not_500(client: Client, db: None) -> None:
    missing_status = (400, b"Missing MessageSid or MessageStatus")
    assert _answer(_post(client, STATUS, {"MessageStatus": "sent"})) == missing_status
    assert _answer(_post(client, STATUS, {"MessageSid": "SMx"})) == missing_status
    missing_inbound = (400, b"Missing MessageSid or From")
    assert _answer(_post(client, INBOUND, {"Body": "STOP"})) == missing_inbound
    assert _answer(_post(client, INBOUND, {"From": MEMBER_NUMBER, "Body": "STOP"})) == missing_inbound
    assert _answer(_post(client, INBOUND, {"MessageSid": "SMx", "Body": "STOP"})) == missing_inbound
    assert not InboundMessage.objects.exists() and not SmsOptOut.objects.exists()
    assert not StatusCallbackReceipt.objects.exists()


def _answer(response: Any) -> tuple[int, bytes]:
    return response.status_code, response.content


def test_twilios_older_sms_parameter_names_are_understood(client: Client, family_member: User) -> None:
    """Twilio still sends (and some accounts' callbacks carry only) the SmsSid / SmsStatus names."""
    give_phone(family_member)
    row = _sent_row(family_member)
    assert _post(client, STATUS, {"SmsSid": "SMabc", "SmsStatus": "delivered"}).status_code == 204
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DELIVERED
    assert StatusCallbackReceipt.objects.filter(message_sid="SMabc", status="delivered").exists()

    response = _post(client, INBOUND, {"SmsSid": "SMin", "From": MEMBER_NUMBER, "Body": "STOP"})
    assert response.status_code == 200
    assert InboundMessage.objects.filter(message_sid="SMin", keyword="stop").exists()
    assert SmsOptOut.objects.get(e164=MEMBER_NUMBER).active


def test_overlong_fields_are_cut_to_their_columns(client: Client, family_member: User) -> None:
    """Twilio's values fit; anything longer is cut to the column, the same way for the receipt and the row it moves
    (PostgreSQL would refuse an overlong value with a 500)."""
    sid = "SM" + "a" * 70
    row = _sent_row(family_member, sid=sid[:64])
    params = {"MessageSid": sid, "MessageStatus": "undelivered-" + "x" * 20, "ErrorCode": "30007" + "9" * 20}
    assert _post(client, STATUS, {**params, "MessageStatus": "delivered"}).status_code == 204
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DELIVERED
    assert _post(client, STATUS, params).status_code == 204
    receipt = StatusCallbackReceipt.objects.get(status__startswith="undelivered")
    assert (receipt.message_sid, receipt.status, receipt.error_code) == (
        sid[:64],
        params["MessageStatus"][:20],
        params["ErrorCode"][:16],
    )

    sender = "+1212555014299999999999"
    assert _post(client, INBOUND, _inbound("hello", sid=sid, sender=sender)).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.message_sid, inbound.from_e164) == (sid[:64], sender[:20])


# --- status callbacks -------------------------------------------------------------------------------------------
def test_replayed_status_callback_records_one_receipt_and_one_change(client: Client, family_member: User) -> None:
    row = _sent_row(family_member)
    params = {"MessageSid": "SMabc", "MessageStatus": "delivered"}
    for _ in range(3):
        assert _post(client, STATUS, params).status_code == 204
    assert StatusCallbackReceipt.objects.filter(message_sid="SMabc").count() == 1
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DELIVERED


def test_late_sent_after_delivered_keeps_delivered(client: Client, family_member: User) -> None:
    row = _sent_row(family_member)
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "delivered"})
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "sent"})
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DELIVERED


def test_undelivered_30006_marks_phone_not_sms_capable_and_flags_row(client: Client, family_member: User) -> None:
    give_phone(family_member)
    row = _sent_row(family_member)
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30006"})
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.UNDELIVERED
    assert row.flagged and row.error_code == "30006"
    assert SmsPhone.objects.get(user=family_member).sms_capable is False


def test_undelivered_30007_is_flagged_and_not_resent(client: Client, family_member: User) -> None:
    row = _sent_row(family_member)
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30007"})
    run_worker()
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.UNDELIVERED and row.flagged and row.attempts == 0


def test_each_status_is_kept_as_a_receipt_and_carrier_errors_are_logged(
    client: Client, family_member: User, caplog: Any
) -> None:
    row = _sent_row(family_member)
    caplog.set_level(logging.INFO, logger="notifications.webhooks")
    caplog.clear()
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "sent"})
    assert _logged(caplog) == []  # no error code: nothing to report, and no error recorded
    row.refresh_from_db()
    assert (row.state, row.error_code, row.last_error, row.flagged) == (OutboxMessage.State.SENT, "", "", False)

    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30007"})
    receipts = StatusCallbackReceipt.objects.order_by("pk").values_list("message_sid", "status", "error_code")
    assert list(receipts) == [("SMabc", "sent", ""), ("SMabc", "undelivered", "30007")]
    assert _logged(caplog) == [("WARNING", "delivery problem reported: status=undelivered code=30007")]


def _logged(caplog: Any) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "notifications.webhooks"]


def test_status_callback_stays_within_three_queries(
    client: Client, family_member: User, django_assert_max_num_queries: Any
) -> None:
    _sent_row(family_member)
    with django_assert_max_num_queries(3):
        _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "delivered"})


def test_status_callback_makes_no_network_call(client: Client, family_member: User, monkeypatch: Any) -> None:
    from notifications import sms

    def forbidden(**kwargs: Any) -> None:
        raise AssertionError("webhooks must not call Twilio")

    monkeypatch.setattr(sms, "send_sms", forbidden)
    monkeypatch.setattr(sms, "find_sent", forbidden)
    _sent_row(family_member)
    assert _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "failed"}).status_code == 204


# --- keywords ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        " stop ",
        "Stop.",
        "REVOKE",
        "opt out",
        "OPT-OUT",
        "optout",
        "UNSUBSCRIBE",
        "STOPALL",
        "cancel",
        "End",
        "quit!",
    ],
)
def test_stop_variants_opt_out_and_suppress_pending(client: Client, family_member: User, body: str) -> None:
    give_phone(family_member)
    pending = enqueue_message(
        recipient=family_member, template_key="new_message", idempotency_key="p", context={"link": "x"}
    )
    response = _post(client, INBOUND, _inbound(body))
    assert response.status_code == 200
    assert SmsOptOut.objects.get(e164=MEMBER_NUMBER).active
    assert pending is not None
    pending.refresh_from_db()
    assert pending.state == OutboxMessage.State.SUPPRESSED
    if normalize_keyword(body) in ("REVOKE", "OPTOUT"):
        assert b"no more texts" in response.content  # Twilio does not answer these itself
    else:
        assert b"<Message>" not in response.content  # Twilio's own opt-out reply goes out


def test_replayed_stop_writes_one_opt_out_and_one_audit_event(client: Client, db: None) -> None:
    for _ in range(2):
        _post(client, INBOUND, _inbound("STOP", sid="SMstop"))
    _post(client, INBOUND, _inbound("STOP", sid="SMstop2"))  # a second STOP text changes nothing either
    assert SmsOptOut.objects.count() == 1
    assert SmsOptOut.objects.get().source == "keyword"
    assert AuditEvent.objects.filter(kind="sms_opted_out").count() == 1
    inbound = InboundMessage.objects.order_by("message_sid").values_list("message_sid", "from_e164", "keyword")
    assert list(inbound) == [("SMstop", MEMBER_NUMBER, "stop"), ("SMstop2", MEMBER_NUMBER, "stop")]
    assert MEMBER_NUMBER not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_start_opts_back_in_but_never_restores_consent(
    client: Client, family_member: User, consent: Consent, patient: User
) -> None:
    give_phone(family_member)
    personas.revoke(consent)
    _post(client, INBOUND, _inbound("STOP", sid="SM1"))
    _post(client, INBOUND, _inbound("start", sid="SM2"))
    assert not SmsOptOut.objects.get(e164=MEMBER_NUMBER).active
    consent.refresh_from_db()
    assert not consent.is_effective(None) if hasattr(consent, "is_effective") else True
    from consent.gate import can_disclose

    assert not can_disclose(family_member, patient, "schedule")


def test_help_replies_with_neutral_text_and_program_phone(client: Client, program: Program) -> None:
    program.help_phone = "(555) 010-2000"
    program.save()
    response = _post(client, INBOUND, _inbound("help"))
    text = response.content.decode()
    assert "(555) 010-2000" in text
    assert program.name not in text
    assert "Reply STOP to opt out" in text


def test_help_without_a_program_replies_without_a_phone(client: Client, db: None) -> None:
    assert not Program.objects.exists()
    text = _post(client, INBOUND, _inbound("INFO")).content.decode()
    assert "Help:" not in text
    assert "Reply STOP to opt out" in text


def test_ordinary_inbound_text_is_not_stored(client: Client, db: None) -> None:
    response = _post(client, INBOUND, _inbound("Is my son OK? He missed group"))
    inbound = InboundMessage.objects.get()
    assert inbound.keyword == ""
    assert not SmsOptOut.objects.exists()
    assert (response.content, response["Content-Type"]) == (EMPTY_TWIML, "text/xml")  # no reply, valid TwiML


def test_an_inbound_text_without_a_body_is_an_ordinary_one(client: Client, db: None) -> None:
    params = _inbound("")
    del params["Body"]  # an MMS with only a picture
    response = _post(client, INBOUND, params)
    assert (response.status_code, response.content) == (200, EMPTY_TWIML)
    assert InboundMessage.objects.get().keyword == ""


@pytest.mark.parametrize("body", ["START", "unstop", "Yes"])
def test_start_words_are_answered_by_twilio_not_by_us(client: Client, db: None, body: str) -> None:
    _post(client, INBOUND, _inbound("STOP", sid="SM1"))
    response = _post(client, INBOUND, _inbound(body, sid="SM2"))
    assert (response.content, response["Content-Type"]) == (EMPTY_TWIML, "text/xml")
    assert not SmsOptOut.objects.get(e164=MEMBER_NUMBER).active


def test_a_replayed_keyword_gets_an_empty_answer(client: Client, db: None) -> None:
    first = _post(client, INBOUND, _inbound("REVOKE", sid="SMrev"))
    assert b"<Message>" in first.content and first["Content-Type"] == "text/xml"
    replay = _post(client, INBOUND, _inbound("REVOKE", sid="SMrev"))
    assert (replay.content, replay["Content-Type"]) == (EMPTY_TWIML, "text/xml")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", "stop"),
        ("s t o p", "stop"),
        ("please stop texting", ""),
        ("YES", "start"),
        ("Info?", "help"),
        ("", ""),
        ("🙂", ""),
        ("STOP 🙂", "stop"),
        ("ＳＴＯＰ", ""),
    ],
)
def test_keyword_classifier(body: str, kind: str) -> None:
    assert classify_keyword(body) == kind


# --- SMS-07: one later retry for an unreachable handset (30003), none for the other carrier errors ----------------
def _retries() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(idempotency_key__endswith=":retry-30003"))


def test_undelivered_30003_queues_one_later_retry(client: Client, family_member: User, settings: Any) -> None:
    give_phone(family_member)
    row = _sent_row(family_member)
    before = timezone.now()
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30003"})  # replay
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.UNDELIVERED and row.flagged
    [retry] = _retries()
    assert (retry.recipient, retry.template_key, retry.context) == (family_member, row.template_key, row.context)
    assert retry.state == OutboxMessage.State.QUEUED and retry.channel == OutboxMessage.Channel.SMS
    assert retry.send_after >= before + timedelta(seconds=settings.PORTAL_SMS_UNREACHABLE_RETRY_S)


def test_a_retry_that_is_unreachable_again_is_not_retried(client: Client, family_member: User) -> None:
    give_phone(family_member)
    _sent_row(family_member)
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    [retry] = _retries()
    OutboxMessage.objects.filter(pk=retry.pk).update(state=OutboxMessage.State.SENT, provider_message_id="SMretry")
    _post(client, STATUS, {"MessageSid": "SMretry", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert len(_retries()) == 1
    assert OutboxMessage.objects.get(pk=retry.pk).state == OutboxMessage.State.UNDELIVERED


@pytest.mark.parametrize("code", ["30004", "30005", "30006", "30007", "30008"])
def test_other_carrier_errors_are_never_resent(client: Client, family_member: User, code: str) -> None:
    give_phone(family_member)
    _sent_row(family_member)
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": code})
    assert _retries() == []


def test_confirmation_codes_and_disabled_policy_are_not_retried(
    client: Client, family_member: User, settings: Any
) -> None:
    give_phone(family_member)
    row = _sent_row(family_member)
    OutboxMessage.objects.filter(pk=row.pk).update(template_key="phone_code")
    _post(client, STATUS, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    settings.PORTAL_SMS_UNREACHABLE_RETRY_S = 0
    _sent_row(family_member, sid="SMdef")
    _post(client, STATUS, {"MessageSid": "SMdef", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert _retries() == []
