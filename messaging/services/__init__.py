"""Messaging workflows, and the only package that talks to the channel layer (style 2.3).

Every write is atomic and re-checks ``can_participate``; live events are sent with ``transaction.on_commit`` so a
rolled-back write never reaches a socket. Each conversation event carries ``recipients``: the ids of the people
who may take part, decided by the gate in the same transaction (``participant_ids``), so a socket delivers it
without a query (performance plan §7.7). The channel layer is at-most-once (WS-08): a failed broadcast is logged
(ids only, never text) and clients catch up by message id.

One module per topic: ``conversations``, ``messages`` and ``live`` (group names and every channel-layer send). The
public names are re-exported here.
"""

from messaging.services.conversations import (
    care_team_conversation,
    closed_text,
    direct_partner_options,
    ensure_care_team_conversations,
    ensure_private_conversations,
    is_open_for_both,
    private_conversation,
    start_direct_conversation,
)
from messaging.services.live import (
    Broadcasts,
    broadcast_typing,
    close_consent_sockets,
    close_session_sockets,
    close_signed_out_sockets,
    close_user_sockets,
    collected_broadcasts,
    consent_group,
    group_name,
    recheck_patient_sockets,
    send_collected,
    session_group,
    user_group,
)
from messaging.services.messages import (
    REPLAY_LIMIT,
    THREAD_PAGE,
    delete_message,
    edit_message,
    mark_read,
    messages_after,
    send_message,
    set_read_receipts,
    thread_messages,
)

__all__ = [
    "REPLAY_LIMIT",
    "THREAD_PAGE",
    "Broadcasts",
    "broadcast_typing",
    "care_team_conversation",
    "close_consent_sockets",
    "close_session_sockets",
    "close_signed_out_sockets",
    "close_user_sockets",
    "recheck_patient_sockets",
    "closed_text",
    "collected_broadcasts",
    "consent_group",
    "delete_message",
    "direct_partner_options",
    "edit_message",
    "ensure_care_team_conversations",
    "ensure_private_conversations",
    "group_name",
    "is_open_for_both",
    "mark_read",
    "messages_after",
    "private_conversation",
    "send_collected",
    "send_message",
    "session_group",
    "set_read_receipts",
    "start_direct_conversation",
    "thread_messages",
    "user_group",
]
