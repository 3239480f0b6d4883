"""Object URLs of scheduling belonging to a patient, for the cross-app IDOR matrix (AZ-03).

The matrix requests each one as the outsider, an unassigned counselor and a learner and expects 404 (POST-only
actions — RSVP, video join, invite, remove, withdraw, confirm, decline, import confirm — are POSTed).
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import CaseloadAssignment, User
from consent.models import Consent, Scope
from consent.services import grant_consent
from scheduling.forms import schedule_members
from scheduling.models import FamilySession, TreatmentSession
from scheduling.services import request_session, schedule_series, schedule_session
from scheduling.services.letters import issue_letter
from scheduling.services.treatment_records import save_treatment_session
from tests.support import personas


def object_urls(owner_patient: User) -> list[str]:
    assignment = CaseloadAssignment.objects.active().filter(patient=owner_patient).select_related("counselor").first()
    if assignment is not None:
        counselor = assignment.counselor
    else:
        assert owner_patient.program is not None
        counselor = personas.make_staff(f"idor-{owner_patient.pk}@example.org", owner_patient.program)
        personas.assign(counselor, owner_patient)
    members = list(schedule_members(owner_patient))
    starts_at = (timezone.now() + timedelta(days=5)).replace(hour=16, minute=0, second=0, microsecond=0)
    session = schedule_session(
        actor=counselor,
        kind=FamilySession.Kind.FAMILY_THERAPY,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        modality=FamilySession.Modality.VIDEO,
        join_url="https://video.example.org/r/abc",
        patient=owner_patient,
        family_members=members,
    )
    urls = [
        reverse("scheduling:session_detail", args=[session.pk]),
        reverse("scheduling:session_ics", args=[session.pk]),
        reverse("scheduling:session_reschedule", args=[session.pk]),
        reverse("scheduling:session_cancel", args=[session.pk]),
        reverse("scheduling:session_attendance", args=[session.pk]),
        reverse("scheduling:rsvp", args=[session.pk]),
        reverse("scheduling:video_join", args=[session.pk]),
        reverse("scheduling:session_invite", args=[session.pk]),
        reverse("scheduling:participant_remove", args=[session.pk]),
        reverse("scheduling:waitlist_leave", args=[session.pk]),
        reverse("scheduling:session_capacity", args=[session.pk]),
    ]
    series_start = starts_at + timedelta(hours=2)
    series = schedule_series(
        actor=counselor,
        every_weeks=1,
        count=2,
        kind=FamilySession.Kind.FAMILY_THERAPY,
        starts_at=series_start,
        ends_at=series_start + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Room 2",
        patient=owner_patient,
        family_members=members,
    )
    occurrence = series.occurrences.order_by("starts_at").first()
    assert occurrence is not None
    urls += [reverse(f"scheduling:{name}", args=[occurrence.pk]) for name in ("series_change", "series_cancel")]
    if members:
        asked = request_session(
            requester=members[0], patient=owner_patient, proposed_times=[starts_at + timedelta(days=2)]
        )
        urls += [
            reverse(f"scheduling:{name}", args=[asked.pk])
            for name in ("request_detail", "request_withdraw", "request_confirm", "request_decline")
        ]
    treatment = save_treatment_session(
        actor=counselor,
        record=TreatmentSession(
            patient=owner_patient,
            kind="other",
            date=date(2026, 3, 2),
            start_time=time(10),
            minutes=50,
            attendance="missed",
        ),
    )
    by_patient = {"patient_id": owner_patient.pk}
    urls += [
        reverse(f"scheduling:{name}", kwargs=by_patient)
        for name in ("treatment_records", "treatment_add", "treatment_import", "treatment_import_confirm")
    ]
    urls.append(reverse("scheduling:treatment_edit", kwargs={**by_patient, "record_id": treatment.pk}))
    return urls + _letter_urls(owner_patient, counselor)


def _letter_urls(owner_patient: User, counselor: User) -> list[str]:
    """An attendance letter under a court consent signed a week ago (letters, § 2.35)."""
    signed = timezone.now() - timedelta(days=7)
    court = grant_consent(
        patient=owner_patient,
        recipient_kind=Consent.RecipientKind.COURT,
        recipient_name="Judge Idor",
        recipient_organisation="County Court",
        referral_source="County Court",
        referral_proceeding="Case 1",
        scopes=[Scope.ATTENDANCE],
        purpose=Consent.Purpose.COURT_REPORTING,
        expires_at=timezone.now() + timedelta(days=90),
        signature=owner_patient.full_name,
    )
    Consent.objects.filter(pk=court.pk).update(signed_at=signed)
    court.refresh_from_db()
    assert owner_patient.program is not None
    today = timezone.localdate(timezone=owner_patient.program.tz)
    letter, _code = issue_letter(actor=counselor, patient=owner_patient, consent=court, start=today, end=today)
    by_patient = {"patient_id": owner_patient.pk}
    by_letter = {**by_patient, "letter_id": letter.pk}
    return [
        reverse("scheduling:letter_list", kwargs=by_patient),
        reverse("scheduling:letters_for", kwargs=by_patient),  # the patient's representatives only
        *(
            reverse(f"scheduling:{name}", kwargs=by_letter)
            for name in ("letter_detail", "letter_download", "letter_withdraw")
        ),
    ]
