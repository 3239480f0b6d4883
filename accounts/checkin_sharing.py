"""Saving a family member's check-in and sharing it with their care team, only when they ask (issue #20).

"Share with the care team" is off by default and chosen per check-in. Ticked, the check-in reaches the counselors
of the patients the family member is connected to now: the gate's answer for the member (``consent.gate.visibility``:
their effective consents, of any scope, and representative authorities), and for those patients the counselors
whose caseload holds them (``consent.gate.recipients_by_patient`` with the ``CASELOAD`` grant, as messaging picks a
care team). Each counselor reached gets a ``CheckInShare`` row and one neutral notice through the outbox ("A family
member shared a check-in with you"). Unticking deletes the rows and withdraws notices not yet sent: the counselors
stop seeing it at once, and later check-ins are shared only if ticked again.

A check-in is the family member's own information, not a disclosure about a patient: nothing here writes to the
consent ledger, and the notices carry no patient (the worker checks only that the share still stands).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.checkin_models import CheckInShare, WellbeingCheckIn
from accounts.checkins import score, week_start_for
from accounts.models import User
from consent import gate, policy
from consent.models import Scope

CHECKIN_SHARED = "checkin_shared"
SUBJECT_PREFIX = "checkin"


def connected_counselors(member: User) -> dict[int, int]:
    """Counselor id → a patient id through which ``member`` reaches them now (their care team), from the gate."""
    patient_ids = gate.visibility(member).granted((policy.REPRESENTATIVE, policy.CONSENT), None)
    if not patient_ids:
        return {}
    # The caseload grant holds for every scope; the scope only satisfies the gate's signature.
    by_patient = gate.recipients_by_patient(sorted(patient_ids), Scope.MESSAGING, grants=(policy.CASELOAD,))
    found: dict[int, int] = {}
    for patient_id, counselor_ids in sorted(by_patient.items()):
        for counselor_id in counselor_ids:
            found.setdefault(counselor_id, patient_id)
    return found


@transaction.atomic
def save_checkin(
    *, member: User, answers: tuple[int, int, int, int], confidence: int, share: bool
) -> tuple[WellbeingCheckIn, bool]:
    """Save ``member``'s check-in for this week, replacing an earlier answer of the same week, and share it or not
    as chosen. Returns (check-in, replaced). Answers out of range raise ``ValueError`` and save nothing."""
    if not member.is_family:
        raise ValueError("Only family members answer a wellbeing check-in.")
    score(answers)  # validates the four answers
    if isinstance(confidence, bool) or not isinstance(confidence, int) or not 1 <= confidence <= 5:
        raise ValueError("Confidence is a whole number from 1 to 5.")
    nervous, worrying, down, little_interest = answers
    now = timezone.now()
    checkin, created = WellbeingCheckIn.objects.update_or_create(
        member=member,
        week_start=week_start_for(member, now),
        defaults={
            "nervous": nervous,
            "worrying": worrying,
            "down": down,
            "little_interest": little_interest,
            "confidence": confidence,
            "updated_at": now,
        },
        create_defaults={
            "nervous": nervous,
            "worrying": worrying,
            "down": down,
            "little_interest": little_interest,
            "confidence": confidence,
            "created_at": now,
            "updated_at": now,
        },
    )
    set_sharing(checkin, share)
    return checkin, not created


@transaction.atomic
def set_sharing(checkin: WellbeingCheckIn, share: bool) -> list[CheckInShare]:
    """Share ``checkin`` with its author's care team (``True``) or stop sharing it (``False``); returns the shares
    created now (a counselor already holding one is not notified again)."""
    if checkin.shared_with_care_team != share:
        checkin.shared_with_care_team = share
        checkin.save(update_fields=["shared_with_care_team"])
    if not share:
        _stop_sharing(checkin)
        return []
    held = set(CheckInShare.objects.filter(checkin=checkin).values_list("counselor_id", flat=True))
    wanted = connected_counselors(checkin.member)
    created = CheckInShare.objects.bulk_create(
        [
            CheckInShare(checkin=checkin, counselor_id=counselor_id, patient_id=patient_id)
            for counselor_id, patient_id in wanted.items()
            if counselor_id not in held
        ]
    )
    if created:
        _notify(checkin, created)
    return created


def _stop_sharing(checkin: WellbeingCheckIn) -> None:
    from notifications.notices import withdraw_notices

    CheckInShare.objects.filter(checkin=checkin).delete()
    withdraw_notices(subject=f"{SUBJECT_PREFIX}:{checkin.pk}", template_keys=[CHECKIN_SHARED])


def _notify(checkin: WellbeingCheckIn, shares: list[CheckInShare]) -> None:
    from notifications.notices import send_notice

    counselors = User.objects.filter(pk__in=[share.counselor_id for share in shares])
    by_id = {counselor.pk: counselor for counselor in counselors}
    for share in shares:
        send_notice(
            recipient=by_id[share.counselor_id],
            template_key=CHECKIN_SHARED,
            event=f"checkin-share:{share.pk}",
            link_path=reverse("accounts:shared_checkins"),
            subject=f"{SUBJECT_PREFIX}:{checkin.pk}",
        )


def share_still_stands(row: Any) -> bool:
    """Send-time check of a "shared a check-in" notice (``notifications.checks``): the recipient still holds a share
    of the check-in the row's subject names, so a notice withdrawn by unticking is never sent."""
    _prefix, _sep, checkin_id = row.subject.partition(":")
    if not checkin_id.isdigit():
        return False
    return CheckInShare.objects.filter(checkin_id=int(checkin_id), counselor_id=row.recipient_id).exists()


def shares_for_counselor(counselor: User, limit: int = 200) -> list[CheckInShare]:
    """The check-ins shared with ``counselor`` that they may still read, newest week first (at most ``limit``):
    shared through a patient still on their care team now (``consent.gate.visible_patient_ids``)."""
    if not (counselor.is_active and counselor.is_counselor):
        return []
    patients = gate.visible_patient_ids(counselor, Scope.MESSAGING)
    if not patients:
        return []
    rows = (
        CheckInShare.objects.filter(counselor=counselor, patient_id__in=sorted(patients))
        .select_related("checkin", "checkin__member", "patient")
        .order_by("-checkin__week_start", "checkin__member__full_name", "pk")
    )
    return list(rows[:limit])
