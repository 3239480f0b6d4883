"""DATA-07: ``purge_expired`` enforces retention periods and never touches the audit log or disclosure ledger."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from consent.audit import verify_chain
from consent.models import AuditEvent, Disclosure, Invitation
from messaging.models import Conversation, Message, MessageRevision
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def retention(settings):
    settings.PORTAL_CHAT_RETENTION_DAYS = 365
    settings.PORTAL_OUTBOX_BODY_RETENTION_DAYS = 30
    settings.PORTAL_INVITATION_RETENTION_DAYS = 30
    return settings


def _message(conversation, sender, body, days_old):
    message = Message.objects.create(conversation=conversation, sender=sender, body=body)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    return message


def _outbox(recipient, key, state, days_old):
    row = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.SMS,
        recipient=recipient,
        template_key="session_reminder",
        idempotency_key=key,
        context={"when": "today at 6:00 PM"},
        body="Reminder: family session today at 6:00 PM.",
        to_address="+15550001234",
        state=state,
    )
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    return row


def _invitation(consent, creator, days_expired, accepted=False):
    now = timezone.now()
    return Invitation.objects.create(
        consent=consent,
        email="invitee@example.org",
        token_hash=f"{days_expired:064d}"[-64:] if not accepted else "a" * 64,
        created_by=creator,
        expires_at=now - timedelta(days=days_expired),
        accepted_at=now - timedelta(days=days_expired + 1) if accepted else None,
    )


def _purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def test_old_chat_text_is_blanked_and_recent_text_kept(retention, patient, family_member, counselor):
    conversation = Conversation.objects.create(kind=Conversation.Kind.CARE_TEAM, patient=patient)
    old = _message(conversation, family_member, "An old worry about the weekend", days_old=400)
    MessageRevision.objects.create(
        message=old, kind=MessageRevision.Kind.EDITED, previous_body="An older draft", changed_by=family_member
    )
    recent = _message(conversation, counselor, "See you on Tuesday", days_old=10)

    _purge()

    old.refresh_from_db()
    assert old.body == "" and old.deleted_at is not None
    assert MessageRevision.objects.get(message=old).previous_body == ""
    recent.refresh_from_db()
    assert recent.body == "See you on Tuesday" and recent.deleted_at is None


def test_finished_outbox_rows_keep_only_metadata(retention, family_member):
    sent = _outbox(family_member, "old-sent", OutboxMessage.State.DELIVERED, days_old=45)
    queued = _outbox(family_member, "old-queued", OutboxMessage.State.QUEUED, days_old=45)
    fresh = _outbox(family_member, "new-sent", OutboxMessage.State.SENT, days_old=2)

    _purge()

    sent.refresh_from_db()
    assert (sent.body, sent.context, sent.to_address) == ("", {}, "")
    assert sent.state == OutboxMessage.State.DELIVERED and sent.template_key == "session_reminder"
    for row in (queued, fresh):
        row.refresh_from_db()
        assert row.body and row.context and row.to_address


def test_expired_unaccepted_invitations_are_deleted(retention, consent, counselor):
    stale = _invitation(consent, counselor, days_expired=40)
    recent = _invitation(consent, counselor, days_expired=5)
    accepted = _invitation(consent, counselor, days_expired=40, accepted=True)

    _purge()

    remaining = set(Invitation.objects.values_list("pk", flat=True))
    assert stale.pk not in remaining
    assert {recent.pk, accepted.pk} <= remaining


def test_audit_log_and_disclosure_ledger_are_never_purged(retention, patient, family_member, consent):
    Disclosure.objects.create(
        recipient=family_member,
        recipient_name=family_member.full_name,
        patient=patient,
        consent=consent,
        form_version="v1",
        scope="schedule",
        channel=Disclosure.Channel.WEB,
        what="family session times",
        at=timezone.now() - timedelta(days=3000),
    )
    audit_before = list(AuditEvent.objects.values_list("seq", "hash"))
    disclosures_before = Disclosure.objects.count()
    _outbox(family_member, "old-sent", OutboxMessage.State.SENT, days_old=400)

    _purge()

    assert list(AuditEvent.objects.values_list("seq", "hash"))[: len(audit_before)] == audit_before
    assert Disclosure.objects.count() == disclosures_before
    assert verify_chain() is None


def test_each_purge_appends_one_audit_event_with_counts_only(retention, family_member):
    _outbox(family_member, "old-1", OutboxMessage.State.SENT, days_old=60)
    _outbox(family_member, "old-2", OutboxMessage.State.FAILED, days_old=60)
    before = AuditEvent.objects.count()

    _purge()

    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [e.data["what"] for e in events] == ["outbox message text"]
    assert events[0].data["rows"] == 2
    assert events[0].patient_id is None and "Reminder" not in str(events[0].data)


def test_dry_run_counts_and_changes_nothing(retention, family_member):
    row = _outbox(family_member, "old-sent", OutboxMessage.State.SENT, days_old=60)
    before = AuditEvent.objects.count()

    output = _purge("--dry-run")

    assert "outbox message text: would purge 1" in output
    row.refresh_from_db()
    assert row.body
    assert AuditEvent.objects.count() == before
