"""A family member's own weekly wellbeing check-in (PHQ-4 and one confidence item), and whom they shared it with.

A check-in is the family member's information, never the patient's: it is not read through the consent gate as a
disclosure about a patient, is never written to the consent ledger, and no patient or representative view shows it.
Only its author reads it, and a counselor reads it only while a ``CheckInShare`` names them (the author ticked
"share with the care team"; ``accounts.checkin_sharing``). Scoring lives in ``accounts.checkins``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

PHQ_ITEM = [MinValueValidator(0), MaxValueValidator(3)]
CONFIDENCE_ITEM = [MinValueValidator(1), MaxValueValidator(5)]


class WellbeingCheckIn(models.Model):
    """One week's answers of one family member (one row per member and week: answering again replaces it)."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wellbeing_checkins")
    week_start = models.DateField(help_text="The Monday of the member's week (in their time zone).")
    nervous = models.PositiveSmallIntegerField(validators=PHQ_ITEM)
    worrying = models.PositiveSmallIntegerField(validators=PHQ_ITEM)
    down = models.PositiveSmallIntegerField(validators=PHQ_ITEM)
    little_interest = models.PositiveSmallIntegerField(validators=PHQ_ITEM)
    confidence = models.PositiveSmallIntegerField(validators=CONFIDENCE_ITEM)
    shared_with_care_team = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["member", "week_start"], name="one_wellbeing_checkin_per_week"),
            models.CheckConstraint(
                condition=models.Q(nervous__lte=3, worrying__lte=3, down__lte=3, little_interest__lte=3),
                name="wellbeing_checkin_phq_items_0_to_3",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=1, confidence__lte=5), name="wellbeing_checkin_confidence_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk} ({self.week_start})"

    @property
    def answers(self) -> tuple[int, int, int, int]:
        """The four PHQ-4 answers in the instrument's order."""
        return (self.nervous, self.worrying, self.down, self.little_interest)


class CheckInShare(models.Model):
    """A check-in reached a counselor: the care team of a patient its author is connected to when it was shared.

    Rows exist only while the check-in is shared; unticking deletes them, which ends the counselor's access."""

    checkin = models.ForeignKey(WellbeingCheckIn, on_delete=models.CASCADE, related_name="shares")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="received_checkin_shares"
    )
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "counselor"], name="one_checkin_share_per_counselor"),
        ]

    def __str__(self) -> str:
        return f"share {self.pk} of check-in {self.checkin_id}"
