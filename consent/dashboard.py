"""Dashboard cards: the patient's sharing, the counselor's consent tasks, the family member's "what you can see".

A learner's card is the same empty state as anyone's with nothing shared: it never mentions a patient."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.gate import care_team_patients
from consent.models import Consent
from consent.welcome import pop_welcome
from family_portal.dashboard import Card, effective_consents

EXPIRING_DAYS = 14


def cards(request: HttpRequest) -> list[Card]:
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        return []
    if user.is_patient:
        return [_patient_card(user)]
    if user.is_care_staff:
        return [_staff_card(user)]
    return [_family_card(request)]


def _patient_card(user: User) -> Card:
    now = timezone.now()
    consents = list(Consent.objects.filter(patient=user).filter(revoked_at__isnull=True, expires_at__gt=now))
    active = [consent for consent in consents if consent.is_effective(now)]
    context = {
        "active_count": len(active),
        "expiring_soon": [c for c in active if c.expires_at <= now + timedelta(days=EXPIRING_DAYS)],
        "pending_count": sum(1 for c in consents if c.review_status == Consent.ReviewStatus.PENDING),
    }
    return Card(title=_("Your sharing"), template="consent/cards/patient.html", context=context, order=10)


def _staff_card(user: User) -> Card:
    patients = care_team_patients(user)
    expiring = (
        Consent.objects.expiring_within(EXPIRING_DAYS)
        .filter(patient__in=patients)
        .select_related("patient")
        .order_by("expires_at")[:20]
    )
    pending = Consent.objects.pending_review().filter(patient__in=patients).exclude(recorded_by=user).count()
    context = {"expiring": list(expiring), "pending_count": pending}
    return Card(title=_("Consents"), template="consent/cards/counselor.html", context=context, order=10)


def _family_card(request: HttpRequest) -> Card:
    context = {"consents": effective_consents(request), "welcome": pop_welcome(request)}
    return Card(title=_("What you can see"), template="consent/cards/family.html", context=context, order=10)
