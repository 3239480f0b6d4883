"""Every requirement ID the repository cites is defined in docs/requirements.md.

A citation is a security or reliability ID (``AZ-03``, ``WS-11``, ``DEP-00``: capitals, a hyphen, two digits) or a
benchmark metric ID (``H1``, ``Q1``, ``W2``, ``R5``, ``C1``) anywhere in the source, templates and docs. A definition
is the first cell of a table row in docs/requirements.md. The test names the file and line of each citation with no
definition, so a new ID is defined when it is first cited.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "docs" / "requirements.md"
CITATION = re.compile(r"\b(?:[A-Z]{2,5}-\d{2}|[CHQRW]\d{1,2})\b")
DEFINITION = re.compile(r"^\| ([A-Z]{2,5}-\d{2}|[CHQRW]\d{1,2}) \|", re.MULTILINE)
SUFFIXES = {".py", ".md", ".html", ".txt", ".js", ".toml", ".conf", ".service", ".sh", ".cfg", ".ini", ".yml"}
SKIPPED_PARTS = {".venv", "node_modules", "mutants", "staticfiles", "results", "__pycache__"}
# Files whose codes are not requirement IDs: ruff's rule codes in pyproject.toml, and this test's own examples.
SKIPPED_FILES = {"pyproject.toml", Path(__file__).name}


def defined_ids(text: str) -> list[str]:
    return DEFINITION.findall(text)


def citations(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(path, line, ID) for every citation under ``root``, in path and line order."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            path.suffix not in SUFFIXES
            or path.name in SKIPPED_FILES
            or any(part in SKIPPED_PARTS or part.startswith(".") for part in relative.parts)
            or not path.is_file()
        ):
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [(str(relative), lineno, match) for match in CITATION.findall(line)]
    return found


def undefined(root: Path = ROOT, requirements: Path = REQUIREMENTS) -> list[str]:
    defined = set(defined_ids(requirements.read_text(encoding="utf-8")))
    return [
        f"{path}:{line}: {rid} is not defined in docs/requirements.md"
        for path, line, rid in citations(root)
        if rid not in defined
    ]


def test_every_cited_requirement_id_is_defined():
    assert undefined() == []


def test_each_id_is_defined_once():
    ids = defined_ids(REQUIREMENTS.read_text(encoding="utf-8"))
    assert sorted({rid for rid in ids if ids.count(rid) > 1}) == []


def test_the_ids_the_code_leans_on_most_are_defined():
    ids = set(defined_ids(REQUIREMENTS.read_text(encoding="utf-8")))
    assert {"AZ-03", "AZ-09", "WS-11", "JOB-02", "MSG-01", "DEP-00", "H1", "Q1", "W2", "R1", "C2"} <= ids


def test_an_undefined_citation_is_named_by_file_and_line(tmp_path):
    (tmp_path / "docs").mkdir()
    requirements = tmp_path / "docs" / "requirements.md"
    requirements.write_text("| ID | P | Requirement |\n|---|---|---|\n| AZ-03 | P0 | No IDOR. |\n| H1 | page time |\n")
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "views.py").write_text('"""AZ-03 and AZ-10."""\n\n# H1 and H7, not SHA-256 or UTF-8\n')
    (tmp_path / "pyproject.toml").write_text('select = ["C4", "W"]\n')

    assert undefined(tmp_path, requirements) == [
        "consent/views.py:1: AZ-10 is not defined in docs/requirements.md",
        "consent/views.py:3: H7 is not defined in docs/requirements.md",
    ]
