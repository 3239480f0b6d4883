"""VAPID key pairs (RFC 8292) in the forms the settings take: the private key as the raw 32-byte scalar and the
public key as the uncompressed P-256 point, both base64url without padding (what browsers' ``applicationServerKey``
and ``pywebpush`` accept)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from notifications.webpush import _vapid


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_key_pair() -> tuple[str, str]:
    """(public, private) for ``VAPID_PUBLIC_KEY`` and ``VAPID_PRIVATE_KEY``."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return public_key_of_key(key), b64url(private)


def public_key_of_key(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def public_key_of(private_key: str) -> str:
    """The base64url public key of a private key in any form ``VAPID_PRIVATE_KEY`` accepts."""
    return public_key_of_key(_vapid(private_key).private_key)
