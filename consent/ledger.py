"""The accounting of disclosures (§ 2.25): writing its rows, the patient's "who saw what, when" and the staff CSV
export. The gate decides; the ledger records.

A row is written for every disclosure to a family recipient under a consent (the ``CONSENT`` grant of
``consent.policy``); showing a patient or a personal representative their own information, and staff access, are
not disclosures and write no row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from consent import gate
from consent.audit import record_audit
from consent.models import AuditEvent, Consent, Disclosure, Scope

# § 2.32(a)(1): the summary statement that accompanies exported and downloaded records.
# Both are lazy: they read in the language of the page or export they are shown on (typed ``str`` for callers). No
# official Spanish wording was found; the Spanish catalogue holds a faithful translation (see its comment there).
# Translators: § 2.32(a)(1) of 42 CFR part 2. No official SAMHSA Spanish wording was found: translate it
# faithfully, clause by clause, keeping every citation.
STATEMENT_1: str = gettext_lazy(  # type: ignore[assignment]
    "This record is protected by federal confidentiality rules (42 CFR part 2). The recipient may not use or "
    "disclose it, or any testimony about it, in any civil, criminal, administrative, or legislative proceeding "
    "against the patient unless authorized by the patient's written consent or a court order under 42 CFR 2.64 "
    "or 2.65 (except as provided at 42 CFR 2.12(c)(5)), and may make no other use or disclosure of it unless "
    "the patient's written consent or 42 CFR part 2 permits it, or a HIPAA covered-entity exception applies. "
    "A general authorization for the release of medical or other information is NOT sufficient for this purpose."
)
# § 2.32(a)(2): the short statement shown on every page.
# Translators: § 2.32(a)(2) of 42 CFR part 2 (no official Spanish wording found; translate faithfully).
STATEMENT_2: str = gettext_lazy("42 CFR part 2 prohibits unauthorized use or disclosure of these records.")  # type: ignore[assignment]


def record_disclosure(*, consent: Consent, scope: str, channel: str, what: str, at: datetime | None = None) -> None:
    """Write one ledger row for a disclosure made under ``consent``."""
    ledger_row(consent, scope, channel, what, at or timezone.now()).save()


def record_disclosures(
    viewer: Any,
    patient_ids: Iterable[Any],
    scope: str,
    *,
    what: str,
    channel: str = Disclosure.Channel.WEB,
    at: datetime | None = None,
) -> None:
    """``require_disclosure``'s ledger rows for many patients at once, in at most two queries whatever their number.

    The patients come from a list already scoped through the gate in the same request, so none is refused here.
    As in ``require_disclosure``, a personal representative acting for the patient and staff get no row (not a
    disclosure), and each row names the consent relied on: the latest signed effective one including ``scope``."""
    Scope(scope)
    ids = {pk for pk in patient_ids if pk is not None}
    if not ids or not getattr(viewer, "is_family", False) or not viewer.is_active:
        return
    at = gate.instant(at)
    consents = gate.consents_relied_on(viewer, ids, scope, at)
    Disclosure.objects.bulk_create(disclosure_rows(consents, ids, scope, what=what, channel=channel, at=at))


def disclosure_rows(
    consents: Iterable[Consent], patient_ids: set[Any], scope: str, *, what: str, channel: str, at: datetime
) -> list[Disclosure]:
    """Unsaved ledger rows, one per patient in ``patient_ids``, each naming the consent relied on (the latest
    signed of ``consents`` that includes ``scope``); callers that batch several scopes insert them together."""
    relied_on: dict[Any, Consent] = {}
    for consent in consents:
        if consent.patient_id in patient_ids and consent.has_scope(scope):
            best = relied_on.get(consent.patient_id)
            if best is None or consent.signed_at > best.signed_at:
                relied_on[consent.patient_id] = consent
    return [ledger_row(consent, scope, channel, what, at) for _, consent in sorted(relied_on.items())]


def ledger_row(consent: Consent, scope: str, channel: str, what: str, at: datetime) -> Disclosure:
    """One unsaved row: who received what, about whom, under which consent and form version, when and how."""
    return Disclosure(
        recipient_id=consent.recipient_id,
        recipient_name=consent.recipient_name,
        patient_id=consent.patient_id,
        consent=consent,
        form_version=consent.form_version.version if consent.form_version_id else "",
        scope=scope,
        channel=channel,
        what=what[:200],
        at=at,
    )


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


# The descriptions the code stores in ``Disclosure.what`` (grep ``what=``), as the patient reads them on "Who saw
# what". The ledger keeps the stored text (and the CSV export shows it); an unknown one is shown as stored.
FRIENDLY_WHAT: dict[str, Any] = {  # lazy: translated when shown; "their" is the person in the "Who" column
    "List of secure conversations": gettext_lazy("Their list of conversations"),
    "Secure messages": gettext_lazy("A conversation"),
    "Secure message (editing)": gettext_lazy("A conversation, while editing a message"),
    "Secure message (deleting)": gettext_lazy("A conversation, while deleting a message"),
    "Live messages": gettext_lazy("New messages as they arrived"),
    "Education assignments": gettext_lazy("Modules the care team assigned"),
    "Open times for a family session": gettext_lazy("Open times to ask for a session"),
    "Family session request": gettext_lazy("A request for a session"),
    "Upcoming family sessions (home page)": gettext_lazy("Upcoming sessions on their home page"),
    "Family session dates and times": gettext_lazy("Dates and times of sessions"),
    "Family session details": gettext_lazy("A session's details"),
    "Family session (staff)": gettext_lazy("A session's details"),
    "Family session RSVP": gettext_lazy("Their reply to a session invitation"),
    "Family session waiting list": gettext_lazy("Their place on a session's waiting list"),
    "Calendar file for a family session": gettext_lazy("A session saved to their calendar"),
    "Appointment times in a calendar subscription": gettext_lazy("Session times in their calendar app"),
    "Attendance record (care team)": gettext_lazy("The attendance record"),
    "Progress summary": gettext_lazy("A progress summary"),
    "List of progress summaries": gettext_lazy("Their list of progress summaries"),
    "Attendance letter": gettext_lazy("An attendance letter the care team issued"),
    "Attendance letter (verification page)": gettext_lazy("An attendance letter, checked online with its code"),
}
_ATTENDANCE_RELEASE = re.compile(r"Family session attendance record (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})")


def friendly_what(what: str) -> str:
    """A stored description in plain words for the patient; the stored text when it is not one the code writes."""
    if known := FRIENDLY_WHAT.get(what):
        return str(known)
    if release := _ATTENDANCE_RELEASE.fullmatch(what):
        try:
            start, end = (date.fromisoformat(day) for day in release.groups())
        except ValueError:
            return what
        return gettext("The attendance record from {start} to {end}").format(
            start=formats.date_format(start, "LONG_DATE_FORMAT"), end=formats.date_format(end, "LONG_DATE_FORMAT")
        )
    return what


def same_day_views(rows: Any) -> list[SameDayViews]:
    """``accounting_by_day`` rows ready for the page, with readable descriptions, kinds and channels."""
    channels = dict(Disclosure.Channel.choices)
    return [
        SameDayViews(
            recipient_name=row["recipient_name"],
            what=friendly_what(row["what"]),
            scope_label=str(Scope(row["scope"]).label) if row["scope"] in Scope.values else row["scope"],
            channel_label=channels.get(row["channel"], row["channel"]),
            times=row["times"],
            first_at=row["first_at"],
            last_at=row["last_at"],
        )
        for row in rows
    ]


HEADER = [
    gettext_lazy("Date and time (UTC)"),
    gettext_lazy("Shown to"),
    gettext_lazy("What"),
    gettext_lazy("Kind of information"),
    gettext_lazy("How"),
    gettext_lazy("Consent"),
    gettext_lazy("Form version"),
]
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def ledger_csv(*, patient: User, actor: User, request: HttpRequest | None = None, at: datetime | None = None) -> str:
    """The patient's 3-year accounting as CSV with Statement 1 on top; the export itself is audited."""
    at = at or timezone.now()
    rows = Disclosure.objects.for_accounting(patient, at).order_by("-at", "-id")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(STATEMENT_1)])
    writer.writerow([])
    writer.writerow([gettext("Accounting of disclosures for"), _cell(patient.full_name or patient.display_name)])
    writer.writerow([gettext("Prepared at (UTC)"), at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")])
    writer.writerow([])
    writer.writerow([str(label) for label in HEADER])
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
