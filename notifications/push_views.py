"""The account page's push endpoints: subscribe this device, unsubscribe it, choose the kinds of notices.

``subscribe`` and ``unsubscribe`` take the JSON ``static/js/push.js`` posts (CSRF-protected like every POST); a body
that is not a browser's subscription answers 400 and saves nothing. Preferences are an ordinary form.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from notifications.models import PushPreferences
from notifications.push import (
    InvalidSubscription,
    preferences_for,
    push_available,
    remove_subscription,
    save_subscription,
    validate_subscription,
)

MAX_BODY_BYTES = 4096


class PushPreferencesForm(forms.ModelForm):
    class Meta:
        model = PushPreferences
        fields = ("new_messages", "session_changes", "reminders")
        labels = {
            "new_messages": gettext_lazy("New messages"),
            "session_changes": gettext_lazy("Changes to your appointments"),
            "reminders": gettext_lazy("Appointment reminders"),
        }


def push_context(user: User) -> dict[str, Any]:
    """What the account page needs for its "Notifications on this device" section (one query)."""
    if not push_available():
        return {"push_available": False}
    return {
        "push_available": True,
        "push_form": PushPreferencesForm(instance=preferences_for(user)),
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
    }


def _json_body(request: HttpRequest) -> Any:
    if len(request.body) > MAX_BODY_BYTES:
        raise InvalidSubscription("Body too large.")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidSubscription("Body is not JSON.") from None


def _refused(error: InvalidSubscription) -> JsonResponse:
    return JsonResponse({"error": str(error)}, status=400)


@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Store this device's subscription for the signed-in person, tied to this sign-in (signing out removes it)."""
    if not push_available():
        raise Http404
    try:
        data = validate_subscription(_json_body(request))
    except InvalidSubscription as error:
        return _refused(error)
    save_subscription(user=cast(User, request.user), session_key=request.session.session_key or "", data=data)
    return JsonResponse({"ok": True}, status=201)


@require_POST
def unsubscribe(request: HttpRequest) -> HttpResponse:
    """Turn push off on this device (the browser unsubscribes itself too)."""
    try:
        body = _json_body(request)
    except InvalidSubscription as error:
        return _refused(error)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _refused(InvalidSubscription("endpoint is missing."))
    remove_subscription(user=cast(User, request.user), endpoint=endpoint)
    return JsonResponse({"ok": True})


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Save which kinds of notices the person wants by push."""
    user = cast(User, request.user)
    form = PushPreferencesForm(request.POST, instance=preferences_for(user))
    if not form.is_valid():
        return HttpResponse(status=400)
    form.save()
    messages.success(request, _("Your notification choices were saved."))
    return redirect("accounts:profile")
