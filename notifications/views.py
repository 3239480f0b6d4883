"""Pages: text-message settings (everyone), the short-link redirect, and the staff outbox."""

from __future__ import annotations

import uuid
from typing import Any, cast

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from consent.gate import visible_patients
from consent.models import Scope
from family_portal.staff_guard import staff_required
from notifications import phones
from notifications.forms import ConfirmCodeForm, OptInForm, PhoneNumberForm
from notifications.models import OutboxMessage, OutboxQuerySet, ShortLink, SmsPhone
from notifications.services import requeue_dead
from notifications.worker import SENSITIVE_TEMPLATES

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    """The signed-in user (LoginRequiredMiddleware guarantees one on every view here)."""
    return cast(User, request.user)


# --- text-message settings ------------------------------------------------------------------------------------
def user_phone(user: User, *, fresh: bool = False) -> SmsPhone | None:
    """The user's phone: from the request user's joined row (accounts/backends.py) when loaded, else one query.
    ``fresh`` always asks the database (the settings page, which may render right after a change)."""
    if fresh:
        return SmsPhone.objects.filter(user=user).first()
    try:
        return user.sms_phone
    except SmsPhone.DoesNotExist:
        return None


def phone_status(user: User, *, fresh: bool = False) -> dict[str, Any]:
    """What the settings page and the dashboard card say about the user's texts."""
    phone = user_phone(user, fresh=fresh)
    if phone is None:
        return {"phone": None, "state": "none"}
    opted_out = phones.is_opted_out(phone.e164)
    if not phone.verified_at:
        state = "unconfirmed"
    elif opted_out:
        state = "stopped"
    elif not phone.sms_capable:
        state = "not_capable"
    elif phone.opted_in_at:
        state = "on"
    else:
        state = "off"
    return {"phone": phone, "state": state, "display": phones.display_phone(phone.e164)}


def _render_phone_page(request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    context = phone_status(_user(request), fresh=True)
    context.update(
        number_form=forms.get("number_form") or PhoneNumberForm(),
        code_form=forms.get("code_form") or ConfirmCodeForm(),
        opt_in_form=forms.get("opt_in_form") or OptInForm(),
    )
    return render(request, "notifications/phone.html", context, status=status)


@require_GET
def phone(request: HttpRequest) -> HttpResponse:
    """Text-message settings: add and confirm a number, turn texts on or off."""
    return _render_phone_page(request)


def _has_phone(request: HttpRequest) -> bool:
    return SmsPhone.objects.filter(user=_user(request)).exists()


@require_POST
@reauthentication_required(enabled=_has_phone)
def phone_number(request: HttpRequest) -> HttpResponse:
    """Add a number, or change it (changing asks for the password again)."""
    form = PhoneNumberForm(request.POST)
    if form.is_valid():
        try:
            phones.set_phone(user=_user(request), raw_number=form.cleaned_data["number"])
        except ValidationError as exc:
            form.add_error("number", exc)
        else:
            messages.success(request, _("We texted you a 6-digit code. Enter it below to confirm your number."))
            return redirect("notifications:phone")
    return _render_phone_page(request, status=400, number_form=form)


@require_POST
def phone_confirm(request: HttpRequest) -> HttpResponse:
    form = ConfirmCodeForm(request.POST)
    if form.is_valid():
        try:
            phones.confirm_phone(user=_user(request), code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(request, _("Your number is confirmed."))
            return redirect("notifications:phone")
    return _render_phone_page(request, status=400, code_form=form)


@require_POST
def phone_resend(request: HttpRequest) -> HttpResponse:
    try:
        phones.send_confirmation_code(user=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("We texted you a new code."))
    return redirect("notifications:phone")


@require_POST
def phone_opt_in(request: HttpRequest) -> HttpResponse:
    form = OptInForm(request.POST)
    if form.is_valid():
        try:
            phones.opt_in_to_texts(user=_user(request), wording=form.cleaned_data["wording"])
        except ValidationError as exc:
            form.add_error("agree", exc)
        else:
            messages.success(request, _("Text reminders are on. Reply STOP to any text to turn them off."))
            return redirect("notifications:phone")
    return _render_phone_page(request, status=400, opt_in_form=form)


@require_POST
def phone_opt_out(request: HttpRequest) -> HttpResponse:
    phones.opt_out_of_texts(user=_user(request))
    messages.success(request, _("Texts are off. We will send reminders by email instead."))
    return redirect("notifications:phone")


@require_POST
def phone_remove(request: HttpRequest) -> HttpResponse:
    phones.remove_phone(user=_user(request))
    messages.success(request, _("Your number is removed. We will send reminders by email instead."))
    return redirect("notifications:phone")


# --- short links ----------------------------------------------------------------------------------------------
@require_GET
def go(request: HttpRequest, token: str) -> HttpResponse:
    """Follow a short link from a text (login required; the target page applies the consent gate)."""
    link = get_object_or_404(ShortLink, token=token)
    if not url_has_allowed_host_and_scheme(link.path, allowed_hosts=None):
        return redirect("dashboard")
    return HttpResponseRedirect(link.path)


# --- staff outbox ---------------------------------------------------------------------------------------------
def outbox_rows_for(user: User) -> QuerySet[OutboxMessage]:
    """Rows a staff member may see: counselors their caseload's, program admins their program's (AZ-03)."""
    rows = OutboxMessage.objects.select_related("recipient", "patient")
    if user.is_program_admin:
        return rows.filter(Q(patient__program_id=user.program_id) | Q(patient__isnull=True))
    if user.is_counselor:
        return rows.filter(patient__in=visible_patients(user, Scope.SCHEDULE))
    return rows.none()


@staff_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """Texts and emails for the staff member's patients: state, attempts, errors; dead rows can be requeued."""
    rows = outbox_rows_for(_user(request))
    state = request.GET.get("state", "")
    if state == "attention":
        rows = cast(OutboxQuerySet, rows).needing_attention()
    elif state in OutboxMessage.State.values:
        rows = rows.filter(state=state)
    page = Paginator(rows.order_by("-created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "state": state,
            "states": OutboxMessage.State.choices,
            "sensitive_templates": SENSITIVE_TEMPLATES,
        },
    )


@staff_required
def outbox_requeue(request: HttpRequest, row_id: uuid.UUID) -> HttpResponse:
    """Give a dead row another set of attempts. Rows outside the staff member's scope are 404 (AZ-03), checked
    before the method so the URL cannot be probed."""
    row = get_object_or_404(outbox_rows_for(_user(request)), pk=row_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if requeue_dead(rows=[row], actor=_user(request)):
        messages.success(request, _("The message is queued again."))
    else:
        messages.error(request, _("Only messages that gave up can be queued again."))
    return redirect("notifications:outbox")
