"""Every message shows its sender's role from the server (AUTH-13): on the page and in socket frames, as text, so a
family member who names themselves after a counselor still reads as "Family"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from accounts.models import User
from messaging import services
from messaging.models import Conversation, Message
from tests.messaging.conftest import communicator_for, session_key_for

FAMILY_BADGE = '<span class="role-badge role-badge-family">Family</span>'
CARE_TEAM_BADGE = '<span class="role-badge role-badge-care_team">Care team</span>'
PATIENT_BADGE = '<span class="role-badge role-badge-patient">Patient</span>'


def thread_html(client: Any, conversation: Conversation) -> str:
    response = client.get(reverse("messaging:conversation", args=[conversation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def message_meta(html: str, message: Message) -> str:
    """The sender line of one message on the page."""
    found = re.search(rf'<li [^>]*id="m{message.pk}".*?<p class="message-meta">(.*?)</p>', html, re.S)
    assert found, f"message {message.pk} is not on the page"
    return found.group(1)


def rename(user: User, name: str) -> None:
    User.objects.filter(pk=user.pk).update(full_name=name, preferred_name="")  # the old data: no name rule applied
    user.refresh_from_db()


@pytest.mark.django_db
def test_a_family_member_named_like_a_counselor_is_shown_as_family(login, counselor, family_member, care_team):
    rename(family_member, counselor.full_name)
    from_family = services.send_message(sender=family_member, conversation=care_team, body="Confirm your birthday")
    from_staff = services.send_message(sender=counselor, conversation=care_team, body="Hello from the team")

    seen_by_counselor = thread_html(login(counselor), care_team)
    meta = message_meta(seen_by_counselor, from_family)
    assert counselor.full_name in meta
    assertInHTML(FAMILY_BADGE, meta)
    assert "role-badge" not in message_meta(seen_by_counselor, from_staff)  # "You": no badge on one's own

    seen_by_family = thread_html(login(family_member), care_team)
    assertInHTML(CARE_TEAM_BADGE, message_meta(seen_by_family, from_staff))
    assert "role-badge" not in message_meta(seen_by_family, from_family)


@pytest.mark.django_db
def test_a_patient_in_the_care_team_thread_is_shown_as_patient(login, program, patient, counselor, care_team):
    program.patients_join_care_team = True
    program.save()
    message = services.send_message(sender=patient, conversation=care_team, body="Hi all")
    assertInHTML(PATIENT_BADGE, message_meta(thread_html(login(counselor), care_team), message))


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_socket_frames_carry_the_senders_role(counselor, family_member, care_team):
    await database_sync_to_async(rename)(family_member, counselor.full_name)
    earlier = await database_sync_to_async(services.send_message)(
        sender=counselor, conversation=care_team, body="Earlier"
    )
    family = communicator_for(care_team, await database_sync_to_async(session_key_for)(family_member))
    staff = communicator_for(care_team, await database_sync_to_async(session_key_for)(counselor))
    assert (await family.connect(timeout=3))[0] and (await staff.connect(timeout=3))[0]

    await family.send_json_to({"type": "resume", "after": 0})
    replayed = await family.receive_json_from(timeout=1)
    assert (replayed["message"]["id"], replayed["message"]["sender"]["role"]) == (earlier.pk, "care_team")

    await family.send_json_to({"type": "message", "body": "This is your counselor", "client_id": "c1"})
    frames = [await family.receive_json_from(timeout=1) for _ in range(2)]  # the ack and the broadcast copy
    assert {frame["message"]["sender"]["role"] for frame in frames} == {"family"}
    delivered = await staff.receive_json_from(timeout=1)
    assert delivered["message"]["sender"] == {"id": family_member.pk, "name": counselor.full_name, "role": "family"}
    for communicator in (family, staff):
        await communicator.disconnect()
