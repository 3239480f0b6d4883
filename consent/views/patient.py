"""Patient pages: "My sharing", the consent wizard, stopping sharing, the disclosure history, consent copies."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.court_forms import CriminalJusticeDetailsForm
from consent.forms import ChangeConsentForm, ConsentDetailsForm, RevokeForm, SignForm
from consent.gate import effective_consents_for, managed_consents, patients_acted_for, scopes_still_covered
from consent.invitations import send_invitation
from consent.ledger import accounting_by_day, same_day_views
from consent.minors import needs_guardian_signature
from consent.models import AuditEvent, Consent, ConsentFormVersion, Disclosure, Invitation, PersonalRepresentative
from consent.plain import NEVER_SHARED, SCOPE_FOR_PATIENT, not_yet_revocable, summary_for_family
from consent.services import grant_consent, replace_consent, revoke_consent
from consent.views.common import acted_patient_or_404, refuse, visible_or_404, with_reauthentication
from family_portal.requests import PortalRequest

EXPIRING_SOON = timedelta(days=14)
HISTORY_PAGE_SIZE = 50


def my_sharing(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    """The patient's consents, who can see what, and the latest disclosures (DATA-08)."""
    user = request.user
    if patient_id is None and isinstance(user, User) and not user.is_patient:
        return redirect("consent:patient_list" if user.is_care_staff else "consent:what_you_can_see")
    patient = acted_patient_or_404(request, patient_id)
    now = timezone.now()
    consents = list(
        Consent.objects.filter(patient=patient)
        .select_related("recipient", "program")
        .prefetch_related(Prefetch("invitations", queryset=Invitation.objects.order_by("-created_at")))
        .order_by("recipient_name", "-signed_at")
    )
    active = [consent for consent in consents if consent.is_effective(now)]
    pending = [c for c in consents if c.review_status == Consent.ReviewStatus.PENDING and c.revoked_at is None]
    ended = [consent for consent in consents if consent not in active and consent not in pending]
    context = {
        "patient": patient,
        "acting_for": patient if patient.pk != user.pk else None,
        "active": active,
        "pending": pending,
        "ended": ended,
        "expiring_soon": [consent for consent in active if consent.expires_at <= now + EXPIRING_SOON],
        "disclosures": list(Disclosure.objects.for_accounting(patient, now).order_by("-at", "-id")[:10]),
        "representatives": list(
            PersonalRepresentative.objects.effective(now).filter(patient=patient).select_related("representative")
        ),
        "urls": _patient_urls(patient, user),
    }
    return render(request, "consent/my_sharing.html", context)


