"""Functions the notifications worker runs once per pass (e.g. messaging's offline-notice scan).

Register in ``AppConfig.ready()``: ``register_periodic(scan_offline_messages)``; ``fn(now)`` receives the pass
time. Each call runs in its own try block; an exception is logged (without PHI) and the worker carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

logger = logging.getLogger(__name__)

PeriodicFn = Callable[[datetime], None]
_periodic: list[PeriodicFn] = []


def register_periodic(fn: PeriodicFn) -> None:
    """Run ``fn(now)`` once per worker pass. Registering the same function twice is a no-op."""
    if fn not in _periodic:
        _periodic.append(fn)


def unregister_periodic(fn: PeriodicFn) -> None:
    if fn in _periodic:
        _periodic.remove(fn)


def run_periodic(now: datetime) -> None:
    """Call every registered function; failures are logged by function name only."""
    for fn in list(_periodic):
        try:
            fn(now)
        except Exception:
            logger.exception("periodic task %s failed", getattr(fn, "__qualname__", repr(fn)))
