"""Spanish SMS keywords work exactly like STOP/START/HELP, are mirrored in the app, and the reply comes back in the
texter's language (issue #18, consent-and-privacy §12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from accounts.models import Program, User
from consent.models import Consent
from notifications.forms import OptInForm
from notifications.models import InboundMessage, OutboxMessage, SmsOptOut
from notifications.phones import opt_in_to_texts
from notifications.rendering import is_single_gsm7_segment
from notifications.services import enqueue_message
from notifications.views import phone_status
from notifications.webhooks import classify_keyword, keyword_language
from tests.notifications.conftest import MEMBER_NUMBER, give_phone, run_worker
from tests.notifications.test_webhooks import INBOUND, _inbound, _post
from tests.notifications.test_worker import _reminder
from tests.support import personas
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db

UNKNOWN_NUMBER = "+12125550199"
ENGLISH_NUMBER = "+12125550143"


def _reply(response: Any) -> str:
    text = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    return text.split("<Message>")[1].split("</Message>")[0] if "<Message>" in text else ""


@pytest.fixture
def english_member(program: Program, patient: User) -> User:
    member = personas.make_user("eden@example.org", User.Role.FAMILY, None, full_name="Eden Rivera")
    give_phone(member, ENGLISH_NUMBER)
    return member


@pytest.fixture
def spanish_member(daytime: Any, family_member: User) -> User:
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    give_phone(family_member)
    return family_member


def test_parar_from_a_spanish_speakers_number_opts_out_is_mirrored_and_answered_in_spanish(
    client: Client, fake_twilio: FakeTwilio, spanish_member: User, patient: User, consent: Consent
) -> None:
    pending = _reminder(spanish_member, patient)
    response = _post(client, INBOUND, _inbound("Parar"))
    reply = _reply(response)
    assert reply == "Ya no recibira textos de Family Portal. Responda COMENZAR para recibirlos de nuevo."
    assert is_single_gsm7_segment(reply)
    assert SmsOptOut.objects.get(e164=MEMBER_NUMBER).active
    assert InboundMessage.objects.get().keyword == "stop"
    assert phone_status(spanish_member, fresh=True)["state"] == "stopped"  # the settings page and dashboard say so
    pending.refresh_from_db()
    assert pending.state == OutboxMessage.State.SUPPRESSED
    later = _reminder(spanish_member, patient, key="after-parar")
    assert later.channel == OutboxMessage.Channel.EMAIL  # an opted-out number gets no new texts: email instead
    run_worker()
    assert fake_twilio.requests == []


@pytest.mark.parametrize("body", ["PARAR", "alto", "Detener", "CANCELAR", "baja", "Fin.", " parar "])
def test_spanish_stop_words_opt_out_like_stop(client: Client, spanish_member: User, body: str) -> None:
    pending = enqueue_message(recipient=spanish_member, template_key="new_message", idempotency_key="p", context={})
    response = _post(client, INBOUND, _inbound(body))
    assert SmsOptOut.objects.get(e164=MEMBER_NUMBER).active
    assert pending is not None
    pending.refresh_from_db()
    assert pending.state == OutboxMessage.State.SUPPRESSED
    assert "COMENZAR" in _reply(response)  # Twilio does not answer Spanish words by default: we do


@pytest.mark.parametrize("body", ["COMENZAR", "iniciar", "Alta", "Sí", "si"])
def test_spanish_start_words_opt_back_in_with_a_spanish_reply(client: Client, spanish_member: User, body: str) -> None:
    _post(client, INBOUND, _inbound("PARAR", sid="SM1"))
    response = _post(client, INBOUND, _inbound(body, sid="SM2"))
    assert not SmsOptOut.objects.get(e164=MEMBER_NUMBER).active
    assert phone_status(spanish_member, fresh=True)["state"] == "on"
    assert _reply(response).startswith("Volvera a recibir textos de Family Portal.")


def test_ayuda_from_an_unknown_number_is_answered_in_spanish(client: Client, program: Program) -> None:
    program.help_phone = "(555) 010-2000"
    program.save()
    reply = _reply(_post(client, INBOUND, _inbound("AYUDA", sender=UNKNOWN_NUMBER)))
    assert reply.startswith("Family Portal: avisos de citas y mensajes. Ayuda: (555) 010-2000.")
    assert "PARAR" in reply and program.name not in reply and is_single_gsm7_segment(reply)
    assert not SmsOptOut.objects.exists()


def test_the_reply_follows_the_number_owners_language_over_the_keywords(
    client: Client, spanish_member: User, english_member: User
) -> None:
    assert "Responda PARAR" in _reply(_post(client, INBOUND, _inbound("HELP", sid="SM1")))
    english_reply = _reply(_post(client, INBOUND, _inbound("AYUDA", sid="SM2", sender=ENGLISH_NUMBER)))
    assert "Reply STOP to opt out" in english_reply


def test_a_keyword_twilio_already_answered_gets_no_second_reply(client: Client, spanish_member: User) -> None:
    params = {**_inbound("PARAR"), "OptOutType": "STOP"}  # Advanced Opt-Out answered it for the Messaging Service
    assert _reply(_post(client, INBOUND, params)) == ""
    assert SmsOptOut.objects.get(e164=MEMBER_NUMBER).active  # still mirrored in the app


def test_keyword_table() -> None:
    assert [classify_keyword(w) for w in ("PARAR", "AYUDA", "COMENZAR", "parar por favor")] == [
        "stop",
        "help",
        "start",
        "",
    ]
    assert [keyword_language(w) for w in ("ALTO", "stop", "Sí", "hola")] == ["es", "en", "es", ""]


def test_the_spanish_opt_in_wording_is_shown_and_recorded_as_shown(daytime: Any, family_member: User) -> None:
    give_phone(family_member, opt_in=False)
    with translation.override("es"):
        shown = str(OptInForm().fields["wording"].initial)
    assert "Responda PARAR" in shown and "AYUDA" in shown
    phone = opt_in_to_texts(user=family_member, wording=shown)
    assert phone.opt_in_text == shown
    with pytest.raises(ValidationError):
        opt_in_to_texts(user=family_member, wording=shown.replace("PARAR", "STOP"))
