"""Which programs a person is linked to, for the staff-name rule (AUTH-13): a question about names, not access."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.models import User
from accounts.names import register_program_links
from consent.models import Consent, PersonalRepresentative


@register_program_links
def linked_program_ids(user: User) -> Any:
    """The programs of the patients ``user`` is named for on any consent or represents, in any state: a name
    taken while a consent was paused must not surface when it is granted again."""
    consents = Consent.objects.filter(recipient_id=user.pk).values("patient_id")
    represented = PersonalRepresentative.objects.filter(representative_id=user.pk).values("patient_id")
    patients = User.objects.filter(Q(pk__in=consents) | Q(pk__in=represented))
    return patients.values("program_id")


def program_family_ids(program_id: Any) -> Any:
    """The ids (a subquery) of the family members named on a consent of a patient of the program, in any state, or
    representing one: who counts as the program's families in aggregate figures (never an access decision)."""
    consents = Consent.objects.filter(patient__program_id=program_id, recipient__isnull=False).values("recipient_id")
    represented = PersonalRepresentative.objects.filter(patient__program_id=program_id).values("representative_id")
    return User.objects.filter(Q(pk__in=consents) | Q(pk__in=represented)).values("pk")


def approved_family_ids(patient_ids: Any, *, education_only: bool = False) -> Any:
    """The ids (a subquery) of the family members named on an approved consent of one of ``patient_ids``, in any
    state since (``education_only``: one whose consent includes education): who counts as a group of patients'
    families in aggregate figures, such as program insights (never an access decision)."""
    consents = Consent.objects.filter(
        patient_id__in=patient_ids,
        recipient_kind=Consent.RecipientKind.FAMILY,
        recipient__isnull=False,
        approved_at__isnull=False,
    )
    if education_only:
        consents = consents.filter(scope_education=True)
    return consents.values("recipient_id")
