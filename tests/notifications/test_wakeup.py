"""R4: an idle worker on PostgreSQL is woken by the commit of a due message (LISTEN/NOTIFY), not by its poll."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from accounts.models import User
from consent.models import Consent
from notifications.worker import Worker
from tests.notifications.conftest import MEMBER_NUMBER
from tests.notifications.test_worker import _reminder
from tests.support.fake_twilio import FakeTwilio

# The flush after these tests drops the consent form version; tests/conftest.py puts it back for the next test.
pytestmark = pytest.mark.django_db(transaction=True)

POLL_S = 120.0  # far beyond every wait below: only a notification can wake the worker in time
WAIT_S = 15.0


@pytest.fixture
def idle_worker(
    postgres_only: None, settings: Any, fake_twilio: FakeTwilio, texting_member: User, consent: Consent
) -> Iterator[Worker]:
    """A worker running its loop in a thread once everything else is set up, listening (nothing is due)."""
    settings.PORTAL_OUTBOX_POLL_S = POLL_S
    worker = Worker(worker_id="listener")

    def loop() -> None:
        try:
            worker.run()
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name="outbox-listener", daemon=True)
    thread.start()
    assert worker.wakeup.listening.wait(WAIT_S)
    yield worker
    worker.request_stop()
    thread.join(WAIT_S)
    assert not thread.is_alive()


def test_due_message_wakes_the_idle_worker_when_its_transaction_commits(
    idle_worker: Worker, fake_twilio: FakeTwilio, texting_member: User, patient: User
) -> None:
    with transaction.atomic():
        _reminder(texting_member, patient, key="wake")
    [post] = fake_twilio.wait_for_posts(1, timeout=WAIT_S)  # the poll alone would take POLL_S
    assert post.get("To") == MEMBER_NUMBER
