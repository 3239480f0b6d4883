"""Signals other apps subscribe to; consent may not import them (architecture: consent calls accounts only)."""

from django.dispatch import Signal

# Sent inside the transaction that revokes or ends a consent, with ``consent``. Receivers that touch the
# outside world (closing sockets) must defer that work with ``transaction.on_commit``.
consent_ended = Signal()
