"""The starter curriculum meets the content baseline (family-education.md): lessons, checks, sources, grade ≤ 8."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.support.readability import flesch_kincaid_grade

CURRICULUM = Path(__file__).resolve().parent.parent / "education" / "curriculum"
FILES = sorted(CURRICULUM.glob("*.toml"))
REQUIRED_TOPICS = {
    "addiction",
    "mental-health",
    "co-occurring",
    "supporting",
    "communication",
    "boundaries",
    "relapse",
    "overdose",
    "self-care",
    "crisis",
}


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def test_curriculum_has_at_least_ten_modules_covering_required_topics():
    assert len(FILES) >= 10
    assert {_load(path)["topic"] for path in FILES} >= REQUIRED_TOPICS


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_starter_module_meets_content_baseline(path: Path):
    module = _load(path)
    assert len(module["lessons"]) >= 3
    assert module["quiz"]["questions"], "a knowledge check"
    assert module["sources"] and all(source["url"].startswith("https://") for source in module["sources"])
    for lesson in module["lessons"]:
        assert flesch_kincaid_grade(lesson["body"]) <= 8, lesson["title"]
    assert flesch_kincaid_grade("\n\n".join(lesson["body"] for lesson in module["lessons"])) <= 8


def test_hard_text_scores_above_grade_eight():
    """The grader can fail: dense clinical prose scores far above the limit."""
    dense = (
        "Pharmacological interventions for comorbid psychiatric manifestations necessitate "
        "individualized multidisciplinary evaluation incorporating longitudinal neuropsychological assessment."
    )
    assert flesch_kincaid_grade(dense) > 8
