"""Conversations: the care-team and private conversations each viewer is entitled to, direct conversations,
and whether a conversation is open for both sides."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from accounts.models import User
from consent import policy
from consent.gate import (
    acts_as_patient,
    effective_consent,
    visible_patient_ids,
    visible_patients,
)
from consent.models import Scope
from family_portal.prepared import Prepared
from messaging.access import can_participate, participant_ids
from messaging.inbox_queries import messaging_recipients, users_by_id
from messaging.models import Conversation, Participant


def ensure_care_team_conversations(viewer: Any, *, existing: set[int] | None = None) -> bool:
    """Create the shared family thread (kind ``CARE_TEAM``) of every patient ``viewer`` may message about and that
    has none yet; True when any was missing.

    ``existing``: the patients whose shared thread the caller has just listed, so finding what is missing costs no
    query inside a read-only request; otherwise one query. ``ignore_conflicts`` makes concurrent page loads
    harmless.
    """
    if not (viewer.is_counselor or viewer.is_family or viewer.is_patient):
        return False
    if existing is not None:
        missing = sorted(visible_patient_ids(viewer, Scope.MESSAGING) - existing)[:200]
    else:
        has_thread = Conversation.objects.filter(patient=OuterRef("pk"), kind=Conversation.Kind.CARE_TEAM)
        missing = list(
            visible_patients(viewer, Scope.MESSAGING).exclude(Exists(has_thread)).values_list("pk", flat=True)[:200]
        )
    if missing:
        Conversation.objects.bulk_create(
            [Conversation(kind=Conversation.Kind.CARE_TEAM, patient_id=pk) for pk in missing], ignore_conflicts=True
        )
    return bool(missing)


def care_team_conversation(patient: User) -> Conversation:
    """The patient's shared family thread (kind ``CARE_TEAM``), created on first use."""
    conversation, _ = Conversation.objects.get_or_create(patient=patient, kind=Conversation.Kind.CARE_TEAM)
    return conversation


def ensure_private_conversations(member: Any, *, existing: set[int] | None = None) -> bool:
    """Create a family member's private conversation with the care team for every patient they may message about
    and that has none yet: their default conversation (MSG-01). True when any was missing.

    ``existing``: the patients whose private conversation the caller has just listed (no query then, inside a
    read-only request); otherwise one query. The relationship shown to staff comes from the consent relied on."""
    if not getattr(member, "is_family", False):
        return False
    patients = visible_patient_ids(member, Scope.MESSAGING)
    if existing is None:
        existing = set(
            Conversation.objects.filter(
                kind=Conversation.Kind.FAMILY_PRIVATE, member=member, patient_id__in=patients
            ).values_list("patient_id", flat=True)
        )
    missing = sorted(patients - existing)[:200]
    if missing:
        Conversation.objects.bulk_create(
            [
                Conversation(
                    kind=Conversation.Kind.FAMILY_PRIVATE,
                    patient_id=pk,
                    member=member,
                    member_relationship=_relationship(member, pk),
                )
                for pk in missing
            ],
            ignore_conflicts=True,
        )
    return bool(missing)


def private_conversation(member: User, patient: User) -> Conversation:
    """``member``'s private conversation with ``patient``'s care team, created on first use. Who may open it is
    still the gate's answer (``can_participate``)."""
    conversation, _ = Conversation.objects.get_or_create(
        kind=Conversation.Kind.FAMILY_PRIVATE,
        patient=patient,
        member=member,
        defaults={"member_relationship": _relationship(member, patient.pk)},
    )
    return conversation


def _relationship(member: Any, patient_id: int) -> str:
    consent = effective_consent(member, patient_id, Scope.MESSAGING)
    if consent is not None and consent.recipient_relationship:
        return consent.recipient_relationship[:80]
    if acts_as_patient(member, patient_id):
        return "Personal representative"
    return ""


def direct_partner_options(viewer: Any) -> list[tuple[User, User]]:
    """``(patient, person)`` pairs ``viewer`` may start a one-to-one with: a counselor's family contacts who may
    see the patient's messages (a consent or an authority), or a family member's assigned counselors. Each pair
    is re-checked by the gate when started. Three queries whatever their number."""
    if viewer.is_counselor:
        grants = [policy.CONSENT, policy.REPRESENTATIVE]
    elif viewer.is_family:
        grants = [policy.CASELOAD]
    else:
        return []
    patient_ids = visible_patient_ids(viewer, Scope.MESSAGING)
    by_patient = messaging_recipients(patient_ids, grants)  # recipients_by_patient, its SQL compiled once
    people = users_by_id({pk for ids in by_patient.values() for pk in ids} | set(by_patient))
    pairs = [(people[p], people[person]) for p, ids in by_patient.items() for person in ids if person != viewer.pk]
    return sorted(pairs, key=lambda pair: (pair[0].full_name, pair[0].pk, pair[1].full_name, pair[1].pk))


@transaction.atomic
def start_direct_conversation(*, starter: User, patient: User, other: User) -> Conversation:
    """Open (or reuse) the one-to-one between a counselor and a family member about ``patient``; both must pass
    the gate for the patient's messaging scope now."""
    counselor, family = (starter, other) if starter.is_counselor else (other, starter)
    if not (counselor.is_counselor and family.is_family):
        raise PermissionDenied("A one-to-one is between a counselor and a family member.")
    key = f"{patient.pk}:{counselor.pk}:{family.pk}"
    conversation = Conversation.objects.filter(direct_key=key).first()
    if conversation is None:
        conversation = Conversation(kind=Conversation.Kind.DIRECT, patient=patient, direct_key=key)
        conversation.full_clean()
        conversation.save()
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user=counselor),
                Participant(conversation=conversation, user=family),
            ]
        )
    if not (can_participate(counselor, conversation) and can_participate(family, conversation)):
        raise PermissionDenied("Not allowed")
    return conversation


def is_open_for_both(conversation: Conversation, viewer: Any, readers: frozenset[int] | None = None) -> bool:
    """Whether ``viewer`` may still write: a shared family thread always; a private conversation while its family
    member may take part; a one-to-one while the other person may. ``readers``: ``participant_ids`` when the
    caller has them (no query then, with the seats prefetched)."""
    if conversation.is_shared:
        return True
    readers = participant_ids(conversation) if readers is None else readers
    seats = {seat.user_id for seat in conversation.participants.all()}
    return open_with(conversation, viewer.pk, seats, readers)


def open_with(conversation: Conversation, writer_id: int, seats: set[int], readers: frozenset[int]) -> bool:
    """``is_open_for_both`` on facts already loaded: the conversation's ``seats`` and who may read (``readers``)."""
    if conversation.is_shared:
        return True
    if conversation.is_private:
        return conversation.member_id in readers
    return seats - {writer_id} <= readers


def closed_text(conversation: Conversation) -> str:
    """Why a conversation no longer takes messages, and where to write instead."""
    if conversation.is_private:
        return gettext("This conversation is closed because the family member can no longer take part.")
    return gettext(
        "This one-to-one is closed because the other person can no longer take part. Family members can write "
        "in their private conversation with the care team instead."
    )


_SEATS = Prepared(
    lambda pk: Participant.objects.filter(conversation_id=pk).values_list("user_id", flat=True), pk=uuid.UUID
)


def seat_user_ids(conversation: Conversation) -> set[int]:
    """Everyone with a seat in the conversation, one query (its SQL compiled once: asked on every message)."""
    return set(_SEATS.rows(pk=conversation.pk))
