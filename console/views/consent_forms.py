"""Consent form versions: every version, the full text of one, and publishing a new one (never editing)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from consent.models import ConsentFormTranslation, ConsentFormVersion
from console import services
from console.forms import ConsentFormVersionForm
from console.views.common import admin_of, after_reauthentication, console_view
from family_portal.form_errors import show_errors
from family_portal.staff_guard import refuse


def _current_pk() -> int | None:
    current = ConsentFormVersion.objects.filter(effective_from__lte=timezone.now()).first()
    return current.pk if current else None


@console_view
@require_safe
def consent_forms(request: HttpRequest) -> HttpResponse:
    spanish = ConsentFormTranslation.objects.filter(form_version=OuterRef("pk"), language="es")
    versions = list(
        ConsentFormVersion.objects.defer("text").annotate(has_spanish=Exists(spanish)).order_by("-effective_from")
    )
    context = {"versions": versions, "current_pk": _current_pk(), "now": timezone.now()}
    return render(request, "console/consent_forms.html", context)


@console_view
@require_safe
def consent_form_detail(request: HttpRequest, form_id: int) -> HttpResponse:
    version = ConsentFormVersion.objects.filter(pk=form_id).first()
    if version is None:
        refuse(request, form_id)
    context = {
        "version": version,
        "spanish": _spanish_text(version),
        "is_current": version.pk == _current_pk(),
        "now": timezone.now(),
    }
    return render(request, "console/consent_form_detail.html", context)


@console_view
@require_http_methods(["GET", "POST"])
def consent_form_new(request: HttpRequest) -> HttpResponse:
    return after_reauthentication(request, _consent_form_new)


def _spanish_text(version: ConsentFormVersion) -> str:
    spanish = version.text_in("es")
    return "" if spanish.is_fallback else spanish.text


def _consent_form_new(request: HttpRequest) -> HttpResponse:
    current = ConsentFormVersion.objects.filter(effective_from__lte=timezone.now()).first()
    initial = {"text": current.text, "text_es": _spanish_text(current)} if current else {}
    form = ConsentFormVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.publish_consent_form(admin=admin_of(request), request=request, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Consent form %(version)s was published.") % {"version": version.version})
            return redirect("console:consent_forms")
    return render(request, "console/consent_form_new.html", {"form": form, "current": current})
