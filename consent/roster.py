"""The counselor roster (``consent.views.staff.patient_list``): its queries and its rows (issue #17, H1).

A counselor's roster runs SQL compiled once per process (``family_portal.prepared_lists``) with the gate's answer
for the request (the patients of ``consent.gate.care_team_patients``, as ids) in place of the queryset the ORM
path builds from it: the same patients, consents, emergency accesses and count of paper consents to review. A
program admin's answer is a whole program, not a list: their roster is built by the ORM as before.

Each patient's ``<tr>`` is built in Python, escaped, byte for byte what the template's loop wrote
(``tests/consent/test_roster_markup.py`` keeps that loop and compares).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import User
from consent.gate import care_team_patients, visible_patient_ids
from consent.models import BreakGlassAccess, Consent, Scope
from family_portal.prepared_lists import PreparedList

EXPIRING_SOON = timedelta(days=14)


@dataclass(frozen=True)
class RosterConsent:
    """A consent as the roster shows it, its status worked out once (the template asked for it four times)."""

    consent: Consent
    label: str
    badge: str
    ends_soon: bool  # active and ending within EXPIRING_SOON
    not_connected: bool  # active, for a family member who has not joined

    @classmethod
    def of(cls, consent: Consent, soon: datetime) -> RosterConsent:
        active = consent.status_key() == "Active"
        family = consent.recipient_kind == Consent.RecipientKind.FAMILY
        return cls(
            consent=consent,
            label=consent.status_label,
            badge=consent.status_badge,
            ends_soon=active and consent.expires_at <= soon,
            not_connected=active and family and not consent.recipient_id,
        )


def pending_reviews_among(patients: Any, viewer: Any) -> QuerySet[Consent]:
    """Paper consents about ``patients`` (the viewer's ``care_team_patients``) waiting for a second staff member:
    everyone's but the viewer's own."""
    return (
        Consent.objects.pending_review().filter(patient__in=patients).exclude(recorded_by=viewer).order_by("created_at")
    )


def _with_glass_and_reviews(patients: QuerySet[User], viewer: Any, at: datetime) -> QuerySet[User]:
    """``patients`` in roster order, each with the end of the viewer's emergency access to them (``glass_until``,
    the latest if several) and the viewer's count of paper consents to review (``to_review``: about these
    patients, so the same on every row, and nothing to review when there is no row), in one query."""
    glass = BreakGlassAccess.objects.active(at).filter(counselor=viewer, patient=OuterRef("pk"))
    pending = (
        pending_reviews_among(patients, viewer)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return patients.annotate(
        glass_until=Subquery(glass.order_by("-expires_at").values("expires_at")[:1]), to_review=Subquery(pending)
    ).order_by("full_name", "email")


def _consents() -> QuerySet[Consent]:
    return Consent.objects.order_by("recipient_name", "-signed_at")


# The compiled shapes: the gate's patients as a list of ids (``visible_patients`` filters patients by them).
def _patients(ids: list[int]) -> QuerySet[User]:
    return User.objects.filter(role=User.Role.PATIENT).filter(pk__in=ids)


def _staff(pk: int) -> User:
    return User(pk=pk, role=User.Role.COUNSELOR, is_active=True)


_PATIENTS = PreparedList(
    lambda ids, viewer, at: _with_glass_and_reviews(_patients(ids), _staff(viewer), at), viewer=int, at=datetime
)
# ``prefetch_related``'s query: the consents of those patients (``patient_id IN`` the same ids, patients only).
_CONSENTS = PreparedList(lambda ids: _consents().filter(patient__in=_patients(ids)))


@dataclass
class Roster:
    """What the roster shows: each patient with their consents as shown and their emergency access's end."""

    rows: list[tuple[User, list[RosterConsent], datetime | None]]
    pending_count: int


