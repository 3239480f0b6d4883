"""The cached unread counts (messaging.unread): served without a query while nothing changed, and never stale
after a message, a read, an edit of consent or a consent that ends without any write (expiry)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.models import Consent
from messaging import services, unread
from tests.support import personas


def test_counted_once_then_served_from_the_cache(counselor, family_member, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="Hello")
    assert unread.counts(family_member) == (1, 1)
    with CaptureQueriesContext(connection) as captured:
        assert unread.counts(family_member) == (1, 1)
    assert [q["sql"] for q in captured.captured_queries if "messaging_message" in q["sql"]] == []


def test_a_new_message_and_a_read_change_the_count(counselor, family_member, care_team):
    assert unread.counts(family_member) == (0, 0)
    first = services.send_message(sender=counselor, conversation=care_team, body="One")
    assert unread.counts(family_member) == (1, 1)
    services.send_message(sender=counselor, conversation=care_team, body="Two")
    assert unread.counts(family_member) == (2, 1)
    services.mark_read(user=family_member, conversation=care_team, up_to=first.pk)
    assert unread.counts(family_member) == (1, 1)
    assert unread.counts(counselor) == (0, 0)  # the sender's own messages are not unread


def test_a_deleted_message_is_no_longer_counted(counselor, family_member, care_team):
    message = services.send_message(sender=counselor, conversation=care_team, body="Oops")
    assert unread.counts(family_member) == (1, 1)
    services.delete_message(actor=counselor, message=message)
    assert unread.counts(family_member) == (0, 0)


def test_revoked_and_expired_consents_count_nothing(counselor, family_member, consent, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="Hello")
    assert unread.counts(family_member) == (1, 1)
    personas.revoke(consent)
    assert unread.counts(family_member) == (0, 0)


def test_expiry_without_any_write_counts_nothing(counselor, family_member, consent, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="Hello")
    assert unread.counts(family_member) == (1, 1)
    Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(seconds=1))  # no signal
    assert unread.counts(family_member) == (0, 0)
