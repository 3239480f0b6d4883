"""``manage.py purge_expired``: enforce the retention periods in settings (DATA-07).

Run daily (deploy/systemd/family-portal-purge.timer). What it removes, each older than its setting:

- chat message text (``PORTAL_CHAT_RETENTION_DAYS``): the body is blanked and the message marked deleted, and the
  text of its edit/delete revisions is blanked; the rows stay so conversations, read positions and audit
  references keep their ids;
- outbox message text of finished rows (``PORTAL_OUTBOX_BODY_RETENTION_DAYS``): body, template context and the
  destination address are cleared; state, times, provider id and error codes stay as metadata;
- invitations that expired unaccepted (``PORTAL_INVITATION_RETENTION_DAYS`` after expiry): deleted;
- expired Django sessions (``clearsessions``).

Audit events and the disclosure ledger are never touched: they are kept for ``PORTAL_AUDIT_RETENTION_DAYS``
(6 years) and their disposal is a separate, manual, documented procedure (docs/operations.md). Each purge
that changed rows appends one audit event with counts only. ``--dry-run`` prints the counts and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

DEFAULT_CHAT_RETENTION_DAYS = 730
DEFAULT_OUTBOX_BODY_RETENTION_DAYS = 30
DEFAULT_INVITATION_RETENTION_DAYS = 30


def retention_days(name: str, default: int) -> int:
    value = int(getattr(settings, name, default))
    if value < 1:
        raise ValueError(f"{name} must be at least 1 day.")
    return value


@dataclass
class Purge:
    name: str
    setting: str
    cutoff: datetime
    rows: int = 0


class Command(BaseCommand):
    help = "Blank or delete data past its retention period (chat text, outbox text, invitations, sessions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print what would be purged; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        dry_run = bool(options["dry_run"])
        purges = [
            self._chat(now, dry_run),
            self._outbox(now, dry_run),
            self._invitations(now, dry_run),
            self._sessions(now, dry_run),
        ]
        verb = "would purge" if dry_run else "purged"
        for purge in purges:
            self.stdout.write(
                f"{purge.name}: {verb} {purge.rows} (older than {purge.cutoff:%Y-%m-%d}, {purge.setting})"
            )
        self.stdout.write("audit events and disclosure ledger: kept (PORTAL_AUDIT_RETENTION_DAYS)")
        if not dry_run:
            self._audit([p for p in purges if p.rows])

    # --- each kind of data -----------------------------------------------------------------------------------

    def _chat(self, now: datetime, dry_run: bool) -> Purge:
        from messaging import unread
        from messaging.models import Message, MessageRevision

        days = retention_days("PORTAL_CHAT_RETENTION_DAYS", DEFAULT_CHAT_RETENTION_DAYS)
        purge = Purge("chat messages", "PORTAL_CHAT_RETENTION_DAYS", now - timedelta(days=days))
        old = Message.objects.filter(created_at__lt=purge.cutoff)
        messages: QuerySet[Any] = old.exclude(body="")
        revisions = MessageRevision.objects.filter(message__in=old.values("pk")).exclude(previous_body="")
        purge.rows = messages.count()
        if not dry_run:
            with transaction.atomic():
                revisions.update(previous_body="")
                old.filter(deleted_at__isnull=True).update(deleted_at=now)
                purge.rows = messages.update(body="")
                unread.changed_everywhere()  # messages marked deleted through update(): no signal
        return purge

    def _outbox(self, now: datetime, dry_run: bool) -> Purge:
        from notifications.models import OutboxMessage

        days = retention_days("PORTAL_OUTBOX_BODY_RETENTION_DAYS", DEFAULT_OUTBOX_BODY_RETENTION_DAYS)
        purge = Purge("outbox message text", "PORTAL_OUTBOX_BODY_RETENTION_DAYS", now - timedelta(days=days))
        unfinished = [OutboxMessage.State.QUEUED, OutboxMessage.State.SENDING, OutboxMessage.State.UNKNOWN]
        rows = (
            OutboxMessage.objects.filter(created_at__lt=purge.cutoff)
            .exclude(state__in=unfinished)
            .filter(~Q(body="") | ~Q(context={}) | ~Q(to_address=""))
        )
        purge.rows = rows.count()
        if not dry_run:
            purge.rows = rows.update(body="", context={}, to_address="", updated_at=now)
        return purge

    def _invitations(self, now: datetime, dry_run: bool) -> Purge:
        from consent.models import Invitation

        days = retention_days("PORTAL_INVITATION_RETENTION_DAYS", DEFAULT_INVITATION_RETENTION_DAYS)
        purge = Purge("expired invitations", "PORTAL_INVITATION_RETENTION_DAYS", now - timedelta(days=days))
        rows = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=purge.cutoff)
        purge.rows = rows.count()
        if not dry_run:
            purge.rows, _ = rows.delete()
        return purge

    def _sessions(self, now: datetime, dry_run: bool) -> Purge:
        purge = Purge("expired sessions", "SESSION_COOKIE_AGE", now)
        purge.rows = Session.objects.filter(expire_date__lt=now).count()
        if not dry_run:
            call_command("clearsessions")
        return purge

    def _audit(self, purges: list[Purge]) -> None:
        from consent.audit import record_audit
        from consent.models import AuditEvent

        kind = AuditEvent.Kind.RETENTION_PURGE
        for purge in purges:
            record_audit(
                kind=kind,
                data={
                    "action": "retention_purge",
                    "what": purge.name,
                    "rows": purge.rows,
                    "cutoff": purge.cutoff.date().isoformat(),
                    "setting": purge.setting,
                },
            )
