"""Messaging in Spanish (issue 18): the conversation pages, and the socket's error frames in the socket user's own
language (no middleware activates one for a socket: the consumer uses ``User.preferred_language``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from messaging.models import Message
from tests.messaging.conftest import communicator_for, session_key_for

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """A request activates its language for the rest of the thread: leave the next test in the default."""
    yield
    translation.deactivate()


async def _open_socket(user: User, conversation) -> Any:
    communicator = communicator_for(conversation, await database_sync_to_async(session_key_for)(user))
    connected, _code = await communicator.connect(timeout=3)
    assert connected
    return communicator


async def _next_frame(communicator: Any) -> dict[str, Any]:
    return json.loads((await communicator.receive_output(1.0))["text"])


def _prefer_spanish(user: User) -> User:
    user.preferred_language = "es"
    user.save(update_fields=["preferred_language"])
    return user


@pytest.mark.django_db
def test_the_conversation_list_and_thread_speak_spanish(client, login, family_member, care_team):
    login(_prefer_spanish(family_member))
    listing = client.get(reverse("messaging:conversation_list"), **SPANISH).content.decode()
    for spanish in (
        "Mensajes",
        "Los mensajes no se leen a toda hora.",
        "Conversaciones familiares compartidas",
        "Iniciar una conversación individual",
        "Abrir la conversación",
    ):
        assert spanish in listing
    assert "Open conversation" not in listing and "Shared family threads" not in listing
    thread = client.get(care_team.get_absolute_url(), **SPANISH).content.decode()
    for spanish in (
        "Todas las conversaciones",
        "Esta es la conversación familiar compartida.",
        "La leen:",
        "Enviar a la conversación familiar compartida",
        "Hasta 4000 caracteres.",
    ):
        assert spanish in thread
    assert "All conversations" not in thread and "Send to the shared family thread" not in thread


@pytest.mark.django_db
def test_a_refused_message_is_explained_in_spanish(client, login, family_member, care_team):
    login(_prefer_spanish(family_member))
    response = client.post(care_team.get_absolute_url(), {"body": "   "}, **SPANISH)
    assert "Escriba un mensaje antes de enviarlo." in response.content.decode()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_socket_errors_come_in_the_socket_users_language(family_member, care_team):
    await database_sync_to_async(_prefer_spanish)(family_member)
    family = await _open_socket(family_member, care_team)
    await family.send_to(bytes_data=b'{"type": "message", "body": "Hola"}')
    assert await _next_frame(family) == {
        "type": "error",
        "error": "unsupported",
        "detail": "Solo se aceptan mensajes de texto.",
    }
    await family.send_to(text_data="not json")
    assert (await _next_frame(family))["detail"] == "No se entendió esa solicitud."
    await family.send_to(text_data=json.dumps({"type": "message", "body": "a" * 4001, "client_id": "c1"}))
    refused = await _next_frame(family)
    assert (refused["error"], refused["client_id"]) == ("invalid", "c1")
    assert refused["detail"].startswith("Los mensajes pueden tener hasta 4\xa0000 caracteres; este tiene 4\xa0001.")
    assert await database_sync_to_async(Message.objects.count)() == 0
    await family.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_after_hours_notice_on_the_socket_is_in_the_senders_language(family_member, care_team):
    await database_sync_to_async(_prefer_spanish)(family_member)
    new_york = ZoneInfo("America/New_York")
    today = timezone.localdate(timezone=new_york)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    with time_machine.travel(datetime.combine(saturday, time(12, 0), tzinfo=new_york), tick=True):
        family = await _open_socket(family_member, care_team)
        await family.send_to(text_data=json.dumps({"type": "message", "body": "Una pregunta"}))
        frame = await _next_frame(family)
        while frame["type"] != "ack":
            frame = await _next_frame(family)
    text = frame["notice"]["text"]
    assert text.startswith("Su mensaje se guardó y se entregó. El equipo de atención no está disponible")
    assert "llame al 911" in text
    await family.disconnect()
