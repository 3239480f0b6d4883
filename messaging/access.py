"""Who may take part in a conversation, and for how long a socket may stay open.

``can_participate`` is the one access function for messaging: views, services and the consumer (at connect and on
every incoming frame) call it. It decides roles and membership; every question about the patient goes to
``consent.gate`` (AZ-02, WS-02, WS-03). ``participant_ids`` is its batch form (the same rules for everyone at once,
one query): a message's permitted recipients are decided when it is sent and travel in the group event, so a
delivery needs no query (performance plan §7.7). Taking part is not reading everything: a family member reads a
shared family thread only from the start of their own messaging consent (``reading_start``, ``withheld_from``;
MSG-01), wherever messages are read: the page, the socket's resume and deliveries, unread counts, offline notices.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet
from django.db.models.expressions import Expression
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.middleware import LOGIN_AT_KEY, SEEN_AT_KEY, session_passed_mfa
from accounts.models import User
from accounts.sessions import stored_session_data, user_with_stored_session
from consent import policy
from consent.gate import can_disclose, is_care_team_for, recipients
from consent.history import history_start
from consent.models import Scope
from family_portal.prepared import Prepared
from family_portal.tokens import hash_token
from messaging.models import Conversation, Message, Participant


def can_participate(
    user: Any, conversation: Conversation, at: datetime | None = None, *, seated: Collection[int] | None = None
) -> bool:
    """True when ``user`` may read and write ``conversation`` at ``at`` (default now). ``seated``: the ids of the
    users seated in it, when the caller has them loaded (a one-to-one then asks no query of its own).

    Shared family thread: the patient's counselors (caseload or break-glass), family members whose consent
    includes ``messaging`` or who act as the patient, and the patient when the program lets patients join.
    Private with the care team: its family member (the same gate) and the patient's counselors. One-to-one: its
    two participants, each still passing the gate for the patient. Program admins take part in no conversation.
    What a family member reads of a shared thread is narrowed further by ``reading_start`` (MSG-01).
    """
    if not _may_sit_in(user, conversation, seated):
        return False
    patient = conversation.patient
    if user.is_counselor:
        return is_care_team_for(user, patient, at)
    if user.is_family:
        return can_disclose(user, patient, Scope.MESSAGING, at)
    if user.is_patient and user.pk == patient.pk and conversation.is_shared:
        return _patients_join(conversation) and can_disclose(user, patient, Scope.MESSAGING, at)
    return False


def _may_sit_in(user: Any, conversation: Conversation, seated: Collection[int] | None = None) -> bool:
    """``can_participate`` before the gate: an active signed-in user, seated in a one-to-one, the family member
    of a private thread."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if conversation.kind == Conversation.Kind.DIRECT:
        if not (user.is_counselor or user.is_family):
            return False
        if seated is not None:
            if user.pk not in seated:
                return False
        elif not Participant.objects.filter(conversation=conversation, user=user).exists():
            return False
    return not (
        conversation.kind == Conversation.Kind.FAMILY_PRIVATE and user.is_family and user.pk != conversation.member_id
    )


def participant_ids(conversation: Conversation, at: datetime | None = None) -> frozenset[int]:
    """The ids of everyone who may take part in ``conversation`` at ``at`` (default now): ``can_participate`` for
    all users at once, in one query whatever their number. It decides deliveries, and the composer names these
    people as the readers of what is written (MSG-01).

    The gate answers who may see the patient's messages (``consent.gate.recipients``); messaging narrows it to
    the grants that take part: counselors through the caseload or break-glass, family members through a consent
    or an authority, the patient when their program lets patients join the shared thread; in a private thread,
    only its family member among the family; in a one-to-one, only its seated counselor and family member;
    program admins never.
    """
    grants = [policy.CASELOAD, policy.BREAK_GLASS, policy.REPRESENTATIVE, policy.CONSENT]
    among: Any = None
    if conversation.kind == Conversation.Kind.DIRECT:
        among = policy.Among.of(_seated, conversation=conversation.pk)
    elif conversation.kind == Conversation.Kind.FAMILY_PRIVATE:
        among = policy.Among.of(_counselors_and, member=conversation.member_id)
    elif _patients_join(conversation):
        grants.append(policy.SELF)
    return recipients(conversation.patient_id, Scope.MESSAGING, at, grants=grants, among=among)


def _seated(conversation: Any) -> QuerySet[Any]:
    """Who may take part in a one-to-one, at most: its two seats (``participant_ids``; compiled once)."""
    return Participant.objects.filter(conversation_id=conversation).values("user_id")


def _counselors_and(member: Any) -> QuerySet[Any]:
    """Who may take part in a private thread, at most: the counselors and its family member (``participant_ids``;
    compiled once)."""
    return User.objects.filter(Q(role=User.Role.COUNSELOR) | Q(pk=member)).values("pk")


