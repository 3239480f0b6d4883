"""Attendance letters (42 CFR § 2.35): the care team issues, prints, downloads and withdraws them; the patient sees
the letters sent about them; anyone holding a letter checks it on the public verification page.

The verification code is shown only to the staff member who issued the letter, in their signed-in session (the
database keeps its hash); the letter page and the PDF need it to print it. Everyone but the patient's care team
gets the 404 of a missing page (AZ-03).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import User
from consent.gate import acts_as_patient
from family_portal.form_errors import show_errors
from family_portal.requests import PortalRequest
from family_portal.staff_guard import refuse, staff_required
from scheduling.forms.letters import LetterIssueForm, LetterWithdrawForm, VerifyForm
from scheduling.letter_pdf import letter_pdf, letter_words, verification_url
from scheduling.letter_ratelimit import attempt_allowed
from scheduling.models import AttendanceLetter
from scheduling.services.letter_facts import code_hash, letter_view
from scheduling.services.letters import (
    find_letter,
    issue_letter,
    letter_consents,
    show_verified_letter,
    withdraw_letter,
)
from scheduling.views.treatment import _patient_or_404

SESSION_CODES = "attendance_letter_codes"
CODES_KEPT = 5


def _letter_or_404(request: PortalRequest, patient: User, letter_id: Any) -> AttendanceLetter:
    letter = (
        AttendanceLetter.objects.filter(patient=patient, pk=letter_id).select_related("consent", "withdrawn_by").first()
    )
    if letter is None:
        refuse(request, letter_id)
    return letter


def _remember_code(request: PortalRequest, letter: AttendanceLetter, code: str) -> None:
    codes = dict(request.session.get(SESSION_CODES, {}))
    codes[str(letter.pk)] = code
    request.session[SESSION_CODES] = dict(list(codes.items())[-CODES_KEPT:])


def _code_of(request: PortalRequest, letter: AttendanceLetter) -> str:
    """The code, if this session issued the letter (checked against the stored hash)."""
    code = str(request.session.get(SESSION_CODES, {}).get(str(letter.pk), ""))
    return code if code and code_hash(code) == letter.code_hash else ""


@staff_required
@require_http_methods(["GET", "POST"])
def letter_list(request: PortalRequest, patient_id: int) -> HttpResponse:
    """The letters issued about a patient, and the form to issue one (a § 2.35 consent and a period)."""
    patient = _patient_or_404(request, patient_id)
    tz = patient.program.tz if patient.program else timezone.get_current_timezone()
    consents = letter_consents(patient).select_related("program")
    with timezone.override(tz):
        form = LetterIssueForm(request.POST if request.method == "POST" else None, consents=consents)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                letter, code = issue_letter(
                    actor=request.user,
                    patient=patient,
                    consent=data["consent"],
                    start=data["start"],
                    end=data["end"],
                    request=request,
                )
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                _remember_code(request, letter, code)
                messages.success(request, _("The letter was issued. Print it or download the PDF now."))
                return redirect("scheduling:letter_detail", patient_id=patient.pk, letter_id=letter.pk)
    letters = list(AttendanceLetter.objects.filter(patient=patient).select_related("consent", "issued_by"))
    status = 400 if request.method == "POST" else 200
    context = {
        "patient": patient,
        "form": form,
        "letters": letters,
        "has_consents": consents.exists(),
    }
    return render(request, "scheduling/letters/list.html", context, status=status)


@staff_required
def letter_detail(request: PortalRequest, patient_id: int, letter_id: Any) -> HttpResponse:
    """The printable letter as issued (print CSS hides everything else)."""
    patient = _patient_or_404(request, patient_id)
    letter = _letter_or_404(request, patient, letter_id)
    view = letter_view(letter.facts)
    code = _code_of(request, letter)
    context = {
        "patient": patient,
        "letter": letter,
        "view": view,
        "words": letter_words(view, code),
        "code": code,
        "status": letter.status_key(),
    }
    return render(request, "scheduling/letters/detail.html", context)


@staff_required
def letter_download(request: PortalRequest, patient_id: int, letter_id: Any) -> HttpResponse:
    """The letter as a PDF, while the session that issued it still holds its code."""
    patient = _patient_or_404(request, patient_id)
    letter = _letter_or_404(request, patient, letter_id)
    code = _code_of(request, letter)
    if not code or letter.status_key() != "valid":
        messages.error(request, _("The PDF can be downloaded only by whoever issued the letter, while it is valid."))
        return redirect("scheduling:letter_detail", patient_id=patient.pk, letter_id=letter.pk)
    response = HttpResponse(letter_pdf(letter_view(letter.facts), code), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="attendance-letter.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def letter_withdraw(request: PortalRequest, patient_id: int, letter_id: Any) -> HttpResponse:
    """Withdraw a letter with a reason (audited); its code then shows only that it is no longer valid."""
    patient = _patient_or_404(request, patient_id)
    letter = _letter_or_404(request, patient, letter_id)
    form = LetterWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            withdraw_letter(actor=request.user, letter=letter, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The letter was withdrawn."))
            return redirect("scheduling:letter_list", patient_id=patient.pk)
    status = 400 if request.method == "POST" else 200
    context = {"patient": patient, "letter": letter, "view": letter_view(letter.facts), "form": form}
    return render(request, "scheduling/letters/withdraw.html", context, status=status)


def my_letters(request: PortalRequest, patient_id: int | None = None) -> HttpResponse:
    """The patient's own page: every attendance letter the program sent about them, and where each stands. With
    ``patient_id``, the same page for a personal representative of that patient (``acts_as_patient``); anyone else
    gets 404."""
    user = request.user
    if patient_id is None:
        if not user.is_patient:
            raise Http404
        patient = user
    else:
        found = User.objects.filter(pk=patient_id, role=User.Role.PATIENT).first()
        if found is None or found.pk == user.pk or not acts_as_patient(user, found):
            raise Http404
        patient = found
    letters = [
        (letter, letter_view(letter.facts), letter.status_key())
        for letter in AttendanceLetter.objects.filter(patient=patient).select_related("consent")
    ]
    acting_for = patient if patient.pk != user.pk else None
    return render(request, "scheduling/letters/mine.html", {"letters": letters, "acting_for": acting_for})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def letter_verify(request: PortalRequest) -> HttpResponse:
    """Public: type a letter's code (POST, never in a URL) to see the letter's facts while it is valid.

    Attempts are limited per client address and site-wide (429). An unknown code and a wrong one get the same
    answer; a withdrawn letter or one whose consent ended says only that it is no longer valid. Each view of a
    valid letter is a disclosure to the consent's recipient, written to the patient's ledger."""
    form = VerifyForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "verify_url": verification_url()}
    if request.method != "POST":
        return render(request, "scheduling/letters/verify.html", context)
    if not attempt_allowed(request):
        return render(request, "scheduling/letters/verify_limited.html", context, status=429)
    if not form.is_valid():
        return render(request, "scheduling/letters/verify.html", context, status=400)
    letter = find_letter(form.cleaned_data["code"])
    if letter is None:
        context["outcome"] = "unknown"
    elif not letter.is_valid():
        context["outcome"] = "not_valid"
    else:
        show_verified_letter(letter)
        view = letter_view(letter.facts)
        context.update(outcome="valid", view=view, words=letter_words(view))
    return render(request, "scheduling/letters/verify.html", context)
