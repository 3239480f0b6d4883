"""Consent changes become notices to the family member a consent names (``consent.signals``; consent may not
import notifications, so it signals and this module listens)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.urls import reverse

from consent.signals import consent_ended, consent_granted, consent_replaced, consent_revocable
from notifications.notices import ACCESS_CHANGED, CONSENT_GRANTED, SHARING_CHANGED, send_notice, withdraw_notices


def _subject(consent: Any) -> str:
    return f"consent:{consent.pk}"


@receiver(consent_granted, dispatch_uid="notifications_consent_granted")
def notice_consent_granted(sender: Any, consent: Any, **kwargs: Any) -> None:
    """Tell the linked recipient that something is shared with them. The row names the patient and one of the
    consent's scopes, so the worker sends it only while the gate still lets them see it (JOB-05)."""
    scopes = consent.scopes
    if not consent.recipient_id or not scopes:
        return  # not linked yet: the invitation email is how they hear of it
    send_notice(
        recipient=consent.recipient,
        template_key=CONSENT_GRANTED,
        event=f"{_subject(consent)}:granted",
        link_path=reverse("consent:what_you_can_see"),
        program=consent.program,
        patient=consent.patient,
        scope=scopes[0],
        subject=_subject(consent),
    )


@receiver(consent_ended, dispatch_uid="notifications_consent_ended")
def notice_access_changed(sender: Any, consent: Any, **kwargs: Any) -> None:
    """Tell the linked recipient only that their access changed: no patient, no scope, nothing the ended consent
    covered. A "shared with you" notice of the same consent still waiting is withdrawn first."""
    if not consent.recipient_id:
        return
    withdraw_notices(subject=_subject(consent), template_keys=[CONSENT_GRANTED])
    forget_push_devices_without_consent(consent.recipient)
    send_notice(
        recipient=consent.recipient,
        template_key=ACCESS_CHANGED,
        event=f"{_subject(consent)}:ended",
        link_path=reverse("consent:what_you_can_see"),
        program=consent.program,
        subject=_subject(consent),
    )


@receiver(consent_replaced, dispatch_uid="notifications_consent_replaced")
def notice_consent_changed(sender: Any, consent: Any, replacement: Any, **kwargs: Any) -> None:
    """A change of scopes or end date is one event: the "shared with you" notice the replacement's signing queued
    is withdrawn, and the recipient is told once that their access changed (the same notice, and key, as when
    the old consent ends)."""
    withdraw_notices(subject=_subject(replacement), template_keys=[CONSENT_GRANTED])
    notice_access_changed(sender, consent=consent)


@receiver(consent_revocable, dispatch_uid="notifications_consent_revocable")
def notice_consent_revocable(sender: Any, consent: Any, **kwargs: Any) -> None:
    """Tell the patient that one of their sharing agreements changed (staff recorded the event after which a
    § 2.35(c) consent may be stopped). The text names no recipient, court or event: the page says what changed."""
    send_notice(
        recipient=consent.patient,
        template_key=SHARING_CHANGED,
        event=f"{_subject(consent)}:revocable",
        link_path=reverse("consent:consent_detail", args=[consent.pk]),
        program=consent.program,
        subject=_subject(consent),
    )


def forget_push_devices_without_consent(member: Any) -> int:
    """A family member whom no consent names any more can receive no push notice (each needs a patient's consent,
    re-checked at send time anyway): their devices' subscriptions are removed. Staff and patients keep theirs."""
    from accounts.models import User
    from consent.gate import effective_consents_for
    from notifications.models import PushSubscription

    if member.role != User.Role.FAMILY or effective_consents_for(member).exists():
        return 0
    deleted, _ = PushSubscription.objects.filter(user=member).delete()
    return deleted
