"""Stage 6: the JSON result and the markdown table (limit, measured, ratio, goal, pass/fail)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any


@dataclass
class Metric:
    id: str
    name: str
    measured: Any
    unit: str = ""
    limit: Any = None
    limit_name: str = ""
    goal: str = ""
    passed: bool | None = None  # None = not measured / skipped
    gate: bool = False  # deterministic: fails --ci
    strict_fail: bool = False  # past 2× the goal: fails --strict
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.ratio is None and isinstance(self.measured, int | float) and isinstance(self.limit, int | float):
            self.ratio = round(self.measured / self.limit, 2) if self.limit else None


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
    except (OSError, StopIteration):
        mem_kb = 0
    versions = {}
    for package in ("django", "channels", "channels-redis", "daphne", "twilio", "websockets", "psycopg", "redis"):
        try:
            versions[package] = version(package)
        except Exception:
            versions[package] = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "versions": versions,
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    m = meta["machine"]
    noisy = " (above 0.5: numbers are noisy)" if meta["load_warning"] else ""
    lines = [
        f"Run {meta['started']} · mode {meta['mode']} · database {meta['db']} · channel layer {meta['layer']} · "
        f"seed {meta['seed']} · {meta['families']} families · {meta['duration_s']} s",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB RAM, Python {m['python']}, kernel "
        f"{m['kernel']}; loadavg at start {meta['loadavg']}{noisy}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
        "| # | Metric | Limit (same run) | Measured | Ratio | Goal | Result |",
        "|---|---|---|---|---|---|---|",
    ]
    for metric in result["metrics"]:
        limit = (
            f"{metric['limit_name']} {_fmt(metric['limit'])}".strip() if metric["limit_name"] else _fmt(metric["limit"])
        )
        measured = f"{_fmt(metric['measured'])} {metric['unit']}".strip()
        verdict = {True: "pass", False: "**FAIL**", None: "skipped"}[metric["passed"]]
        if metric["gate"]:
            verdict += " (CI gate)"
        lines.append(
            f"| {metric['id']} | {metric['name']} | {limit} | {measured} | {_fmt(metric['ratio'])} "
            f"| {metric['goal']} | {verdict} |"
        )
    notes = [f"- **{x['id']}**: {x['note']}" for x in result["metrics"] if x["note"]]
    if notes:
        lines += ["", "Notes:", *notes]
    if result.get("errors"):
        lines += ["", "Stage errors:", *[f"- {e}" for e in result["errors"]]]
    return "\n".join(lines) + "\n"


def write(result: dict[str, Any], out_dir: Path, stamp: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {**result, "metrics": [asdict(x) if isinstance(x, Metric) else x for x in result["metrics"]]}
    json_path = out_dir / f"{stamp}.json"
    md_path = out_dir / f"{stamp}.md"
    json_path.write_text(json.dumps(result, indent=2, default=str))
    md_path.write_text(markdown(result))
    return json_path, md_path
