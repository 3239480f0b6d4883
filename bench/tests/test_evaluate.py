"""The evaluator (bench/evaluate.py) turns fixed raw results into the same metrics, row for row.

``expected_metrics.json`` was recorded from these results by the evaluator as it stood before the metrics became a
table of specs (one 417-line function), so the table reports exactly what that function did. A deliberate change
to a metric changes the file; record it again with::

    DJANGO_DEBUG=True .venv/bin/python -m bench.tests.test_evaluate
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from bench.evaluate import evaluate
from bench.report import markdown
from bench.tests.results import CI, EMPTY, FULL, RUNS

EXPECTED = Path(__file__).with_name("expected_metrics.json")


def as_json(results: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(json.dumps([asdict(metric) for metric in evaluate(results)], ensure_ascii=False))


@pytest.mark.parametrize("run", sorted(RUNS))
def test_every_metric_is_what_the_recorded_evaluator_reported(run):
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))[run]

    assert as_json(RUNS[run]) == expected


def test_a_full_run_lists_the_metrics_in_report_order():
    ids = [metric.id for metric in evaluate(FULL)]

    assert ids == [
        *["H1"] * 3,
        *["H2", "H3", "H4", "H5"] * 2,
        *["Q1"] * 3,
        *["W1", "W2", "W2", "C1", "W5", "W6", "W3", "W3", "W4"],
        *["W2", "W2", "W6", "W4", "W4"],
        *["R1", "C2", "R1", "R2", "R3", "R3", "R4", "R5", "R6", "R6"],
    ]


def test_only_deterministic_checks_are_gates_and_they_fail_ci():
    metrics = evaluate(CI)

    assert sorted({m.id for m in metrics if m.gate}) == ["C1", "C2", "R1", "R3", "R5", "W2", "W3"]
    assert [m.id for m in metrics if m.gate and m.passed is False] == ["W2", "C1", "W3", "C2", "R1", "R3"]


def test_timings_past_twice_their_goal_fail_strict_only():
    metrics = evaluate(CI)

    assert [m.id for m in metrics if m.strict_fail] == ["H1", "H2", "W1", "W2", "W5", "W6", "W3", "R1", "R2", "R4"]
    assert not any(m.gate for m in metrics if m.strict_fail)


def test_goals_are_issue_17s_family_and_staff_pages_apart():
    h1 = {m.name: (m.goal, m.passed) for m in evaluate(FULL) if m.id == "H1"}

    assert h1 == {
        "in-process CPU, dashboard (family)": ("≤ 5 ms", True),
        "in-process CPU, schedule (family)": ("≤ 5 ms", False),
        "in-process CPU, messages (counselor)": ("≤ 8 ms", True),
    }
    notes = [m.note for m in evaluate(FULL) if m.id == "H1"]
    assert notes == ["wall 3.1 ms (floor 0.3 ms)", "", ""]


def test_two_processes_are_judged_on_their_own_and_against_one():
    two = [
        m for m in evaluate(FULL) if m.id.startswith("W") and ("2 Daphne processes" in m.name or "scaling" in m.name)
    ]

    assert [(m.id, m.measured, m.passed) for m in two] == [
        ("W2", 12.0, False),  # p99 140 ms > 100 ms
        ("W2", "36000 / 36000", True),
        ("W6", 1.2, True),
        ("W4", 4000.0, True),
        ("W4", 0.8, True),  # 4000 ÷ (2 × 2500)
    ]
    assert not any(m.gate for m in two)  # CI runs one process only


def test_what_a_run_did_not_measure_is_skipped():
    assert [(m.id, m.passed) for m in evaluate(EMPTY)] == [("W4", None)]
    assert [m.id for m in evaluate(CI) if m.passed is None] == ["H1", "H2", "H4", "H5", "W4", "R5"]


def test_the_report_table_has_one_line_per_metric():
    metrics = [asdict(metric) for metric in evaluate(FULL)]
    meta = {
        "started": "2026-04-01 12:00 UTC",
        "mode": "quick",
        "db": "sqlite",
        "layer": "memory",
        "seed": 20260401,
        "families": 500,
        "duration_s": 1.0,
        "loadavg": "0.1",
        "load_warning": False,
        "machine": {"nproc": 2, "cpu": "x", "memory_gb": 4, "python": "3.13", "kernel": "6", "versions": {}},
    }

    text = markdown({"meta": meta, "metrics": metrics})

    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| # ")]
    assert len(rows) == len(metrics)
    assert "| Q1 | CI gate: counts identical at 1× and 10×, no N+1, none above its ceiling |" in text
    assert "**FAIL** (CI gate)" in text


if __name__ == "__main__":
    EXPECTED.write_text(
        json.dumps({name: as_json(results) for name, results in RUNS.items()}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"recorded {EXPECTED}")
