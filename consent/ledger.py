"""The accounting of disclosures (§ 2.25): the patient's "who saw what, when" and the staff CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent, Disclosure, Scope

# § 2.32(a)(1): the summary statement that accompanies exported and downloaded records.
STATEMENT_1 = (
    "This record is protected by federal confidentiality rules (42 CFR part 2). The recipient may not use or "
    "disclose it, or any testimony about it, in any civil, criminal, administrative, or legislative proceeding "
    "against the patient unless authorized by the patient's written consent or a court order under 42 CFR 2.64 "
    "or 2.65 (except as provided at 42 CFR 2.12(c)(5)), and may make no other use or disclosure of it unless "
    "the patient's written consent or 42 CFR part 2 permits it, or a HIPAA covered-entity exception applies. "
    "A general authorization for the release of medical or other information is NOT sufficient for this purpose."
)
# § 2.32(a)(2): the short statement shown on every page.
STATEMENT_2 = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


@dataclass(frozen=True)
class SameDayViews:
    """Disclosures of one kind to one person on one day, shown as a single line ("3 times, 9:14–9:40 AM")."""

    recipient_name: str
    what: str
    scope_label: str
    channel_label: str
    times: int
    first_at: datetime
    last_at: datetime


def accounting_by_day(patient: Any, tz: tzinfo) -> QuerySet[Any, Any]:
    """The patient's accounting (§ 2.25), one row per recipient, kind of information, description, channel and
    day in ``tz``, newest first: a family member opening the same page ten times in a morning is one line that
    says so. The CSV export (``ledger_csv``) keeps every single disclosure."""
    return (
        Disclosure.objects.for_accounting(patient)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day", "recipient_id", "recipient_name", "scope", "what", "channel")
        .annotate(times=Count("id"), first_at=Min("at"), last_at=Max("at"))
        .order_by("-last_at", "recipient_name", "what")
    )


def same_day_views(rows: Any) -> list[SameDayViews]:
    """``accounting_by_day`` rows ready for the page, with readable kinds and channels."""
    channels = dict(Disclosure.Channel.choices)
    return [
        SameDayViews(
            recipient_name=row["recipient_name"],
            what=row["what"],
            scope_label=Scope(row["scope"]).label if row["scope"] in Scope.values else row["scope"],
            channel_label=channels.get(row["channel"], row["channel"]),
            times=row["times"],
            first_at=row["first_at"],
            last_at=row["last_at"],
        )
        for row in rows
    ]


HEADER = ["Date and time (UTC)", "Shown to", "What", "Kind of information", "How", "Consent", "Form version"]
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def ledger_csv(*, patient: User, actor: User, request: HttpRequest | None = None, at: datetime | None = None) -> str:
    """The patient's 3-year accounting as CSV with Statement 1 on top; the export itself is audited."""
    at = at or timezone.now()
    rows = Disclosure.objects.for_accounting(patient, at).order_by("-at", "-id")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([STATEMENT_1])
    writer.writerow([])
    writer.writerow(["Accounting of disclosures for", _cell(patient.full_name or patient.display_name)])
    writer.writerow(["Prepared at (UTC)", at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")])
    writer.writerow([])
    writer.writerow(HEADER)
    count = 0
    for row in rows.iterator(chunk_size=2000):
        count += 1
        writer.writerow(
            [
                row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                _cell(row.recipient_name),
                _cell(row.what),
                row.get_scope_display(),
                row.get_channel_display(),
                str(row.consent_id),
                row.form_version,
            ]
        )
    record_audit(
        kind=AuditEvent.Kind.LEDGER_EXPORTED, actor=actor, patient=patient, request=request, data={"rows": count}
    )
    return out.getvalue()


def _cell(value: str) -> str:
    """Stop spreadsheet formula injection from free text (a name or description starting with "=")."""
    return f"'{value}" if value.startswith(_FORMULA_PREFIXES) else value
