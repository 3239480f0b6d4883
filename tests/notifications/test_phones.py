"""Phone numbers, confirmation codes and consent to texting (services and the settings page)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from consent.models import AuditEvent
from notifications import phones
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone
from tests.notifications.conftest import MEMBER_NUMBER, give_phone, run_worker
from tests.support import personas

pytestmark = pytest.mark.django_db

PAGE = "/notifications/phone/"


def _code_for(user: User) -> str:
    return OutboxMessage.objects.filter(recipient=user, template_key="phone_code").latest("created_at").context["code"]


def _reauthenticate(client: Client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": personas.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("raw", ["(212) 555-0142", "212-555-0142", "+1 212 555 0142", "2125550142"])
def test_numbers_are_stored_in_e164(raw: str) -> None:
    assert phones.normalize_phone(raw) == MEMBER_NUMBER


@pytest.mark.parametrize("raw", ["", "12", "hello", "+1 212 555", "+44 20 7946 0958"])
def test_bad_or_landline_numbers_are_refused_with_plain_words(raw: str) -> None:
    with pytest.raises(ValidationError):
        phones.normalize_phone(raw)


def test_code_is_texted_through_outbox_and_stored_hashed(family_member: User, daytime: Any) -> None:
    phone = phones.set_phone(user=family_member, raw_number="(212) 555-0142")
    row = OutboxMessage.objects.get(template_key="phone_code")
    assert row.channel == "sms" and row.to_address == MEMBER_NUMBER
    code = row.context["code"]
    assert len(code) == 6 and code.isdigit()
    assert code not in phone.code_hash
    run_worker()
    row.refresh_from_db()
    assert row.state == "sent" and row.context == {}
    phones.confirm_phone(user=family_member, code=code)
    phone.refresh_from_db()
    assert phone.is_verified and phone.code_hash == ""


def test_wrong_codes_lock_after_five_tries(family_member: User, daytime: Any) -> None:
    phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    code = _code_for(family_member)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationError):
            phones.confirm_phone(user=family_member, code=wrong)
    with pytest.raises(ValidationError, match="Too many tries"):
        phones.confirm_phone(user=family_member, code=code)
    assert not SmsPhone.objects.get(user=family_member).is_verified


def test_code_expires_after_ten_minutes(family_member: User, daytime: Any) -> None:
    phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    code = _code_for(family_member)
    daytime.shift(timedelta(minutes=11))
    with pytest.raises(ValidationError, match="expired"):
        phones.confirm_phone(user=family_member, code=code)


def test_codes_are_rate_limited(family_member: User, daytime: Any) -> None:
    phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    with pytest.raises(ValidationError, match="wait a minute"):
        phones.send_confirmation_code(user=family_member)
    for _ in range(2):
        daytime.shift(timedelta(seconds=61))
        phones.send_confirmation_code(user=family_member)
    daytime.shift(timedelta(seconds=61))
    with pytest.raises(ValidationError, match="Too many codes"):
        phones.send_confirmation_code(user=family_member)
    daytime.shift(timedelta(minutes=15))
    phones.send_confirmation_code(user=family_member)


def test_a_refused_code_uses_none_of_the_allowance(family_member: User, daytime: Any) -> None:
    phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    SmsOptOut.objects.create(e164=MEMBER_NUMBER)
    for _ in range(3):
        daytime.shift(timedelta(seconds=61))
        with pytest.raises(ValidationError, match="asked us to stop"):
            phones.send_confirmation_code(user=family_member)
    assert phones.record_keyword_opt_in(e164=MEMBER_NUMBER)
    for _ in range(2):
        daytime.shift(timedelta(seconds=61))
        phones.send_confirmation_code(user=family_member)
    daytime.shift(timedelta(seconds=61))
    with pytest.raises(ValidationError, match="Too many codes"):
        phones.send_confirmation_code(user=family_member)


def test_old_code_stops_working_after_a_new_one(family_member: User, daytime: Any) -> None:
    phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    old = _code_for(family_member)
    daytime.shift(timedelta(seconds=61))
    phones.send_confirmation_code(user=family_member)
    new = _code_for(family_member)
    if old != new:
        with pytest.raises(ValidationError):
            phones.confirm_phone(user=family_member, code=old)
    phones.confirm_phone(user=family_member, code=new)


def test_opt_in_records_exact_wording_and_time(family_member: User, daytime: Any) -> None:
    give_phone(family_member, opt_in=False)
    with pytest.raises(ValidationError):
        phones.opt_in_to_texts(user=family_member, wording="Yes")
    phone = phones.opt_in_to_texts(user=family_member, wording=phones.OPT_IN_TEXT)
    assert phone.opt_in_text == phones.OPT_IN_TEXT and phone.opted_in_at is not None
    event = AuditEvent.objects.filter(kind="sms_opted_in").latest("seq")
    assert MEMBER_NUMBER not in str(event.data)


def test_opt_in_needs_confirmed_number(family_member: User, daytime: Any) -> None:
    phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    with pytest.raises(ValidationError):
        phones.opt_in_to_texts(user=family_member, wording=phones.OPT_IN_TEXT)


def test_changing_number_resets_confirmation_and_opt_in(texting_member: User, daytime: Any) -> None:
    daytime.shift(timedelta(minutes=2))
    phone = phones.set_phone(user=texting_member, raw_number="+14155550100")
    assert phone.e164 == "+14155550100" and phone.verified_at is None and phone.opted_in_at is None


def test_stopped_number_cannot_get_a_code(family_member: User, daytime: Any) -> None:
    SmsOptOut.objects.create(e164=MEMBER_NUMBER)
    with pytest.raises(ValidationError, match="START"):
        phones.set_phone(user=family_member, raw_number=MEMBER_NUMBER)
    assert not OutboxMessage.objects.exists()


# --- the page ---------------------------------------------------------------------------------------------------
def test_page_walks_a_family_member_through_adding_confirming_and_opting_in(
    client: Client, family_member: User, daytime: Any
) -> None:
    client.force_login(family_member)
    page = client.get(PAGE)
    assert page.status_code == 200 and b"No mobile number" in page.content
    response = client.post(reverse("notifications:phone_number"), {"number": "(212) 555-0142"})
    assert response.status_code == 302
    assert b"Waiting for your code" in client.get(PAGE).content
    bad = client.post(reverse("notifications:phone_confirm"), {"code": "12345x"})
    assert bad.status_code == 400
    response = client.post(reverse("notifications:phone_confirm"), {"code": _code_for(family_member)})
    assert response.status_code == 302
    assert b"Turn on texts" in client.get(PAGE).content
    response = client.post(reverse("notifications:phone_opt_in"), {"agree": "on", "wording": phones.OPT_IN_TEXT})
    assert response.status_code == 302
    assert b"Texts are on" in client.get(PAGE).content
    client.post(reverse("notifications:phone_opt_out"))
    assert b"Texts are off" in client.get(PAGE).content


def test_bad_number_shows_form_error_not_500(client: Client, family_member: User) -> None:
    client.force_login(family_member)
    response = client.post(reverse("notifications:phone_number"), {"number": "not a number"})
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not SmsPhone.objects.exists()


def test_changing_number_requires_reauthentication(client: Client, texting_member: User, daytime: Any) -> None:
    client.force_login(texting_member)
    client.get(PAGE)  # stamps the sign-in time; a sign-in within the re-authentication timeout counts as one
    daytime.shift(timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60))
    response = client.post(reverse("notifications:phone_number"), {"number": "+14155550100"})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert SmsPhone.objects.get(user=texting_member).e164 == MEMBER_NUMBER
    _reauthenticate(client)
    daytime.shift(timedelta(minutes=2))
    response = client.post(reverse("notifications:phone_number"), {"number": "+14155550100"})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert SmsPhone.objects.get(user=texting_member).e164 == "+14155550100"


def test_page_shows_stop_state(client: Client, texting_member: User) -> None:
    SmsOptOut.objects.create(e164=MEMBER_NUMBER)
    client.force_login(texting_member)
    assert b"You replied STOP" in client.get(PAGE).content


def test_page_requires_login(client: Client, db: None) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_remove_number_switches_pending_texts_to_email(client: Client, texting_member: User) -> None:
    from notifications.services import enqueue_message

    row = enqueue_message(
        recipient=texting_member, template_key="new_message", idempotency_key="k", context={"link": "x"}
    )
    client.force_login(texting_member)
    client.post(reverse("notifications:phone_remove"))
    assert not SmsPhone.objects.exists()
    assert row is not None
    row.refresh_from_db()
    assert row.channel == "email"


# --- the example the page shows -----------------------------------------------------------------------------------
EXAMPLE_IN_TEXT = re.compile(r"for example (\([0-9]{3}\) [0-9]{3}-[0-9]{4})")


def test_the_example_in_the_help_text_is_accepted(client: Client, family_member: User, daytime: Any) -> None:
    client.force_login(family_member)
    shown = EXAMPLE_IN_TEXT.search(client.get(PAGE).content.decode())
    assert shown, "the page shows no example number"
    response = client.post(reverse("notifications:phone_number"), {"number": shown.group(1)})
    assert response.status_code == 302
    assert SmsPhone.objects.get(user=family_member).e164 == phones.normalize_phone(shown.group(1))


@pytest.mark.parametrize("typed", ["(201) 555-0123", "201-555-0123", "201.555.0123", "2015550123", "+1 201 555 0123"])
def test_national_and_international_forms_of_the_example_are_one_number(typed: str) -> None:
    assert phones.normalize_phone(typed) == "+12015550123"


def test_the_example_in_the_error_message_is_accepted() -> None:
    with pytest.raises(ValidationError) as refused:
        phones.normalize_phone("hello")
    example = re.search(r"such as (.+)\.$", refused.value.messages[0])
    assert example and phones.normalize_phone(example.group(1)).startswith("+1")
