"""``manage.py generate_vapid_keys``: print a new VAPID key pair for web push (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.vapid_keys import new_key_pair


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push, as environment variables. Keep the private key secret."

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = new_key_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
        self.stderr.write(
            "Store VAPID_PRIVATE_KEY as a secret (or in a file named by VAPID_PRIVATE_KEY_FILE). Changing the pair "
            "later makes every device turn notifications on again."
        )
