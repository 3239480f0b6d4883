"""Signals other apps subscribe to; consent may not import them (architecture: consent calls accounts only)."""

from django.dispatch import Signal

# Sent inside the transaction that revokes or ends a consent, with ``consent``. Receivers that touch the
# outside world (closing sockets) must defer that work with ``transaction.on_commit``.
consent_ended = Signal()

# Sent inside the transaction that makes a consent effective (signed in the portal, or a paper form approved on
# review), with ``consent``. Notifications tells the family member it names, if their account is linked.
consent_granted = Signal()

# Sent inside the transaction of ``replace_consent``, with ``consent`` (the old one, now ended) and ``replacement``
# (the new one, naming the same recipient): one change, so the recipient hears of it once.
consent_replaced = Signal()

# Sent inside the transaction of ``record_revocable_event``, with ``consent``: a § 2.35(c) consent's stated event has
# been recorded, so from now on the patient may stop it. Notifications tells the patient (neutrally).
consent_revocable = Signal()