def grant(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    """The consent wizard: details, then the full form text and a typed signature, after re-authentication."""
    patient = acted_patient_or_404(request, patient_id)
    return with_reauthentication(request, _grant, patient)


def grant_court(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    """The same wizard for a court, a probation or parole officer, or a drug court (§ 2.35): attendance only, no
    invitation (the recipient never gets a portal account)."""
    patient = acted_patient_or_404(request, patient_id)
    return with_reauthentication(request, _grant, patient, CriminalJusticeDetailsForm)


def _grant(
    request: HttpRequest, patient: User, form_class: type[ConsentDetailsForm] = ConsentDetailsForm
) -> HttpResponse:
    tz = patient.program.tz if patient.program else patient.tz
    needs_guardian = needs_guardian_signature(patient)
    urls = _patient_urls(patient, request.user)
    if request.method != "POST":
        return _render_details(request, patient, form_class(tz=tz), urls)
    details = form_class(request.POST, tz=tz)
    if not details.is_valid() or "back" in request.POST:
        return _render_details(request, patient, details, urls)
    if request.POST.get("step") != "sign":
        sign = SignForm(initial={"form_version": ConsentFormVersion.current().version}, needs_guardian=needs_guardian)
        return _render_sign(request, patient, details, sign, urls)
    sign = SignForm(request.POST, needs_guardian=needs_guardian, signer=_signer(request))
    if not sign.is_valid():
        return _render_sign(request, patient, details, sign, urls)
    signer = _signer(request)
    assert signer is not None  # noqa: S101  (acted_patient: signed in)
    try:
        with transaction.atomic():
            consent = grant_consent(
                patient=patient,
                signature=sign.cleaned_data["signature"],
                guardian_signature=sign.cleaned_data.get("guardian_signature", ""),
                signer_role=_signer_role(signer, patient, needs_guardian),
                signed_by=signer,
                form_language=sign.cleaned_data["form_language"],
                request=request,
                **details.grant_kwargs(),
            )
            if consent.recipient_kind == Consent.RecipientKind.FAMILY:
                send_invitation(consent=consent, actor=request.user, request=request)  # type: ignore[arg-type]
    except ValidationError as exc:
        sign.add_error(None, exc.messages)
        return _render_sign(request, patient, details, sign, urls)
    if consent.is_criminal_justice:
        messages.success(
            request,
            _("Signed. Your care team can now send %(name)s your attendance.") % {"name": consent.recipient_name},
        )
        return redirect("consent:consent_detail", consent_id=consent.pk)
    messages.success(
        request,
        _("Sharing with %(name)s is set up. We emailed them an invitation to the portal.")
        % {"name": consent.recipient_name},
    )
    return redirect("consent:consent_detail", consent_id=consent.pk)


def _signer(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _render_details(
    request: HttpRequest, patient: User, form: ConsentDetailsForm, urls: dict, changing: Consent | None = None
) -> HttpResponse:
    context = {"patient": patient, "form": form, "never_shared": NEVER_SHARED, "urls": urls, "changing": changing}
    context["court"] = isinstance(form, CriminalJusticeDetailsForm)
    return render(request, "consent/grant_details.html", context)


def change(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Change what someone may see, or until when, in one step: sign a replacement consent for the same person
    (after re-authentication). They keep one row on "My sharing" and access to what is still covered."""
    consent = visible_or_404(
        request,
        Consent.objects.filter(patient__in=patients_acted_for(request.user)).select_related("patient__program"),
        consent_id,
    )
    return with_reauthentication(request, _change, consent)


def _change(request: HttpRequest, consent: Consent) -> HttpResponse:
    patient = consent.patient
    urls = _patient_urls(patient, request.user)
    if not consent.is_effective():
        messages.info(request, _("Sharing with %(name)s has already ended.") % {"name": consent.recipient_name})
        return redirect(urls["my_sharing"])
    if consent.is_criminal_justice:
        messages.info(request, _("A consent for a court or probation cannot be changed. Ask your counselor."))
        return redirect("consent:consent_detail", consent_id=consent.pk)
    tz = patient.program.tz if patient.program else patient.tz
    needs_guardian = needs_guardian_signature(patient)
    if request.method != "POST":
        return _render_details(request, patient, ChangeConsentForm(consent=consent, tz=tz), urls, consent)
    details = ChangeConsentForm(request.POST, consent=consent, tz=tz)
    if not details.is_valid() or "back" in request.POST:
        return _render_details(request, patient, details, urls, consent)
    if request.POST.get("step") != "sign":
        sign = SignForm(initial={"form_version": ConsentFormVersion.current().version}, needs_guardian=needs_guardian)
        return _render_sign(request, patient, details, sign, urls, consent)
    sign = SignForm(request.POST, needs_guardian=needs_guardian, signer=_signer(request))
    if not sign.is_valid():
        return _render_sign(request, patient, details, sign, urls, consent)
    signer = _signer(request)
    assert signer is not None  # noqa: S101  (acted_patient: signed in)
    try:
        new = replace_consent(
            consent=consent,
            signature=sign.cleaned_data["signature"],
            guardian_signature=sign.cleaned_data.get("guardian_signature", ""),
            signer_role=_signer_role(signer, patient, needs_guardian),
            signed_by=signer,
            form_language=sign.cleaned_data["form_language"],
            request=request,
            **details.change_kwargs(),
        )
    except ValidationError as exc:
        sign.add_error(None, exc.messages)
        return _render_sign(request, patient, details, sign, urls, consent)
    messages.success(
        request, _("Done. %(name)s now sees only what the new consent covers.") % {"name": new.recipient_name}
    )
    return redirect("consent:consent_detail", consent_id=new.pk)


def _signer_role(signer: User, patient: User, needs_guardian: bool) -> str:
    if signer.pk != patient.pk:
        return Consent.SignerRole.PERSONAL_REPRESENTATIVE
    return Consent.SignerRole.PATIENT_AND_GUARDIAN if needs_guardian else Consent.SignerRole.PATIENT


def _render_sign(
    request: HttpRequest,
    patient: User,
    details: ConsentDetailsForm,
    sign: SignForm,
    urls: dict,
    changing: Consent | None = None,
) -> HttpResponse:
    data = details.cleaned_data
    if changing is not None:
        data = {
            **data,
            "recipient_name": changing.recipient_name,
            "recipient_email": changing.recipient_email,
            "recipient_relationship": changing.recipient_relationship,
        }
    discloser = patient.program.legal_name if patient.program else ""
    form_version = ConsentFormVersion.current()
    shown = form_version.text_in()  # the signer's active language, or the English original with a note
    if sign.is_bound:  # the page always posts the language of the text on it
        sign.data = {**sign.data.dict(), "form_language": shown.language}  # type: ignore[attr-defined]
    else:
        sign.initial["form_language"] = shown.language
    context = {
        "changing": changing,
        "patient": patient,
        "details": details,
        "form": sign,
        "form_version": form_version,
        "form_text": shown,
        "summary": details.sign_summary(discloser)
        if isinstance(details, CriminalJusticeDetailsForm)
        else {
            "recipient_name": data["recipient_name"],
            "recipient_email": data["recipient_email"],
            "recipient_relationship": data["recipient_relationship"],
            "scopes": [SCOPE_FOR_PATIENT[code] for code in data["scopes"]],
            "purpose": dict(details.fields["purpose"].choices).get(data["purpose"], ""),  # type: ignore[attr-defined]
            "expires_on": data["expires_on"],
            "end_at_discharge": data["end_at_discharge"],
            "discloser": discloser,
        },
        "urls": urls,
    }
    return render(request, "consent/grant_sign.html", context)


def revoke(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Stop sharing: a written revocation in the portal, effective the moment it is saved (§ 2.31(a)(6))."""
    consent = visible_or_404(
        request,
        Consent.objects.filter(patient__in=patients_acted_for(request.user)).select_related("patient"),
        consent_id,
    )
    return with_reauthentication(request, _revoke, consent)


def _revoke(request: HttpRequest, consent: Consent) -> HttpResponse:
    urls = _patient_urls(consent.patient, request.user)
    if consent.revoked_at is not None or consent.ended_at is None or consent.ended_at <= timezone.now():
        messages.info(request, _("Sharing with %(name)s has already ended.") % {"name": consent.recipient_name})
        return redirect(urls["my_sharing"])
    form = RevokeForm(request.POST or None)
    still = scopes_still_covered(consent)
    if request.method == "POST" and form.is_valid():
        try:
            revoke_consent(consent=consent, actor=request.user, request=request)  # type: ignore[arg-type]
        except ValidationError as exc:  # § 2.35(c): not revocable yet; nothing was written
            form.add_error(None, exc.messages)
            _audit_refused_revocation(request, consent)
            return render(request, "consent/revoke.html", _revoke_context(consent, form, urls, still))
        if still:
            messages.success(
                request,
                _("This consent has stopped. %(name)s can still see what your other consent covers.")
                % {"name": consent.recipient_name},
            )
        else:
            messages.success(
                request,
                _("Sharing with %(name)s has stopped. From now on they cannot see your information.")
                % {"name": consent.recipient_name},
            )
        return redirect(urls["my_sharing"])
    return render(request, "consent/revoke.html", _revoke_context(consent, form, urls, still))


def _revoke_context(consent: Consent, form: RevokeForm, urls: dict, still: list[str]) -> dict:
    locked = None if consent.may_be_revoked() else not_yet_revocable(consent)
    return {
        "consent": consent,
        "form": form,
        "urls": urls,
        "still": [SCOPE_FOR_PATIENT[c] for c in still],
        "locked": locked,
    }


def _audit_refused_revocation(request: HttpRequest, consent: Consent) -> None:
    """A refused attempt is audited like other refusals (the consent itself is untouched)."""
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=_signer(request),
        patient=consent.patient,
        request=request,
        data={"event": "revocation_refused", "consent": str(consent.pk)},
    )


def history(request: PortalRequest, patient_id: int | None = None) -> HttpResponse:
    """Who saw what, when: every disclosure of the last 3 years (§ 2.25), repeats on one day on one line."""
    patient = acted_patient_or_404(request, patient_id)
    tz = request.user.tz  # the viewer's days and clock (patient or representative)
    page = Paginator(accounting_by_day(patient, tz), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "patient": patient,
        "page": page,
        "rows": same_day_views(page.object_list),
        "tz": tz,
        "urls": _patient_urls(patient, request.user),
    }
    return render(request, "consent/history.html", context)


def consent_detail(request: HttpRequest, consent_id: str) -> HttpResponse:
    """One consent with every § 2.31 element and its history, for its giver and the patient's care team."""
    consent = visible_or_404(
        request,
        managed_consents(request.user).select_related(
            "patient", "program", "recipient", "form_version", "recorded_by", "reviewed_by", "signed_by"
        ),
        consent_id,
    )
    user = request.user
    is_staff = isinstance(user, User) and user.is_care_staff
    context = {
        "consent": consent,
        "events": list(consent.events.select_related("actor")),
        "invitations": list(consent.invitations.all()),
        "is_staff": is_staff,
        "is_giver": not is_staff,
        "can_review": is_staff
        and consent.review_status == Consent.ReviewStatus.PENDING
        and consent.recorded_by_id != user.pk,
        "is_active": consent.is_effective(),
        "urls": _patient_urls(consent.patient, user),
    }
    return render(request, "consent/consent_detail.html", context)


def consent_print(request: HttpRequest, consent_id: str) -> HttpResponse:
    """A printable copy of a consent: for its giver, the care team, and the recipient while it is effective."""
    select = ("patient", "program", "recipient", "form_version")
    consent = (
        managed_consents(request.user).select_related(*select).filter(pk=consent_id).first()
        or effective_consents_for(request.user).select_related(*select).filter(pk=consent_id).first()
    )
    if consent is None:
        refuse(request, consent_id)
    is_recipient = consent.recipient_id == request.user.pk
    with translation.override(consent.form_language):  # the copy reads as it was signed, in the signed language
        context = {
            "consent": consent,
            "is_recipient": is_recipient,
            "summary": summary_for_family(consent) if is_recipient else None,
            "form_text": consent.form_text(),
        }
    # The page around the copy (header, menu, footer) stays in the reader's language; the template renders the
    # copy itself in the signed language, marked with its ``lang``.
    return render(request, "consent/consent_print.html", context)


def _patient_urls(patient: User, viewer: object) -> dict[str, str]:
    """Links for the patient's own pages, or for the representative's copies of them."""
    if getattr(viewer, "pk", None) == patient.pk:
        return {
            "my_sharing": reverse("consent:my_sharing"),
            "grant": reverse("consent:grant"),
            "grant_court": reverse("consent:grant_court"),
            "history": reverse("consent:history"),
        }
    return {
        "my_sharing": reverse("consent:my_sharing_for", args=[patient.pk]),
        "grant": reverse("consent:grant_for", args=[patient.pk]),
        "grant_court": reverse("consent:grant_court_for", args=[patient.pk]),
        "history": reverse("consent:history_for", args=[patient.pk]),
    }
