"""The signed-in person's own account page."""

from __future__ import annotations

from typing import cast

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm
from accounts.models import User


def profile(request: HttpRequest) -> HttpResponse:
    """Name, time zone and links to security settings (password, two-step verification, passkeys, devices)."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details were saved."))
        return redirect("accounts:profile")
    from notifications.push_views import push_context

    passkeys = Authenticator.objects.filter(user=request.user, type=Authenticator.Type.WEBAUTHN).count()
    context = {"form": form, "passkey_count": passkeys, **push_context(cast(User, request.user))}
    return render(request, "accounts/profile.html", context)
