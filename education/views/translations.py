"""Counselor pages for translating a module version (``education.translating``): write, review, publish.

Care staff only (404 for everyone else), for the modules they may edit. The page translates the module's newest
version, every text beside its English; a translation in review is published with its version, or on its own
once the version is published.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from education import translating
from education.access import get_editable_module
from education.models import Module, ModuleVersion
from education.readability import EASE_MINIMUM
from education.translation_forms import TranslationForm, language_name
from education.views.time_zone import in_user_time_zone
from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required


def _version_to_translate(request: PortalRequest, slug: str, language: str) -> tuple[Module, ModuleVersion]:
    if language not in translating.translation_languages():
        raise Http404("Not found")
    module = get_editable_module(request.user, slug)
    version = module.versions.order_by("-number").first()
    if version is None or version.status == ModuleVersion.Status.ARCHIVED:
        raise Http404("Not found")
    return module, version


@staff_required
@require_http_methods(["GET", "POST"])
@in_user_time_zone
def translation_edit(request: PortalRequest, slug: str, language: str) -> HttpResponse:
    """The newest version's translation into ``language``: a form while it is a draft, read-only after."""
    module, version = _version_to_translate(request, slug, language)
    translation = version.translations.filter(language=language).first()
    form = TranslationForm(request.POST or None, version=version, translation=translation)
    if request.method == "POST":
        if translation is not None and not translation.is_editable:
            raise Http404("Not found")
        if form.is_valid():
            try:
                translation = translation or translating.start_translation(
                    version=version, language=language, author=request.user
                )
                translating.save_translation(translation=translation, content=form.content())
            except ValidationError as exc:
                for text in exc.messages:
                    messages.error(request, text)
            else:
                messages.success(request, _("Translation saved."))
                return redirect("education:translation", slug=slug, language=language)
    is_draft = translation is not None and translation.is_editable
    return render(
        request,
        "education/manage/translation.html",
        {
            "module": module,
            "version": version,
            "translation": translation,
            "language": language,
            "language_name": language_name(language),
            "form": form,
            "problems": translating.translation_problems(translation) if translation else [],
            "draft_ease": translating.translation_ease(translation) if is_draft and translation else None,
            "ease_minimum": EASE_MINIMUM,
            "may_publish": request.user.may_publish_content,
        },
    )


@staff_required
@require_POST
def translation_workflow(request: PortalRequest, slug: str, language: str, action: str) -> HttpResponse:
    """Send a translation for review, send it back, or publish it (when its version is already published)."""
    _module, version = _version_to_translate(request, slug, language)
    translation = version.translations.filter(language=language).first()
    if translation is None:
        raise Http404("Not found")
    try:
        if action == "submit":
            note = request.POST.get("reading_note", "")[:500]
            translating.submit_translation(translation=translation, author=request.user, reading_note=note)
            messages.success(request, _("Translation sent for review. It is published with its version."))
        elif action == "return":
            translating.return_translation(translation=translation, reviewer=request.user)
            messages.success(request, _("Translation sent back to draft for changes."))
        elif action == "publish":
            translating.publish_translation(translation=translation, publisher=request.user)
            messages.success(request, _("The translation is published."))
        else:
            raise Http404("Not found")
    except PermissionDenied:
        messages.error(request, _("Only a program admin or a content reviewer can do that."))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("education:translation", slug=slug, language=language)
