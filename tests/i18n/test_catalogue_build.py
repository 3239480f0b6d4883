"""``compile_catalogues`` builds the .mo files Django reads, without GNU gettext, and refuses a broken catalogue."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

CATALOGUE = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: es\\n"

msgid "Your progress"
msgstr "Su progreso"
"""


def write_catalogue(root: Path, text: str) -> Path:
    po = root / "es" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(text, encoding="utf-8")
    return po


def test_compiles_a_catalogue_gettext_can_read(tmp_path):
    po = write_catalogue(tmp_path, CATALOGUE)
    with override_settings(LOCALE_PATHS=[tmp_path]):
        call_command("compile_catalogues", stdout=io.StringIO())
    with po.with_suffix(".mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    assert translations.gettext("Your progress") == "Su progreso"


def test_an_up_to_date_catalogue_is_left_alone_unless_forced(tmp_path, capsys):
    write_catalogue(tmp_path, CATALOGUE)
    with override_settings(LOCALE_PATHS=[tmp_path]):
        call_command("compile_catalogues")
        call_command("compile_catalogues")
        call_command("compile_catalogues", "--force")
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "1 catalogue(s) compiled, 0 up to date"
    assert out[2] == "0 catalogue(s) compiled, 1 up to date"
    assert out[-1] == "1 catalogue(s) compiled, 0 up to date"


def test_a_broken_catalogue_is_a_clear_error_and_writes_nothing(tmp_path):
    po = write_catalogue(tmp_path, 'msgid "a" junk\nmsgstr "b"\n')
    with override_settings(LOCALE_PATHS=[tmp_path]), pytest.raises(CommandError, match="django.po"):
        call_command("compile_catalogues")
    assert not po.with_suffix(".mo").exists()


def test_the_shipped_catalogues_are_compiled_for_the_suite():
    """make install compiled every shipped catalogue, so the suite sees the portal in every language."""
    root = Path(__file__).resolve().parents[2] / "locale"
    for po in root.glob("*/LC_MESSAGES/*.po"):
        assert po.with_suffix(".mo").exists(), f"{po} was not compiled (make messages)"
