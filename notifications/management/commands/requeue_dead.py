"""``manage.py requeue_dead [--id UUID ...] [--all]``: give dead outbox rows another set of attempts (JOB-07)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from notifications.models import OutboxMessage
from notifications.services import requeue_dead


class Command(BaseCommand):
    help = "Requeue outbox rows that gave up (state dead)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--id", action="append", default=[], dest="ids", help="Outbox row id (repeatable).")
        parser.add_argument("--all", action="store_true", help="Every dead row.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["ids"] and not options["all"]:
            raise CommandError("Name rows with --id, or pass --all.")
        rows = OutboxMessage.objects.filter(state=OutboxMessage.State.DEAD)
        if options["ids"]:
            rows = rows.filter(pk__in=options["ids"])
        count = requeue_dead(rows=list(rows.select_related("patient")))
        self.stdout.write(f"Requeued {count} message(s).")
