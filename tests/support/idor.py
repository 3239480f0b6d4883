"""How the IDOR checks request an object URL: GET, or POST for a POST-only action (GET answers 405)."""

from __future__ import annotations

from django.test import Client


def status_of(client: Client, url: str) -> int:
    status = client.get(url).status_code
    return client.post(url).status_code if status == 405 else status


def readable_status(client: Client, url: str) -> int:
    """GET status for the object's owner side; a POST-only action counts as readable when GET says 405."""
    status = client.get(url).status_code
    return 200 if status == 405 else status
