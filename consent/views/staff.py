"""Counselor and program-admin pages: caseload consent status, paper intake and review, written revocations,
representatives, break-glass and the ledger export. Everyone else gets a 404 (AZ-03)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.forms import (
    BreakGlassForm,
    EndByEventForm,
    PaperConsentForm,
    RecordRevocationForm,
    RepresentativeForm,
    end_of_day,
)
from consent.gate import care_team_patients, managed_consents
from consent.ledger import ledger_csv
from consent.models import BreakGlassAccess, Consent, Disclosure, Invitation, PersonalRepresentative
from consent.roster import EXPIRING_SOON, pending_reviews_among, roster, rows_html
from consent.services import (
    end_consent_by_event,
    end_personal_representative,
    record_personal_representative,
    record_revocable_event,
    review_paper_consent,
    revoke_consent,
    start_break_glass,
)
from consent.services import (
    record_paper_consent as record_paper,
)
from consent.views.common import require_care_staff, staff_patient_or_404, visible_or_404
from family_portal.form_errors import show_errors
from family_portal.staff_guard import staff_required


@staff_required
def patient_list(request: HttpRequest) -> HttpResponse:
    """The viewer's caseload with each family member's consent status (constant queries at any size; the queries
    and rows of ``consent.roster``)."""
    user = require_care_staff(request)
    shown = roster(user)
    context = {"rows": shown.rows, "rows_html": rows_html(shown.rows, user.tz), "pending_count": shown.pending_count}
    return render(request, "consent/patient_list.html", context)


@staff_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's family and consent status, with the staff actions."""
    patient = staff_patient_or_404(request, patient_id)
    now = timezone.now()
    consents = list(
        Consent.objects.filter(patient=patient)
        .select_related("recipient", "recorded_by")
        .prefetch_related(Prefetch("invitations", queryset=Invitation.objects.order_by("-created_at")))
        .order_by("recipient_name", "-signed_at")
    )
    context = {
        "patient": patient,
        "consents": consents,
        "now": now,
        "soon": now + EXPIRING_SOON,
        "representatives": list(
            PersonalRepresentative.objects.effective(now).filter(patient=patient).select_related("representative")
        ),
        "disclosures": list(Disclosure.objects.for_accounting(patient, now).order_by("-at", "-id")[:10]),
        "glass": BreakGlassAccess.objects.active(now).filter(counselor_id=request.user.pk, patient=patient).first(),
    }
    return render(request, "consent/patient_detail.html", context)


@staff_required
def record_paper_consent(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Enter a paper consent the patient signed; it waits for a second staff member's review."""
    patient = staff_patient_or_404(request, patient_id)
    tz = patient.program.tz if patient.program else patient.tz
    form = PaperConsentForm(request.POST or None, tz=tz)
    if request.method == "POST" and form.is_valid():
        try:
            record_paper(staff=request.user, patient=patient, request=request, **form.paper_kwargs())  # type: ignore[arg-type]
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request, _("Paper consent recorded. Sharing starts once a second staff member reviews it.")
            )
            return redirect("consent:patient_detail", patient_id=patient.pk)
    return render(request, "consent/paper_consent_form.html", {"patient": patient, "form": form})


@staff_required
def pending_reviews(request: HttpRequest) -> HttpResponse:
    """Paper consents recorded by someone else, waiting for this reviewer."""
    user = require_care_staff(request)
    mine = (
        Consent.objects.pending_review()
        .filter(patient__in=care_team_patients(user), recorded_by=user)
        .select_related("patient")
    )
    context = {
        "to_review": list(_pending_reviews(user).select_related("patient", "recorded_by")),
        "waiting": list(mine),
    }
    return render(request, "consent/pending_reviews.html", context)


