"""What an open conversation socket keeps between frames (issue #17, W5: memory per connection)."""

from __future__ import annotations

import asyncio

import pytest

from tests.messaging.test_consumers import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _consumer_tasks() -> set[str]:
    names = set()
    for task in asyncio.all_tasks():
        name = getattr(task.get_coro(), "__qualname__", "")
        if name.startswith("ConversationConsumer."):
            names.add(name)
    return names


async def test_an_idle_socket_keeps_no_lifetime_task(family_member, care_team):
    """Between lifetime checks only a loop timer waits (a sleeping task per socket held its frame for the socket's
    whole life); the only task of the consumer's own is the one reading the channel layer."""
    communicator = await open_socket(family_member, care_team)
    try:
        assert _consumer_tasks() == {"ConversationConsumer._receive_from_layer"}
    finally:
        await communicator.disconnect()