def roster(user: User) -> Roster:
    """The viewer's caseload with each family member's consent status: two queries at any size (the gate's
    patients with their emergency accesses and the count to review, then their consents)."""
    now = timezone.now()
    soon = now + EXPIRING_SOON
    found = _compiled(user, now) if user.is_counselor and user.is_active else None
    if found is None:
        listed = _with_glass_and_reviews(care_team_patients(user), user, now)
        consents_given = Prefetch("consents_given", queryset=_consents(), to_attr="consent_list")
        patients: list[Any] = list(listed.prefetch_related(consents_given))
        consents = {patient.pk: patient.consent_list for patient in patients}
    else:
        patients, consents = found
    rows = [
        (patient, [RosterConsent.of(c, soon) for c in consents.get(patient.pk, [])], patient.glass_until)
        for patient in patients
    ]
    return Roster(rows, patients[0].to_review if patients else 0)


def _compiled(user: User, now: datetime) -> tuple[list[Any], dict[int, list[Consent]]] | None:
    ids = visible_patient_ids(user, Scope.EDUCATION)  # care_team_patients' ids: staff grants have no scope
    patients = _PATIENTS.rows(ids, viewer=user.pk, at=now)
    if patients is None:
        return None
    consents: dict[int, list[Consent]] = {}
    for consent in _CONSENTS.rows(ids) or []:
        consents.setdefault(consent.patient_id, []).append(consent)
    return patients, consents


# --- the rows' markup ---------------------------------------------------------------------------------------------


class _DetailLinks:
    """Patient links from one ``reverse`` per page: the path with a placeholder id, the id put in its place."""

    _PLACEHOLDER = 987_654_321

    def __init__(self) -> None:
        self._pattern = reverse("consent:patient_detail", args=[self._PLACEHOLDER])

    def url(self, pk: Any) -> str:
        if type(pk) is not int or self._pattern.count(str(self._PLACEHOLDER)) != 1:
            return reverse("consent:patient_detail", args=[pk])
        return self._pattern.replace(str(self._PLACEHOLDER), str(pk))


def rows_html(rows: list[tuple[User, list[RosterConsent], datetime | None]], tz: Any) -> SafeString:
    """Every patient's ``<tr>``, as the roster's ``{% for %}`` wrote them inside ``{% timezone tz %}``."""
    e = conditional_escape
    links = _DetailLinks()
    patient_label, family_label = e(_("Patient")), e(_("Family"))
    not_connected = f'<span class="badge badge-neutral">{e(_("Not connected"))}</span>'
    no_consents = f'<span class="muted">{e(_("No consents yet"))}</span>'
    time_format, day_format = get_format("TIME_FORMAT"), get_format("MONTH_DAY_FORMAT")
    parts = []
    for patient, consents, glass_until in rows:
        parts.append(
            "\n      <tr>\n"
            f'        <td data-label="{patient_label}"><a href="{e(links.url(patient.pk))}">'
            f"{e(patient.full_name or patient.display_name)}</a>\n          "
        )
        if glass_until:
            until = e(dateformat.format(timezone.localtime(glass_until, tz), time_format))
            text = _("Emergency access until %(time)s") % {"time": until}
            parts.append(f'<br><span class="badge badge-warn">{text}</span>')
        parts.append(f'</td>\n        <td data-label="{family_label}">\n          ')
        if consents:
            parts.append('\n          <ul class="list-compact">\n            ')
            for shown in consents:
                parts.append(
                    f"\n            <li>{e(shown.consent.recipient_name)} "
                    f'<span class="badge {e(shown.badge)}">{e(shown.label)}</span>\n              '
                )
                if shown.ends_soon:
                    day = e(dateformat.format(timezone.localtime(shown.consent.last_moment, tz), day_format))
                    parts.append(f'<span class="badge badge-warn">{_("Ends %(day)s") % {"day": day}}</span>')
                parts.append("\n              ")
                if shown.not_connected:
                    parts.append(not_connected)
                parts.append("</li>\n            ")
            parts.append("\n          </ul>\n          ")
        else:
            parts.append(no_consents)
        parts.append("\n        </td>\n      </tr>\n      ")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped)
