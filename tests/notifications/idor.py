"""Object URLs of notifications for the cross-app IDOR matrix: each must be 404 to outsiders, unassigned counselors
and learners."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from notifications.models import OutboxMessage
from notifications.services import enqueue_message


def object_urls(owner_patient: User) -> list[str]:
    recipient = User.objects.create_user(
        f"idor-notify-{owner_patient.pk}@example.org", "x-unused-password", role=User.Role.FAMILY
    )
    row = enqueue_message(
        recipient=recipient,
        template_key="new_message",
        idempotency_key=f"idor:{owner_patient.pk}",
        context={"link": "https://portal.example.org/notifications/go/x"},
        patient=owner_patient,
        scope="messaging",
        channel=OutboxMessage.Channel.EMAIL,
    )
    assert row is not None
    OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxMessage.State.DEAD)
    return [reverse("notifications:outbox_requeue", args=[row.pk])]
