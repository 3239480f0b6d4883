"""MSG-01 on the socket: a family member given messaging later resumes and receives a shared thread only from the
start of their own consent (an edit of an older message never reaches them); staff and earlier members do."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from messaging import services
from tests.messaging.test_consumers import frame_of, open_socket
from tests.support import personas

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _partner_given_messaging(patient: User) -> User:
    partner = personas.make_user("max@example.org", User.Role.FAMILY, None, full_name="Max Okafor")
    personas.consent_for(patient, partner, scopes=["education", "messaging"])
    return partner


async def test_resume_and_deliveries_start_at_the_members_own_sharing(counselor, family_member, patient, care_team):
    send = database_sync_to_async(services.send_message)
    older = await send(sender=family_member, conversation=care_team, body="Dinner went well on Sunday.")
    partner = await database_sync_to_async(_partner_given_messaging)(patient)

    late = await open_socket(partner, care_team)
    await late.send_json_to({"type": "resume", "after": 0})
    assert await late.receive_nothing(timeout=0.3)  # nothing from before the partner's consent

    early = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    await database_sync_to_async(services.edit_message)(
        editor=family_member, message=older, body="Dinner went well on Sunday, mostly."
    )
    assert (await frame_of(staff, "message"))["message"]["id"] == older.pk
    assert (await frame_of(early, "message"))["message"]["id"] == older.pk
    assert await late.receive_nothing(timeout=0.3)  # the edit of an older message is not theirs (socket stays open)

    newer = await send(sender=counselor, conversation=care_team, body="Welcome, Max.")
    assert (await frame_of(late, "message"))["message"]["id"] == newer.pk
    await late.send_json_to({"type": "resume", "after": 0})
    assert (await frame_of(late, "message"))["message"]["id"] == newer.pk
    assert await late.receive_nothing(timeout=0.3)

    assert (await frame_of(early, "message"))["message"]["id"] == newer.pk  # live
    await early.send_json_to({"type": "resume", "after": 0})
    assert [(await frame_of(early, "message"))["message"]["id"] for _ in range(2)] == [older.pk, newer.pk]
    for communicator in (late, early, staff):
        await communicator.disconnect()
