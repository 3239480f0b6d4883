"""One way to hash a secret token: its SHA-256, stored instead of the token (invitation links, calendar feeds) or
used to name something by it without revealing it (a session's chat group, ``messaging.access``).

The raw token is shown once (in the link or feed address); a lookup hashes what was presented and compares hashes,
so a copy of the database gives no usable link.
"""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """The hex SHA-256 of ``token`` (UTF-8), as stored in ``token_hash`` columns."""
    return hashlib.sha256(token.encode()).hexdigest()