@staff_required
def review(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Check every element of a paper consent against the form, then approve or reject it."""
    require_care_staff(request)
    consent = visible_or_404(
        request,
        managed_consents(request.user).select_related("patient", "program", "form_version", "recorded_by"),
        consent_id,
    )
    if request.method == "POST" and request.POST.get("decision") in ("approve", "reject"):
        approve = request.POST["decision"] == "approve"
        try:
            review_paper_consent(reviewer=request.user, consent=consent, approve=approve, request=request)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(
                request, _("Consent approved: sharing has started.") if approve else _("Consent rejected.")
            )
            return redirect("consent:pending_reviews")
    can_review = consent.review_status == Consent.ReviewStatus.PENDING and consent.recorded_by_id != request.user.pk
    return render(request, "consent/review.html", {"consent": consent, "can_review": can_review})


@staff_required
def record_revocation(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Enter a written revocation the patient handed in; it takes effect the moment it is saved."""
    require_care_staff(request)
    consent = visible_or_404(request, managed_consents(request.user).select_related("patient"), consent_id)
    form = RecordRevocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoke_consent(
                consent=consent,
                actor=request.user,  # type: ignore[arg-type]
                method=Consent.Method.PAPER,
                document_reference=form.cleaned_data["document_reference"].strip(),
                request=request,
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request, _("Revocation recorded. Sharing with %(name)s has stopped.") % {"name": consent.recipient_name}
            )
            return redirect("consent:patient_detail", patient_id=consent.patient_id)
    return render(request, "consent/record_revocation.html", {"consent": consent, "form": form})


def _record_event_page(
    request: HttpRequest,
    consent_id: str,
    *,
    record: Callable[..., Any],
    recorded: Callable[[Any], str],
    back: Callable[[Any], HttpResponse],
    template: str,
) -> HttpResponse:
    """The one page flow for an event staff record on a consent they manage (asked through the gate): a note,
    then ``record(consent=, actor=, note=, request=)``; a refusal shows the form again and changes nothing."""
    require_care_staff(request)
    consent = visible_or_404(request, managed_consents(request.user).select_related("patient"), consent_id)
    form = EndByEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record(consent=consent, actor=request.user, note=form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, recorded(consent))
            return back(consent)
    return render(request, template, {"consent": consent, "form": form})


@staff_required
def end_by_event(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Record the ending event named on the consent (e.g. discharge): sharing stops at once."""
    return _record_event_page(
        request,
        consent_id,
        record=end_consent_by_event,
        recorded=lambda c: _("Recorded. Sharing with %(name)s has stopped.") % {"name": c.recipient_name},
        back=lambda c: redirect("consent:patient_detail", patient_id=c.patient_id),
        template="consent/end_by_event.html",
    )


@staff_required
def revocable_event(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Record the event after which a § 2.35(c) consent may be revoked (e.g. the case has ended); it stays in force."""
    return _record_event_page(
        request,
        consent_id,
        record=record_revocable_event,
        recorded=lambda c: _("Recorded. The patient can now stop this consent."),
        back=lambda c: redirect("consent:consent_detail", consent_id=c.pk),
        template="consent/revocable_event.html",
    )


@staff_required
def record_representative(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a personal representative after checking their documents (§ 2.15)."""
    patient = staff_patient_or_404(request, patient_id)
    form = RepresentativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        representative = User.objects.filter(email__iexact=data["email"], role=User.Role.FAMILY).first()
        if representative is None:
            form.add_error("email", _("No family-member account uses this email. Ask them to create one first."))
        else:
            tz = patient.program.tz if patient.program else patient.tz
            try:
                record_personal_representative(
                    staff=request.user,  # type: ignore[arg-type]
                    patient=patient,
                    representative=representative,
                    authority=data["authority"],
                    document_reference=data["document_reference"],
                    limits=data["limits"],
                    expires_at=end_of_day(data["expires_on"], tz) if data["expires_on"] else None,
                    request=request,
                )
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Personal representative recorded."))
                return redirect("consent:patient_detail", patient_id=patient.pk)
    return render(request, "consent/representative_form.html", {"patient": patient, "form": form})


@staff_required
def end_representative(request: HttpRequest, representative_id: str) -> HttpResponse:
    """End a representative's authority (POST); the page for a GET is the patient's page."""
    require_care_staff(request)
    record = visible_or_404(
        request, PersonalRepresentative.objects.filter(patient__in=care_team_patients(request.user)), representative_id
    )
    if request.method == "POST":
        end_personal_representative(staff=request.user, record=record, request=request)  # type: ignore[arg-type]
        messages.success(request, _("The representative's authority has ended."))
    return redirect("consent:patient_detail", patient_id=record.patient_id)


@staff_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access to a patient outside the caseload: reason required, one hour, audited, admins told."""
    user = require_care_staff(request)
    if not user.is_counselor:
        messages.info(request, _("Program admins already have access to every patient in the program."))
        return redirect("consent:patient_list")
    patients = (
        User.objects.filter(role=User.Role.PATIENT, is_active=True, program=user.program)
        .exclude(pk__in=care_team_patients(user).values("pk"))
        .order_by("full_name", "email")
    )
    form = BreakGlassForm(request.POST or None, patients=patients)
    if request.method == "POST" and form.is_valid():
        try:
            access = start_break_glass(
                counselor=user,
                patient=form.cleaned_data["patient"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.warning(request, _("Emergency access is on for one hour. Your program admins have been told."))
            return redirect("consent:patient_detail", patient_id=access.patient_id)
    return render(request, "consent/break_glass.html", {"form": form})


@staff_required
def ledger_export(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's accounting of disclosures as CSV, Statement 1 of § 2.32 on top; the export is audited."""
    patient = staff_patient_or_404(request, patient_id)
    body = ledger_csv(patient=patient, actor=request.user, request=request)  # type: ignore[arg-type]
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="disclosures-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


def _pending_reviews(user: User) -> Any:
    return pending_reviews_among(care_team_patients(user), user)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("That is not allowed.")
