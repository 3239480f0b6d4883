"""The role a message's sender holds, as the server knows it (AUTH-13).

Shown next to every sender's name, on the page and in socket frames, so a family member who calls themselves by a
counselor's name still reads as "Family". Taken from the account's role, never from anything the sender typed.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class SenderRole(models.TextChoices):
    CARE_TEAM = "care_team", _("Care team")
    FAMILY = "family", _("Family")
    PATIENT = "patient", _("Patient")


def sender_role(user: Any) -> SenderRole:
    """Counselors and program admins speak for the care team; patients as themselves; everyone else as family."""
    if user.is_care_staff:
        return SenderRole.CARE_TEAM
    if user.is_patient:
        return SenderRole.PATIENT
    return SenderRole.FAMILY
