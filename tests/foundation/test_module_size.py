"""Rule 6 of docs/architecture.md: no app module over 400 lines (migrations aside). One that grows past it becomes a
package with one module per topic, its public names re-exported."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "consent", "console", "education", "family_portal", "messaging", "notifications", "scheduling")
MAX_LINES = 400


def test_no_app_module_is_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these by topic (docs/architecture.md rule 6): {too_long}"


def test_every_app_is_checked() -> None:
    assert {path.parent.name for path in ROOT.glob("*/apps.py")} == set(APPS)
