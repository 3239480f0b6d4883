"""The accounting of disclosures (§ 2.25): the patient's "who saw what, when" and the staff CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent, Disclosure

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
