"""Offline notices: one neutral outbox row per burst for people with old unread messages and no open socket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import Consent
from messaging import services
from messaging.models import SocketConnection
from messaging.offline import scan_offline_notices
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    """An hour after the fixtures' consents were signed: a family member reads the shared thread only from the
    start of their own sharing (MSG-01), so the messages these tests backdate come after it."""
    return timezone.now() + timedelta(hours=1)


def _send(sender, conversation, body: str, at):
    return services.send_message(sender=sender, conversation=conversation, body=body, at=at)


def _notices(user=None):
    rows = OutboxMessage.objects.filter(template_key="new_message")
    return list(rows.filter(recipient=user) if user else rows)


def test_unread_for_fifteen_minutes_queues_one_neutral_notice(now, counselor, family_member, care_team):
    message = _send(counselor, care_team, "Your session moved to Thursday", now - timedelta(minutes=16))
    assert scan_offline_notices(now) == 1
    [row] = _notices(family_member)
    assert row.patient_id == care_team.patient_id
    assert row.scope == "messaging"
    assert row.idempotency_key == f"message-notice:{care_team.pk}:{family_member.pk}:{message.pk}"
    assert "Thursday" not in str(row.context) and "Pat" not in str(row.context)
    assert _notices(counselor) == []  # the sender has read their own message


def test_repeated_scans_and_later_messages_in_the_burst_add_nothing(now, counselor, family_member, care_team):
    _send(counselor, care_team, "one", now - timedelta(minutes=30))
    scan_offline_notices(now)
    _send(counselor, care_team, "two", now - timedelta(minutes=20))
    assert scan_offline_notices(now) == 0
    assert scan_offline_notices(now + timedelta(hours=1)) == 0
    assert len(_notices(family_member)) == 1


def test_reading_then_a_new_burst_gives_a_new_notice(now, counselor, family_member, care_team):
    first = _send(counselor, care_team, "one", now - timedelta(minutes=40))
    scan_offline_notices(now - timedelta(minutes=20))
    services.mark_read(user=family_member, conversation=care_team, up_to=first.pk)
    _send(counselor, care_team, "two", now - timedelta(minutes=16))
    assert scan_offline_notices(now) == 1
    assert len(_notices(family_member)) == 2


def test_recent_messages_wait_for_the_program_delay(now, program, counselor, family_member, care_team):
    _send(counselor, care_team, "one", now - timedelta(minutes=10))
    assert scan_offline_notices(now) == 0
    program.offline_notice_minutes = 5
    program.save()
    assert scan_offline_notices(now) == 1


def test_open_socket_means_no_notice_but_a_stale_one_does_not_count(now, counselor, family_member, care_team):
    _send(counselor, care_team, "one", now - timedelta(minutes=30))
    connection = SocketConnection.objects.create(
        channel_name="specific.test!1", user=family_member, conversation=care_team, last_seen_at=now
    )
    assert scan_offline_notices(now) == 0
    SocketConnection.objects.filter(pk=connection.pk).update(last_seen_at=now - timedelta(minutes=10))
    assert scan_offline_notices(now) == 1
    assert not SocketConnection.objects.exists()  # stale rows are purged


def test_revoked_member_gets_no_notice(now, counselor, family_member, consent, care_team):
    _send(counselor, care_team, "one", now - timedelta(minutes=30))
    Consent.objects.filter(pk=consent.pk).update(revoked_at=now - timedelta(minutes=1))
    assert scan_offline_notices(now) == 0
    assert _notices() == []


def test_counselor_is_told_about_family_messages(now, counselor, family_member, care_team):
    _send(family_member, care_team, "A question", now - timedelta(minutes=20))
    scan_offline_notices(now)
    assert len(_notices(counselor)) == 1


def test_deleted_messages_do_not_count(now, counselor, family_member, care_team):
    message = _send(counselor, care_team, "oops", now - timedelta(minutes=30))
    services.delete_message(actor=counselor, message=message)
    assert scan_offline_notices(now) == 0


def test_scan_is_registered_with_the_worker():
    from messaging.offline import run_offline_scan
    from notifications.periodic import _periodic

    assert run_offline_scan in _periodic
