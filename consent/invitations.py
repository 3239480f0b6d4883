"""Family invitations: a single-use, expiring link to the person a consent names (consent-and-privacy § 10).

Only a SHA-256 of the token is stored. Linking happens only when someone holding the link signs in (or signs
up) with the invited, verified email address — never because an email address matches a consent.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.languages import supported_language
from accounts.models import User
from accounts.names import give_up_staff_names
from consent.audit import record_audit
from consent.models import INVITATIONS_PER_HOUR, AuditEvent, Consent, Invitation
from consent.welcome import remember_welcome
from family_portal.tokens import hash_token

SESSION_KEY = "consent_invitation_token"


class InvitationUnusable(Exception):
    """The link is unknown, expired, used, or its consent no longer allows it: one neutral answer for all."""


class InvitationWrongAccount(InvitationUnusable):
    """The signed-in account does not hold the invited, verified email address."""


def invitation_url(token: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse('consent:accept_invitation', args=[token])}"


@transaction.atomic
def send_invitation(
    *,
    consent: Consent,
    actor: User,
    request: HttpRequest | None = None,
    at: datetime | None = None,
    language: str | None = None,
) -> tuple[Invitation, str]:
    """Email the family member a consent names a single-use link; returns the row and the (unstored) token.

    The email is written in ``language`` (the sender's choice; by default the language the sender is using), and
    the link's landing page and the account made from it start in that language too.

    Only an effective family consent with no linked account may invite; at most five links per consent per hour.

    The limit counts the consent's ``Invitation`` rows, under the consent's row lock, rather than going through
    ``allauth.core.ratelimit`` (the sign-in limiter): that one needs a request (this service is also called without
    one, and at a given instant ``at``), counts attempts in the cache outside this transaction (a send that rolls
    back would still use up the allowance, and a cache flush or the per-process development cache resets it),
    and reads its rates from allauth's own ``ACCOUNT_RATE_LIMITS``. The rows are already the record of what was
    sent (tests/consent/test_invitations.py::test_the_invitation_limit_counts_what_was_sent)."""
    at = at or timezone.now()
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.recipient_kind != Consent.RecipientKind.FAMILY or not consent.recipient_email:
        raise ValidationError(_("This consent has no family email address to invite."))
    if consent.recipient_id is not None:
        raise ValidationError(_("This family member is already connected to the portal."))
    if not consent.is_effective(at):
        raise ValidationError(_("Only an active consent allows an invitation."))
    if consent.invitations.sent_since(at - timedelta(hours=1)).count() >= INVITATIONS_PER_HOUR:
        raise ValidationError(
            ngettext(
                "%(count)s invitation was already sent for this consent in the last hour. "
                "Please wait an hour before sending another.",
                "%(count)s invitations were already sent for this consent in the last hour. "
                "Please wait an hour before sending another.",
                INVITATIONS_PER_HOUR,
            )
            % {"count": INVITATIONS_PER_HOUR}
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        consent=consent,
        email=consent.recipient_email,
        token_hash=hash_token(token),
        created_by=actor,
        created_at=at,
        expires_at=at + timedelta(hours=settings.PORTAL_INVITATION_TTL_H),
        language=_invitation_language(language),
    )
    record_audit(
        kind=AuditEvent.Kind.INVITATION_SENT,
        actor=actor,
        patient=consent.patient,
        request=request,
        data={"consent": str(consent.pk), "invitation": str(invitation.pk)},
    )
    program = consent.program
    context = {
        "url": invitation_url(token),
        "ttl_hours": settings.PORTAL_INVITATION_TTL_H,
        "program_name": program.public_name,  # only a name the program chose to show families by email
        "verify_phone": program.phone_to_verify,
    }
    email, language = invitation.email, invitation.language
    transaction.on_commit(lambda: _mail_invitation(email, context, language), robust=True)
    return invitation, token


def _invitation_language(chosen: str | None) -> str:
    if chosen is not None:
        if not supported_language(chosen):
            raise ValidationError(_("Choose a language from the list."))
        return chosen
    return supported_language(translation.get_language()) or settings.LANGUAGE_CODE


def _mail_invitation(email: str, context: dict[str, Any], language: str) -> None:
    # No patient name, and no program name unless the program chose one to show families (``public_name``): a mail
    # may be read by others, and a program's legal name could reveal treatment (§ 2.13(c)). The landing page,
    # behind the single-use link, names the program either way.
    with translation.override(language):
        subject = render_to_string("consent/email/invitation_subject.txt", context).strip()
        body = render_to_string("consent/email/invitation_body.txt", context)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[email])


def usable_invitation(token: str, at: datetime | None = None) -> Invitation | None:
    """The invitation behind ``token`` if it can still be accepted, else ``None`` (one query either way)."""
    invitation = (
        Invitation.objects.filter(token_hash=hash_token(token), accepted_at__isnull=True)
        .select_related("consent__program")
        .first()
    )
    if invitation is None or not invitation.is_usable(at):
        return None
    if invitation.consent.recipient_id is not None or not invitation.consent.is_effective(at):
        return None
    return invitation


@transaction.atomic
def accept_invitation(
    *, token: str, user: User, request: HttpRequest | None = None, at: datetime | None = None
) -> Consent:
    """Link ``user`` as the consent's recipient: the link must be usable and the account must hold the invited,
    verified email address. Raises ``InvitationUnusable`` (or ``InvitationWrongAccount``)."""
    at = at or timezone.now()
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_usable(at):
        raise InvitationUnusable
    consent = Consent.objects.select_for_update().get(pk=invitation.consent_id)
    if consent.recipient_id is not None or not consent.is_effective(at):
        raise InvitationUnusable
    if not (user.is_active and user.is_family):
        raise InvitationUnusable
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise InvitationWrongAccount
    consent.recipient = user
    consent.save(update_fields=["recipient"])
    # The name the patient wrote on the consent, if they have none; never a staff member's name (AUTH-13). The
    # person can change it on their account page.
    give_up_staff_names(user, invited_name=consent.recipient_name)
    invitation.accepted_at = at
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record_audit(
        kind=AuditEvent.Kind.INVITATION_ACCEPTED,
        actor=user,
        patient=consent.patient,
        request=request,
        data={"consent": str(consent.pk), "invitation": str(invitation.pk)},
    )
    return consent


def remember_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    """Keep the token for the sign-up or sign-in that follows, and pre-fill (and vouch for) the invited email:
    whoever opened the link received it at that address."""
    request.session[SESSION_KEY] = token
    get_adapter(request).stash_verified_email(request, invitation.email)


def link_pending_invitation(request: HttpRequest, user: Any) -> None:
    """After any successful sign-in: accept the invitation this browser opened, if there is one."""
    session = getattr(request, "session", None)
    if session is None:
        return
    token = session.pop(SESSION_KEY, None)
    if not token:
        return
    session["account_verified_email"] = None
    try:
        consent = accept_invitation(token=token, user=user, request=request)
    except InvitationWrongAccount:
        messages.warning(request, WRONG_ACCOUNT_MESSAGE, fail_silently=True)
    except InvitationUnusable:
        messages.warning(request, UNUSABLE_MESSAGE, fail_silently=True)
    else:
        remember_welcome(request, consent)


WRONG_ACCOUNT_MESSAGE = gettext_lazy(
    "That invitation was sent to a different email address. Sign in with the account for that address, "
    "or ask for a new invitation."
)
UNUSABLE_MESSAGE = gettext_lazy(
    "This invitation link can't be used. It may have expired or already been used. "
    "Ask the person who invited you to send a new one."
)
