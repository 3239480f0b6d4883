"""RFC 6238 time-based one-time passwords (SHA-1, 30 s, 6 digits), as an authenticator app computes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def totp(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def fresh_totp(secret: str, margin_s: float = 3.0, step: int = 30) -> str:
    """The current code, but never one about to expire: with under ``margin_s`` left in its 30-second window the
    server (which accepts only the current window) could see the next one, so wait for the next code first — as a
    person watching their authenticator app would."""
    left = step - time.time() % step
    if left < margin_s:
        time.sleep(left + 0.05)  # waiting for a clock, not for another process
    return totp(secret, step=step)
