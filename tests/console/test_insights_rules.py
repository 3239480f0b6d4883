"""The suppression rule on its own, and the vendored Chart.js matching the version package-lock.json pins."""

from __future__ import annotations

import json
import re
from pathlib import Path

from console.insights.suppression import suppress
from console.insights.tables import CountTable, Rate

ROOT = Path(__file__).resolve().parents[2]


def _table(rows: list[tuple[str, list[int]]], total: int | None = None) -> CountTable:
    return CountTable(
        key="t",
        title="T",
        kind="bar",
        row_heading="Row",
        columns=["a", "b", "c", "all"][: len(rows[0][1])],
        rows=rows,
        total_column=total,
        rates=[Rate("share", numerator=0, denominator=len(rows[0][1]) - 1)],
    )


def _values(table: CountTable) -> list[list[int | None]]:
    return [[cell.value for cell in row.cells] for row in suppress(table).rows]


def test_counts_from_1_to_10_are_suppressed_and_zero_and_11_shown() -> None:
    assert _values(_table([("r", [0, 1, 10, 11])])) == [[0, None, None, 11]]


def test_a_total_beside_exactly_one_suppressed_part_is_suppressed() -> None:
    rows = [("one", [12, 3, 0, 15]), ("two", [12, 3, 4, 19]), ("none", [12, 0, 0, 12])]
    assert _values(_table(rows, total=3)) == [[12, None, 0, None], [12, None, None, 19], [12, 0, 0, 12]]


def test_a_rate_resting_on_a_suppressed_count_is_suppressed() -> None:
    shown = suppress(_table([("r", [12, 3, 15]), ("s", [12, 0, 20]), ("z", [0, 0, 0])], total=2))
    assert [(rate.percent, rate.suppressed) for row in shown.rows for rate in row.rates] == [
        (None, True),
        (60.0, False),
        (None, False),
    ]


def test_the_vendored_chartjs_is_the_version_package_lock_pins() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/chart.js"]["version"]
    header = (ROOT / "static/vendor/chartjs/chart.umd.min.js").read_text()[:200]
    assert re.search(r"Chart\.js v(\S+)", header).group(1) == pinned  # type: ignore[union-attr]
    assert (ROOT / "static/vendor/chartjs/LICENSE.md").read_text().startswith("The MIT License")
