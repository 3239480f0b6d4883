"""Send-time subject checks: other apps say whether a row's subject (e.g. ``session:<uuid>``) still holds (JOB-05).

Register in ``AppConfig.ready()``::

    register_subject_check("session", session_still_on)

``fn(row)`` returns False when the message no longer makes sense (session cancelled, start moved); the worker
then marks the row ``suppressed`` without calling the provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

SubjectCheck = Callable[["OutboxMessage"], bool]
_checks: dict[str, SubjectCheck] = {}


def register_subject_check(prefix: str, fn: SubjectCheck) -> None:
    """Register ``fn`` for subjects ``"<prefix>:..."``. Registering the same prefix again replaces it."""
    if not prefix or ":" in prefix:
        raise ValueError("A subject prefix is a non-empty word without ':'.")
    _checks[prefix] = fn


def unregister_subject_check(prefix: str) -> None:
    """Remove a check (tests)."""
    _checks.pop(prefix, None)


def subject_prefix(subject: str) -> str:
    return subject.split(":", 1)[0] if subject else ""


def subject_still_valid(row: OutboxMessage) -> bool:
    """True when no check is registered for the row's subject prefix, or the registered check says yes.

    A check that raises counts as "no" (fail closed: better a missing reminder than a wrong one).
    """
    fn = _checks.get(subject_prefix(row.subject))
    if fn is None:
        return True
    try:
        return bool(fn(row))
    except Exception:
        logger.exception("subject check failed for outbox row %s", row.pk)
        return False
