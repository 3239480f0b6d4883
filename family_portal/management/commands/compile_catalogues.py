"""``manage.py compile_catalogues``: build the ``.mo`` files Django reads from every ``.po`` catalogue we ship.

The catalogues (``locale/<lang>/LC_MESSAGES/django.po`` and ``djangojs.po``) are committed; the compiled ``.mo``
files are not: ``make install``/``make run``/``make test`` build them with this command. It uses ``polib`` (pure
Python), so a fresh machine needs no GNU gettext to serve the portal in Spanish; gettext is only needed to
*extract* strings (``makemessages``, tools/system-packages.sh installs it). A ``.mo`` newer than its ``.po`` is
left alone. A catalogue that does not parse stops the command with its path and the parser's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def catalogue_paths() -> list[Path]:
    """Every ``.po`` file under ``LOCALE_PATHS``, sorted."""
    found: list[Path] = []
    for root in settings.LOCALE_PATHS:
        found.extend(Path(root).glob("*/LC_MESSAGES/*.po"))
    return sorted(found)


def compile_catalogue(po_path: Path, *, force: bool = False) -> bool:
    """Write ``po_path``'s ``.mo`` beside it; False when it was already up to date (and ``force`` is off)."""
    mo_path = po_path.with_suffix(".mo")
    if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return False
    try:
        catalogue = polib.pofile(str(po_path))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{po_path}: {exc}") from exc
    catalogue.save_as_mofile(str(mo_path))
    return True


class Command(BaseCommand):
    help = "Compile the translation catalogues in LOCALE_PATHS (.po → .mo), without GNU gettext."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild every .mo, even when up to date.")

    def handle(self, *args: Any, **options: Any) -> None:
        built = [path for path in catalogue_paths() if compile_catalogue(path, force=options["force"])]
        for path in built:
            self.stdout.write(f"compiled {path}")
        self.stdout.write(f"{len(built)} catalogue(s) compiled, {len(catalogue_paths()) - len(built)} up to date")
