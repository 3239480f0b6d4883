"""``manage.py verify_audit``: walk the hash-chained audit log and name the first broken link (DATA-02)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consent.audit import chain_head, verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain. Exits 0 when intact; otherwise names the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="A head recorded earlier outside the database; fails if that row is gone or changed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            raise CommandError(f"Audit chain broken at seq {broken.seq}: {broken.reason}.")
        head = chain_head()
        if options["expect_head"]:
            self._check_anchor(options["expect_head"], head.seq)
        self.stdout.write(f"Audit chain intact: {head.rows} rows")
        self.stdout.write(f"Head: seq {head.seq} hash {head.hash}")

    def _check_anchor(self, anchor: str, head_seq: int) -> None:
        from consent.models import AuditEvent

        seq_text, _, expected_hash = anchor.partition(":")
        if not seq_text.isdigit() or len(expected_hash) != 64:
            raise CommandError("--expect-head must look like SEQ:HASH (the line printed by an earlier run).")
        seq = int(seq_text)
        if seq > head_seq:
            raise CommandError(f"Audit chain broken at seq {head_seq + 1}: rows after it were removed.")
        row = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if row != expected_hash:
            raise CommandError(f"Audit chain broken at seq {seq}: it does not match the recorded head.")
