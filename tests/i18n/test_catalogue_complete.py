"""Issue #18 acceptance: the shipped catalogues are complete. ``makemessages`` (both domains, the options of
``make catalogue``) runs over the code into a temporary copy of locale/, and the test fails on any marked string
missing from the shipped catalogue, any empty translation, any fuzzy entry and any placeholder that differs
between a string and its translation."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
DOMAINS = ("django", "djangojs")
# The same as the Makefile's ``catalogue`` target.
OPTIONS = {"no_location": True, "no_wrap": True, "no_obsolete": True}
IGNORED = ["node_modules", "mutants", "staticfiles", "bench/results", "tests"]
# Left out of the temporary tree: not code, or large and never marked.
NOT_SOURCE = {".git", ".venv", "node_modules", "locale", "mutants", "staticfiles", "tests", "bench", "docs"}
# One string each extraction must find, so an extraction that found nothing cannot pass.
SENTINELS = {"django": "Language:", "djangojs": "Sending…"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")

pytestmark = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed: tools/system-packages.sh installs it",
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], polib.POFile]:
    """A fresh extraction merged into a copy of locale/, per (language, domain); the shipped files are untouched.

    makemessages writes into the locale/ folder beside the code it walks, so it walks a temporary tree of links
    to the code with a copy of locale/ (``--symlinks`` follows them)."""
    tree = tmp_path_factory.mktemp("catalogue")
    for entry in ROOT.iterdir():
        if entry.name not in NOT_SOURCE and not entry.name.startswith("."):
            (tree / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "locale", tree / "locale", ignore=shutil.ignore_patterns("*.mo"))
    languages = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tree)
        patch.setattr(settings, "LOCALE_PATHS", [tree / "locale"])
        for domain in DOMAINS:
            call_command(
                "makemessages",
                locale=languages,
                domain=domain,
                ignore_patterns=IGNORED,
                symlinks=True,
                verbosity=0,
                **OPTIONS,
            )
    return {
        (language, domain): polib.pofile(str(tree / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))
        for language in languages
        for domain in DOMAINS
    }


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def _problems(shipped: polib.POFile, fresh: polib.POFile) -> list[str]:
    known = {_key(entry) for entry in shipped if not entry.obsolete}
    problems = []
    for entry in fresh:
        if entry.obsolete:
            continue
        name = repr(entry.msgid[:90])
        if _key(entry) not in known:
            problems.append(f"not in the shipped catalogue: {name}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {name}")
        elif not all(_translations(entry)):
            problems.append(f"untranslated: {name}")
        else:
            problems.extend(f"placeholders differ: {name} → {translation[:90]!r}" for translation in _misplaced(entry))
    return problems


def _misplaced(entry: polib.POEntry) -> list[str]:
    """Translations whose placeholders are not the original's (a plural's "one" form may leave the count out)."""
    if not entry.msgid_plural:
        wanted = _placeholders(entry.msgid)
        return [entry.msgstr] if _placeholders(entry.msgstr) != wanted else []
    wanted = _placeholders(entry.msgid_plural)
    wrong = []
    for index, translation in sorted(entry.msgstr_plural.items()):
        found = _placeholders(translation)
        if found != wanted and not (int(index) == 0 and set(found) <= set(wanted)):
            wrong.append(translation)
    return wrong


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_is_translated_in_the_shipped_catalogue(extracted, domain):
    for (language, each_domain), fresh in extracted.items():
        if each_domain != domain:
            continue
        assert fresh.find(SENTINELS[domain]) is not None, f"the extraction missed {SENTINELS[domain]!r}"
        shipped = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))
        problems = _problems(shipped, fresh)
        summary = Counter(problem.split(":", 1)[0] for problem in problems)
        assert not problems, f"{language}/{domain}.po: {dict(summary)}\n" + "\n".join(problems[:150])


def test_the_checker_sees_each_kind_of_problem(tmp_path):
    shipped = polib.POFile()
    for msgid, msgstr, flags in [
        ("Done", "Hecho", []),
        ("Hello %(name)s", "Hola", ["python-format"]),
        ("Soon", "Pronto", ["fuzzy"]),
        ("Empty", "", []),
    ]:
        shipped.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=flags))
    shipped.append(
        polib.POEntry(
            msgid="One message",
            msgid_plural="%(count)s messages",
            msgstr_plural={0: "Un mensaje", 1: "%(count)s mensajes"},
        )
    )
    fresh = polib.POFile()
    for entry in shipped:
        fresh.append(entry)
    fresh.append(polib.POEntry(msgid="New words", msgstr=""))

    problems = _problems(shipped, fresh)

    assert sorted(problem.split(":", 1)[0] for problem in problems) == [
        "fuzzy",
        "not in the shipped catalogue",
        "placeholders differ",
        "untranslated",
    ]
