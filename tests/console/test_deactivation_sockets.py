"""Deactivating a staff member in the console closes their open sockets at once (WS-04, WS-11): the receivers for
a deactivated user and for ended sessions fire on the console's path, not only on the admin's."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from messaging import services
from tests.messaging.conftest import communicator_for
from tests.support import personas

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_deactivating_a_counselor_closes_their_socket(program_admin, counselor, patient, family_member):
    conversation = await sync_to_async(services.care_team_conversation)(patient)
    counselor_client = await sync_to_async(personas.login)(Client(), counselor, signed_in_ago=0)
    socket = communicator_for(conversation, counselor_client.cookies[settings.SESSION_COOKIE_NAME].value)
    connected, _ = await socket.connect(timeout=3)
    assert connected
    admin_client = await sync_to_async(personas.login)(Client(), program_admin, signed_in_ago=0)

    response = await sync_to_async(admin_client.post)(reverse("console:staff_deactivate", args=[counselor.pk]))

    assert response.status_code == 302
    closed = await socket.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4403}  # access ended: the account is deactivated
    assert not (await sync_to_async(User.objects.get)(pk=counselor.pk)).is_active
    await socket.disconnect()