def _patients_join(conversation: Conversation) -> bool:
    program = conversation.patient.program
    return bool(program and program.patients_join_care_team)


def reading_start(user: Any, conversation: Conversation, at: datetime | None = None) -> Expression | None:
    """From when ``user`` reads ``conversation``'s messages, as an SQL expression to compare ``created_at`` with,
    or ``None`` for the whole thread. A family member reads a shared family thread only from the start of their
    own messaging consent (``consent.history.history_start``; acting as the patient, everything); staff, the
    patient, and everyone in a private thread or a one-to-one read it all (MSG-01)."""
    if conversation.is_shared and getattr(user, "is_family", False):
        return history_start(user.pk, conversation.patient_id, Scope.MESSAGING, at)
    return None


def readable_messages(user: Any, conversation: Conversation, at: datetime | None = None) -> QuerySet[Message]:
    """``conversation``'s messages that ``user`` may read (``reading_start``), to be scoped further by the caller;
    the cut-off is part of the same query."""
    messages = Message.objects.filter(conversation_id=conversation.pk)
    start = reading_start(user, conversation, at)
    return messages if start is None else messages.filter(created_at__gte=start)


def withheld_from(conversation: Conversation, written_at: datetime, user_ids: Iterable[int]) -> frozenset[int]:
    """Of ``user_ids`` (who may take part), the family members who may not read a message of ``conversation``
    written at ``written_at``: it predates their own sharing (MSG-01). One query, none outside shared threads."""
    ids = list(user_ids)
    if not conversation.is_shared or not ids:
        return frozenset()
    starts = (
        User.objects.filter(pk__in=ids, role=User.Role.FAMILY)
        .annotate(start=history_start(OuterRef("pk"), conversation.patient_id, Scope.MESSAGING))
        .values_list("pk", "start")
    )
    return frozenset(pk for pk, start in starts if start is None or start > written_at)


def require_participant_among(user: Any, conversation: Conversation) -> frozenset[int]:
    """``require_participant`` answered with ``participant_ids``: raise ``PermissionDenied`` unless ``user`` may
    take part now, else return everyone who may (the recipients of what ``user`` is about to say), one query."""
    everyone = participant_ids(conversation)
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.pk in everyone):
        raise PermissionDenied("Not a participant")
    return everyone


def require_participant(user: Any, conversation: Conversation) -> None:
    """Raise ``PermissionDenied`` unless ``can_participate``."""
    if not can_participate(user, conversation):
        raise PermissionDenied("Not a participant")


def can_participate_now(user_id: int, conversation: Conversation) -> bool:
    """``can_participate`` with the user re-read from the database: a socket's user object is from the handshake
    and would not see a deactivation (WS-03, WS-04)."""
    user = User.objects.filter(pk=user_id).first()
    return user is not None and can_participate(user, conversation)


# --- Socket lifetime (WS-05, WS-11) -------------------------------------------------------------------------------

SESSION_ENDED = 4401
ACCESS_ENDED = 4403


class SessionEnded(Exception):
    """The socket's HTTP session is over: signed out, ended from another device or by an admin, expired, or
    predating a password change. The socket closes with 4401 (WS-11)."""


def session_group_suffix(session_key: str) -> str:
    """A stable, non-secret name for a session (group names travel through Redis)."""
    return hash_token(session_key)[:40]


def socket_deadline(session_key: str, user: User) -> datetime | None:
    """When the socket must close: the HTTP session's idle expiry or the absolute cap since login, whichever comes
    first (AUTH-10). ``None`` when the session is gone, belongs to someone else, or predates a password change.
    Read from the session's row, never from the cached copy, which outlives a row deleted without a signal."""
    return session_deadline(stored_session_data(session_key), user)  # {} when missing or expired


def session_deadline(data: Mapping[str, Any], user: User) -> datetime | None:
    """``socket_deadline`` for session data already loaded."""
    if not data or str(data.get(SESSION_KEY)) != str(user.pk):
        return None
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()):
        return None
    login_at = data.get(LOGIN_AT_KEY)
    if login_at is None:
        return None
    seen_at = data.get(SEEN_AT_KEY, login_at)
    ends = min(float(seen_at) + settings.PORTAL_IDLE_TIMEOUT_S, float(login_at) + settings.PORTAL_ABSOLUTE_SESSION_S)
    return datetime.fromtimestamp(ends, tz=UTC)


def _require_live(deadline: datetime | None) -> None:
    if deadline is None or deadline <= timezone.now():
        raise SessionEnded


def live_session_user(session_key: str, user_id: int) -> User:
    """The user, freshly read, on session ``session_key`` that still exists and has not expired, both in one query
    (asked on every client frame, WS-03, WS-11): ``PermissionDenied`` when the user is gone, ``SessionEnded`` when
    the session is over. Whether the user may still take part is the caller's question (the gate)."""
    user, data = user_with_stored_session(user_id, session_key)
    if user is None:
        raise PermissionDenied
    _require_live(session_deadline(data, user))
    return user  # type: ignore[no-any-return]


