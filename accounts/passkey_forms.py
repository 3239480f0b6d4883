"""The "add a passkey" form: a passkey added here also signs its owner in on its own, unless they untick it."""

from __future__ import annotations

from typing import Any

from allauth.mfa.webauthn.forms import AddWebAuthnForm
from django.utils.translation import gettext_lazy as _


class PortalAddWebAuthnForm(AddWebAuthnForm):
    """allauth's form with "passwordless" ticked by default and said in plain words.

    A passwordless key must check a fingerprint, face or PIN (user verification) and is stored on the device
    (a resident key), which is what lets "Use a passkey" on the sign-in page find the account.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("passwordless", True)
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name for this passkey")
        self.fields["name"].help_text = _("For example the phone or computer it is on.")
        if "passwordless" in self.fields:
            self.fields["passwordless"].label = _("Also use this passkey to sign in without a password")
            self.fields["passwordless"].help_text = _(
                "The phone or computer will ask for your fingerprint, face or screen-lock PIN each time."
            )
