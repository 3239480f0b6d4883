"""``manage.py load_curriculum``: load education/curriculum/*.toml as published shared modules (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from education.curriculum_loader import CURRICULUM_DIR, CurriculumError, load_curriculum


class Command(BaseCommand):
    help = "Load the starter curriculum. Re-running keeps unchanged modules and versions changed ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=CURRICULUM_DIR, help="Folder of module .toml files.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_curriculum(options["dir"])
        except CurriculumError as exc:
            raise CommandError(
                "The curriculum was not loaded; nothing was changed.\n" + "\n".join(exc.problems)
            ) from exc
        for label, slugs in (
            ("Created", report.created),
            ("Updated (new version)", report.updated),
            ("Unchanged", report.unchanged),
            ("Skipped (archived by staff)", report.skipped),
            ("Translations published", report.translated),
        ):
            if slugs:
                self.stdout.write(f"{label}: {', '.join(slugs)}")
        self.stdout.write(self.style.SUCCESS(f"{len(report.created) + len(report.updated)} module(s) written."))
