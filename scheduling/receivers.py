"""Scheduling's answers to consent events: a place in a full group is not kept for someone who can no longer see it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from consent.signals import consent_ended
from scheduling.services.places import release_places_no_longer_seen


@receiver(consent_ended, dispatch_uid="scheduling_release_places_on_consent_end")
def release_places_on_consent_end(sender: Any, consent: Any, **kwargs: Any) -> None:
    """When a consent ends, the family member it named gives up the places they held in upcoming sessions they can
    no longer see, and the first people waiting get them (and are told, through the outbox)."""
    if consent.recipient_id:
        release_places_no_longer_seen(consent.recipient)
