"""The outbox worker: claim due rows with a lease, re-check at send time, send, record the outcome (style §2.5).

One pass: close stale connections → heartbeat → registered periodic functions → claim a small batch
(``SELECT … FOR UPDATE SKIP LOCKED`` in a short transaction, JOB-02) → load the batch with its send-time facts and
the consent gate's answer for all of it (``ClaimedBatch``, R1) → for each row, outside any transaction: reconcile if
an earlier attempt may have reached Twilio (SMS-06), re-check consent / opt-out / phone / subject / quiet hours
(JOB-05), reserve a send slot, re-check shortly before it if the batch's facts would be older than
``DECISION_MAX_AGE_S`` at the slot, record the attempt, send on the slot, and finish with an update fenced by
``lease_owner`` (JOB-03, JOB-04): a worker that lost its lease changes nothing. Logs carry row ids and codes only,
never names, numbers or bodies.

One module per job: ``loop`` (passes, sending threads, stop), ``claims`` (claiming, leases, the batch's facts),
``rules`` (the send-time checks and quiet hours), ``sending`` (SMS and email) and ``outcomes`` (fenced final updates,
retries, dead rows). The public names are re-exported here.
"""

from notifications.worker.claims import DECISION_MAX_AGE_S, Claim, ClaimedBatch, Leases, decide_consent
from notifications.worker.loop import Worker
from notifications.worker.outcomes import (
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    DONE_STATES,
    SENSITIVE_TEMPLATES,
    Outcomes,
    backoff_seconds,
)
from notifications.worker.rules import (
    ADDRESS_PINNED_TEMPLATES,
    QUIET_HOURS_EXEMPT,
    QUIET_HOURS_SKIP,
    next_waking_time,
    refusal_reason,
)
from notifications.worker.sending import SEND_LEAD_S, Sending

__all__ = [
    "ADDRESS_PINNED_TEMPLATES",
    "BACKOFF_BASE_S",
    "BACKOFF_CAP_S",
    "DECISION_MAX_AGE_S",
    "DONE_STATES",
    "QUIET_HOURS_EXEMPT",
    "QUIET_HOURS_SKIP",
    "SEND_LEAD_S",
    "SENSITIVE_TEMPLATES",
    "Claim",
    "ClaimedBatch",
    "Leases",
    "Outcomes",
    "Sending",
    "Worker",
    "backoff_seconds",
    "decide_consent",
    "next_waking_time",
    "refusal_reason",
]