def session_close_code(session_key: str, user_id: int) -> int | None:
    """The delivery-side recheck (WS-11): 4403 when the user is gone or inactive, 4401 when the session is over,
    ``None`` while both live. One query by primary key (the session row is a subquery of the user's)."""
    user, data = user_with_stored_session(user_id, session_key)
    if user is None or not user.is_active:
        return ACCESS_ENDED
    try:
        _require_live(session_deadline(data, user))
    except SessionEnded:
        return SESSION_ENDED
    return None


@dataclass(frozen=True)
class SocketCheck:
    """A socket check's outcome: a close code, or how long until the next check is due."""

    close_code: int | None
    wake_in_s: float


def check_socket(*, session_key: str, user_id: int, conversation: Conversation, max_wait_s: float) -> SocketCheck:
    """Is the socket still allowed? The user must still take part (else 4403, WS-03) and the session be live
    (else 4401, WS-05). The next check is due at the session deadline, the consent's expiry or after
    ``max_wait_s``, whichever is first, so expiry by date closes sockets without any event."""
    from consent.gate import effective_consent

    now = timezone.now()
    user = User.objects.filter(pk=user_id).first()
    if user is None or not can_participate(user, conversation, now):
        return SocketCheck(ACCESS_ENDED, 0.0)
    deadline = socket_deadline(session_key, user)
    if deadline is None or deadline <= now:
        return SocketCheck(SESSION_ENDED, 0.0)
    consent = effective_consent(user, conversation.patient, Scope.MESSAGING, now) if user.is_family else None
    return SocketCheck(None, _next_check_in(now, deadline, consent, max_wait_s))


def _next_check_in(now: datetime, deadline: datetime, consent: Any, max_wait_s: float) -> float:
    wake = min(deadline, now + timedelta(seconds=max_wait_s))
    if consent is not None:
        wake = min(wake, consent.expires_at)
    return max(0.0, (wake - now).total_seconds())


@dataclass(frozen=True)
class SocketGrant:
    """What a consumer needs after a successful handshake check."""

    conversation: Conversation
    consent_id: str | None
    session_key: str
    first_check_in_s: float


LIVE = "Live messages"  # what a socket discloses, in the ledger
_CONVERSATION = Prepared(lambda pk: Conversation.objects.select_related("patient__program").filter(pk=pk), pk=UUID)


def _conversation(conversation_id: Any) -> Conversation | None:
    """The conversation a socket asks for, with its patient and program; its SQL compiled once."""
    if not isinstance(conversation_id, UUID):
        return Conversation.objects.select_related("patient__program").filter(pk=conversation_id).first()
    found = _CONVERSATION.rows(pk=conversation_id)
    return found[0] if found else None


def authorize_socket(
    *, user: Any, conversation_id: Any, session: Any, max_wait_s: float, session_data: Mapping[str, Any] | None = None
) -> SocketGrant | None:
    """The handshake check (WS-02): a live session of an active user (staff: past the MFA step), a participant
    of the conversation, and for a family member a ledger row for the live disclosure (§ 2.25). ``None`` = refuse.

    ``user`` is the one the auth middleware loaded for this very handshake, so it is not read again; the session
    is, from its row (the middleware may have read the cached copy of a session deleted without a signal), unless
    ``session_data`` is what the portal's middleware read from that row for this handshake
    (``messaging.socket_auth``). Then the gate, the conversation and the ledger row."""
    from consent.gate import disclosure_if_allowed
    from consent.models import Disclosure

    session_key = getattr(session, "session_key", None) if session is not None else None
    if not session_key or user is None or not getattr(user, "is_authenticated", False):
        return None
    now = timezone.now()
    # The row, never a cached copy: read here unless the portal's middleware read it for this handshake.
    deadline = socket_deadline(session_key, user) if session_data is None else session_deadline(session_data, user)
    if deadline is None or deadline <= now:
        return None
    conversation = _conversation(conversation_id)
    if conversation is None:
        return None
    consent = None
    if user.is_family:  # can_participate's gate question and the disclosure's, asked once (its ledger row)
        if not _may_sit_in(user, conversation):
            return None
        allowed, consent = disclosure_if_allowed(
            user, conversation.patient, Scope.MESSAGING, channel=Disclosure.Channel.WEBSOCKET, what=LIVE, at=now
        )
        if not allowed:
            return None
    elif not can_participate(user, conversation, now):
        return None
    if user.is_care_staff and not session_passed_mfa(SimpleNamespace(session=session, user=user)):  # type: ignore[arg-type]
        return None
    return SocketGrant(
        conversation=conversation,
        consent_id=str(consent.pk) if consent is not None else None,
        session_key=session_key,
        first_check_in_s=_next_check_in(now, deadline, consent, max_wait_s),
    )
