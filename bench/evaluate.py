"""Turn the raw numbers into the plan's metrics (performance plan §5): limit, measured, ratio, goal, pass/fail.

The metrics are a table (``TABLE``): each ``Section`` says which rows of the results it reads (one per page, or one
when a stage ran), and each ``Spec`` in it says how one metric reads its number and its limit from a row, what its
goal is and how it is judged. ``evaluate`` walks the table in order, so the report lists the metrics in the order
written here. Requirement IDs (H1, Q1, W2, C1, R5 …) are defined in docs/requirements.md.

Only deterministic checks are CI gates (``gate=True``: query counts, delivered == expected, no duplicates, consent
under load, exactly-once, rate-limit fidelity). Timings pass or fail against their goal but never fail CI; a
judge's second answer (``strict_fail``) marks a timing past 2× its goal (fails ``--strict``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.report import Metric


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


@dataclass(frozen=True)
class Row:
    """What one metric row reads: the whole results, the item it is about (a page's numbers, a stage's dict) and
    that item's name (the page)."""

    results: dict[str, Any]
    item: Any
    label: str = ""

    def get(self, *path: str) -> Any:
        """A number of the item (``row.get("one_c1", "p50_ms")``); None when absent."""
        return _get(self.item, *path)

    def run(self, *path: str) -> Any:
        """A number of the whole run (``row.run("ws_raw", "echo", "p50_ms")``), for limits measured elsewhere."""
        return _get(self.results, *path)


Read = Callable[[Row], Any]
Verdict = tuple[bool | None, bool]  # (passed: None when not measured, strict_fail: past 2x the goal)
Judge = Callable[[Row, Any, Any], Verdict]  # (row, measured, limit)


@dataclass(frozen=True)
class Spec:
    """One metric: its id and name, how to read the measured number and the limit, the goal, how to judge."""

    id: str
    name: str | Read
    measured: Read
    judge: Judge
    unit: str = ""
    limit: Read | None = None
    limit_name: str = ""
    goal: str | Read = ""
    gate: bool = False  # deterministic: fails --ci
    note: Read | None = None
    ratio: Read | None = None  # default: measured / limit (report.Metric)


@dataclass(frozen=True)
class Section:
    """The rows some metrics read (``rows(results)``); every spec is evaluated for each row, row by row."""

    rows: Callable[[dict[str, Any]], list[Row]]
    specs: tuple[Spec, ...]


# --- rows ---------------------------------------------------------------------------------------------------------


def per_key(*path: str) -> Callable[[dict[str, Any]], list[Row]]:
    """One row per entry of the mapping at ``path`` (a page name and its numbers)."""
    return lambda r: [Row(r, item, label) for label, item in (_get(r, *path) or {}).items()]


def per_item(key: str) -> Callable[[dict[str, Any]], list[Row]]:
    """One row per element of the list at ``key``."""
    return lambda r: [Row(r, item) for item in r.get(key) or []]


def one(*path: str, when: Callable[[Any], bool] = bool) -> Callable[[dict[str, Any]], list[Row]]:
    """One row for the item at ``path`` when ``when(item)`` holds (by default: the stage ran and wrote it)."""

    def rows(r: dict[str, Any]) -> list[Row]:
        item = _get(r, *path)
        return [Row(r, item)] if when(item) else []

    return rows


def whole(when: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], list[Row]]:
    """One row for the whole results when ``when(results)`` holds."""
    return lambda r: [Row(r, r)] if when(r) else []


# --- judges -------------------------------------------------------------------------------------------------------


def at_most(goal: float) -> Judge:
    """Pass at or below ``goal``; strict failure above twice the goal; not judged without a number."""

    def judge(row: Row, value: Any, limit: Any) -> Verdict:
        if not isinstance(value, int | float):
            return None, False
        return value <= goal, value > 2 * goal

    return judge


def at_least(goal: float) -> Judge:
    """Pass at or above ``goal``; strict failure below half the goal; not judged without a number."""

    def judge(row: Row, value: Any, limit: Any) -> Verdict:
        if not isinstance(value, int | float):
            return None, False
        return value >= goal, value < goal / 2

    return judge


def check(passed: Callable[[Row], bool | None]) -> Judge:
    """A yes/no check on the row (the deterministic gates and the compound goals), no strict failure."""
    return lambda row, value, limit: (passed(row), False)


def not_judged(row: Row, value: Any, limit: Any) -> Verdict:
    return None, False


# --- the metrics --------------------------------------------------------------------------------------------------


# Goals: issue #17 (performance, round two), stricter or looser than the plan's first ones where it says so.
H1_FAMILY_MS, H1_STAFF_MS = 5.0, 8.0


def _h1_goal(row: Row) -> float:
    """≤ 5 ms on a family page, ≤ 8 ms on a staff page (``h1.staff_pages``; a run without it: family)."""
    return H1_STAFF_MS if row.label in (row.run("h1", "staff_pages") or ()) else H1_FAMILY_MS


def _h2(row: Row, rps: Any, limit: Any) -> Verdict:
    passed = None if rps is None or not limit else rps >= 0.2 * limit and rps >= 200
    return passed, bool(isinstance(rps, float) and rps < 100)


def _h3(row: Row, p50: Any, limit: Any) -> Verdict:
    passed = None if p50 is None else p50 <= 8
    return passed, bool(p50 is not None and p50 > 16)


def _h5(row: Row, rps: Any, limit: Any) -> Verdict:
    return (None if rps is None or not limit else rps >= 0.4 * limit and rps >= 80), False


def _errors_note(row: Row) -> str:
    errors = row.get("two_c16", "errors")
    return "" if not errors else f"{errors} errors"


def _q1_note(row: Row) -> str:
    note = f"; repeated queries {row.item['n_plus_one']}" if row.item["n_plus_one"] else ""
    return f"HTTP {row.item['status']}; " + note if row.item["status"] != [200, 200] else note


def _q1_within(row: Row) -> list[str]:
    return [page["page"] for page in row.item if page.get("gate_pass")]


def _q1_gate_note(row: Row) -> str:
    ceilings = ", ".join(f"{page['page']} {page['ceiling']}" for page in row.item)
    floor = ", ".join(f"{side} {n}" for side, n in (row.run("q1_floor") or {}).items())
    return f"ceilings: {ceilings} (bench/pages.py CEILINGS); signed-in floor {floor} queries"


def _w1(row: Row, echo: Any, raw: Any) -> Verdict:
    p99 = row.get("p99_ms") or 0
    return raw is not None and echo <= 3 * raw and p99 <= 2, bool(raw and echo > 6 * raw)


def _w2(row: Row, p50: Any, limit: Any) -> Verdict:
    p99 = row.get("p99_ms") or 0
    return p50 is not None and p50 <= 20 and p99 <= 100, bool(p50 and p50 > 40)


def _w2_complete(row: Row) -> bool:
    fam = row.item
    return fam["delivered"] == fam["expected"] and fam["duplicates"] == 0 and fam["errors"] == 0


def _w3(row: Row, p99: Any, raw: Any) -> Verdict:
    return p99 is not None and raw is not None and p99 <= 3 * raw, bool(p99 and raw and p99 > 6 * raw)


def _w4_held(row: Row) -> float:
    held = [step["offered_deliveries_per_s"] for step in row.item["sweep"] if step["sustained"]]
    return max(held) if held else 0.0


def _w4_note(row: Row) -> str:
    steps = row.item["sweep"]
    capped = all(step["sustained"] for step in steps)
    return (
        "sweep "
        + ", ".join(
            f"{s['offered_deliveries_per_s']:g}/s: p99 {s['p99_ms']} ms, {s['delivered']}/{s['expected']}"
            for s in steps
        )
        + ("; every step held: the top step is the sweep's ceiling (≤ 1 frame/s per sender socket)" if capped else "")
        + _settled_note(row.item.get("settled_before_sweep"))
    )


def _settled_note(settled: dict[str, Any] | None) -> str:
    if not settled or not settled.get("late"):
        return ""
    return f"; before the sweep, {settled['late']} late W2 deliveries drained in {settled['seconds']} s"


def _w4_scaling(row: Row) -> float | None:
    """Deliveries/s held on two processes over twice those held on one (None when either sweep is missing or the
    one-process sweep held nothing)."""
    one_process = _get(row.results, "ws_family")
    if not one_process or not one_process.get("sweep"):
        return None
    single = _w4_held(Row(row.results, one_process))
    return round(_w4_held(row) / (2 * single), 2) if single else None


def _w2_latency(rooms: str) -> Spec:
    """W2's latency row for the family rooms run named ``rooms``."""
    return Spec(
        "W2",
        lambda x: (
            f"{rooms} p50 (p99 {x.get('p99_ms')} ms), {x.item['connections']} conns, "
            f"{x.item['offered_deliveries_per_s']} deliveries/s"
        ),
        lambda x: x.get("p50_ms"),
        _w2,
        unit="ms",
        limit=lambda x: x.run("ws_raw", "k3", "p50_ms"),
        limit_name="raw k=3 p50",
        goal="p50 ≤ 20 ms, p99 ≤ 100 ms",
    )


def _w2_delivered(rooms: str, *, gate: bool) -> Spec:
    """W2's completeness row: everything delivered once, no errors (the CI gate on the one-process run)."""
    return Spec(
        "W2",
        f"{rooms} delivered / expected",
        _delivered,
        check(_w2_complete),
        goal="100%, no duplicates, no errors",
        gate=gate,
        note=lambda x: "" if _w2_complete(x) else f"duplicates {x.item['duplicates']}, errors {x.item['error_kinds']}",
    )


def _w6_storm(where: str) -> Spec:
    return Spec(
        "W6",
        lambda x: f"connect storm of {x.get('storm_connections')}{where}",
        lambda x: x.get("storm_s"),
        at_most(1.5),
        unit="s",
        goal="≤ 1.5 s",
        note=lambda x: (
            f"{x.get('storm_connections')} authenticated handshakes opened at once, "
            "each: session, gate, ledger row (family), presence row"
        ),
    )


def _w4_sustained(how: str) -> Spec:
    """W4: the highest step of the run's sweep that held."""
    return Spec(
        "W4",
        lambda x: f"sustained deliveries/s at p99 ≤ 100 ms ({how}, {x.item['sweep'][-1]['connections']} conns)",
        _w4_held,
        at_least(1000.0),
        unit="/s",
        goal="≥ 1,000/s",
        note=_w4_note,
    )


def _r1(row: Row, rate: Any, noop: Any) -> Verdict:
    passed = rate is not None and rate >= 150 and (noop is None or rate >= 0.6 * noop)
    return passed, bool(rate and rate < 75)


def _r3_ratio(row: Row) -> float | None:
    return row.item["rate"] / row.item["mps"] if row.item["mps"] else None


def _r3(row: Row, rate: Any, mps: Any) -> Verdict:
    ratio = _r3_ratio(row)
    return ratio is not None and 0.9 <= ratio <= 1.05, False


def _r4(row: Row, p50: Any, interval_ms: Any) -> Verdict:
    passed, strict = at_most(min(250.0, interval_ms / 2 + 50))(row, p50, interval_ms)
    return passed and p50 <= 250, strict


def _r5(row: Row) -> bool:
    return row.item["duplicates"] == 0 and row.item["second_posts"] == 0 and row.item["stuck_sending"] == 0


def _r6(row: Row) -> bool:
    return row.item["per_call_ms"] <= 1 and row.item["bulk_1000_s"] <= 1


def _r6_in_transaction(row: Row) -> bool:
    return row.item["in_transaction_ms"] <= 1


def _delivered(row: Row) -> str:
    return f"{row.item['delivered']} / {row.item['expected']}"


TABLE: list[Section] = [
    # H1 in-process page time, one row per page.
    Section(
        per_key("h1", "pages_ms"),
        (
            Spec(
                "H1",
                lambda x: f"in-process CPU, {x.label}",
                lambda x: x.item,
                lambda row, value, limit: at_most(_h1_goal(row))(row, value, limit),
                unit="ms",
                limit=lambda x: x.run("h1", "floor_ms"),
                limit_name="/healthz?live in-process",
                goal=lambda x: f"≤ {_h1_goal(x):g} ms",
                note=lambda x: (
                    f"wall {wall} ms (floor {x.run('h1', 'floor_wall_ms')} ms)"
                    if (wall := (x.run("h1", "pages_wall_ms") or {}).get(x.label)) is not None
                    else ""
                ),
            ),
        ),
    ),
    # H2–H5 HTTP over Daphne, four rows per page.
    Section(
        per_key("http"),
        (
            Spec(
                "H2",
                lambda x: f"max rps, 2 Daphne processes, c=16, {x.label}",
                lambda x: x.get("two_c16", "rps"),
                _h2,
                unit="rps",
                limit=lambda x: x.run("healthz_two_c16", "rps"),
                limit_name="/healthz?live rps",
                goal="≥ 0.2× limit and ≥ 200 rps",
                note=_errors_note,
            ),
            Spec(
                "H3",
                lambda x: f"latency c=1 p50 (p99 {x.get('one_c1', 'p99_ms')} ms), {x.label}",
                lambda x: x.get("one_c1", "p50_ms"),
                _h3,
                unit="ms",
                limit=lambda x: x.run("healthz_daphne_c1", "p50_ms"),
                limit_name="/healthz?live p50",
                goal="p50 ≤ 8 ms",
            ),
            Spec(
                "H4",
                lambda x: f"p99 open loop at {x.get('open_50pct', 'offered_rps')} rps (50% of max), {x.label}",
                lambda x: x.get("open_50pct", "p99_ms"),
                at_most(30.0),
                unit="ms",
                goal="≤ 30 ms",
            ),
            Spec(
                "H5",
                lambda x: f"all-ASGI, one Daphne, c=16, {x.label}",
                lambda x: x.get("one_c16", "rps"),
                _h5,
                unit="rps",
                limit=lambda x: x.run("healthz_daphne_c16", "rps"),
                limit_name="Daphne /healthz?live rps",
                goal="≥ 0.4× limit and ≥ 80 rps",
            ),
        ),
    ),
    # Q1 query counts, one row per page, then the CI gate over all of them.
    Section(
        per_item("q1"),
        (
            Spec(
                "Q1",
                lambda x: f"queries, {x.item['page']} (1× / 10×)",
                lambda x: f"{x.item['queries_1x']} / {x.item['queries_10x']}",
                check(lambda x: bool(x.item["pass"])),
                goal=lambda x: f"identical, ≤ {x.item['budget']}, no N+1",
                note=_q1_note,
            ),
        ),
    ),
    Section(
        one("q1"),
        (
            Spec(
                "Q1",
                "CI gate: counts identical at 1× and 10×, no N+1, none above its ceiling",
                lambda x: f"{len(_q1_within(x))} / {len(x.item)} pages",
                check(lambda x: len(_q1_within(x)) == len(x.item)),
                goal="all pages",
                gate=True,
                note=_q1_gate_note,
            ),
        ),
    ),
    # W WebSocket.
    Section(
        one("ws_channels", "echo", when=lambda echo: _get(echo, "p50_ms") is not None),
        (
            Spec(
                "W1",
                lambda x: f"Channels echo RTT p50 (p99 {x.get('p99_ms')} ms)",
                lambda x: x.get("p50_ms"),
                _w1,
                unit="ms",
                limit=lambda x: x.run("ws_raw", "echo", "p50_ms"),
                limit_name="raw echo p50",
                goal="p50 ≤ 3× raw, p99 ≤ 2 ms",
            ),
        ),
    ),
    Section(
        one("ws_family"),
        (
            _w2_latency("family rooms"),
            _w2_delivered("family rooms", gate=True),
            Spec(
                "C1",
                "consent under load: ended members' sockets refused",
                lambda x: f"{x.get('ended_refused')} / {x.get('ended_attempts')}",
                check(lambda x: x.get("ended_refused") == x.get("ended_attempts")),
                goal="all refused",
                gate=True,
            ),
            Spec(
                "W5",
                "RSS per authenticated connection",
                lambda x: x.get("rss_per_connection_kb"),
                at_most(40.0),
                unit="KB",
                limit=lambda x: 14,
                limit_name="raw (reference)",
                goal="≤ 40 KB",
            ),
            _w6_storm(""),
        ),
    ),
    Section(
        one("ws_channels", "k100"),
        (
            Spec(
                "W3",
                "staff broadcast k=100 p99",
                lambda x: x.get("p99_ms"),
                _w3,
                unit="ms",
                limit=lambda x: x.run("ws_raw", "k100", "p99_ms"),
                limit_name="raw k=100 p99",
                goal="≤ 3× raw",
                note=lambda x: (
                    "bench RoomConsumer on the configured layer: a layer measurement; the app itself "
                    "never creates groups of hundreds (plan §7.1)"
                ),
            ),
            Spec(
                "W3",
                "staff broadcast delivered / expected",
                _delivered,
                check(lambda x: x.item["delivered"] == x.item["expected"] and x.item["duplicates"] == 0),
                goal="100%",
                gate=True,
            ),
        ),
    ),
    # W4: the highest offered deliveries/s of the stage's rate sweep that held (everything delivered, p99 within
    # 100 ms), through the real consumer. Skipped when no sweep ran (CI).
    Section(
        whole(lambda r: not _get(r, "ws_family", "sweep")),
        (
            Spec(
                "W4",
                "sustained deliveries/s at p99 ≤ 100 ms",
                lambda x: None,
                not_judged,
                goal="≥ 1,000/s",
                note=lambda x: (
                    "no rate sweep in this mode; W2 offers "
                    f"{x.get('ws_family', 'offered_deliveries_per_s')} deliveries/s"
                ),
            ),
        ),
    ),
    Section(
        one("ws_family", when=lambda fam: bool(_get(fam, "sweep"))),
        (_w4_sustained("real consumer"),),
    ),
    # The same rooms on two Daphne processes, sockets spread over both (issue #17 states W2's goal there), and
    # how W4 scales from one process to two (efficiency: held on two ÷ twice held on one; goal ≥ 0.8).
    Section(
        one("ws_family_two"),
        (
            _w2_latency("family rooms on 2 Daphne processes"),
            _w2_delivered("family rooms on 2 Daphne processes", gate=False),  # CI runs one process only
            _w6_storm(" over 2 Daphne processes"),
        ),
    ),
    Section(
        one("ws_family_two", when=lambda fam: bool(_get(fam, "sweep"))),
        (
            _w4_sustained("2 Daphne processes"),
            Spec(
                "W4",
                "scaling efficiency, 2 processes ÷ (2 × 1 process), deliveries held at p99 ≤ 100 ms",
                _w4_scaling,
                at_least(0.8),
                goal="≥ 0.8",
                note=lambda x: (
                    f"held: 2 processes {_w4_held(x):g}/s, 1 process {_w4_held(Row(x.results, x.run('ws_family'))):g}/s"
                    if x.run("ws_family", "sweep")
                    else "no one-process sweep in this run"
                ),
            ),
        ),
    ),
    # R reminders.
    Section(
        one("r1"),
        (
            Spec(
                "R1",
                "reminder dispatch, fake at 0 ms",
                lambda x: x.get("per_s"),
                _r1,
                unit="msg/s",
                limit=lambda x: x.run("noop_outbox", "per_s"),
                limit_name="no-op claim/finish loop",
                goal="≥ 150/s and ≥ 0.6× no-op",
                note=lambda x: f"raw twilio-python {x.run('twilio_raw', 'msg_per_s')} msg/s",
            ),
            Spec(
                "C2",
                "consent under load: SMS to ended members",
                lambda x: x.get("ended_sms"),
                check(lambda x: x.get("ended_sms") == 0),
                goal="0",
                gate=True,
                note=lambda x: f"{x.get('ended_rows')} rows for ended members; states {x.get('states')}",
            ),
            Spec(
                "R1",
                "dispatch duplicates",
                lambda x: x.get("duplicates"),
                check(lambda x: x.get("duplicates") == 0),
                goal="0",
                gate=True,
            ),
        ),
    ),
    Section(
        one("r2"),
        (
            Spec(
                "R2",
                "dispatch with 100 ms API latency",
                lambda x: x.item["per_s"],
                at_least(50),
                unit="msg/s",
                limit=lambda x: 10,
                limit_name="one sequential sender",
                goal="≥ 50 msg/s",
            ),
        ),
    ),
    Section(
        one("r3"),
        (
            Spec(
                "R3",
                lambda x: f"rate-limit fidelity at {x.item['mps']} MPS",
                lambda x: x.item["rate"],
                _r3,
                unit="msg/s",
                limit=lambda x: x.item["mps"],
                limit_name="configured MPS",
                goal="[0.9, 1.05]× MPS",
                ratio=_r3_ratio,
            ),
            Spec(
                "R3",
                "429s from the fake",
                lambda x: x.item["throttled_429"],
                check(lambda x: x.item["throttled_429"] == 0),
                goal="0",
                gate=True,
            ),
        ),
    ),
    Section(
        one("r4"),
        (
            Spec(
                "R4",
                lambda x: f"pickup latency p50 (max {x.item['max_ms']} ms)",
                lambda x: x.item["p50_ms"],
                _r4,
                unit="ms",
                limit=lambda x: x.item["poll_s"] * 1000,
                limit_name="poll interval",
                goal="≤ interval/2 + 50 ms and ≤ 250 ms",
                note=lambda x: (
                    f"idle worker wakes by {x.item.get('wake', 'poll only')}; rows written by enqueue_message"
                ),
            ),
        ),
    ),
    Section(
        one("r5", when=lambda r5: bool(_get(r5, "skipped"))),
        (
            Spec(
                "R5",
                "exactly-once under SIGKILL + 5% lost responses",
                lambda x: None,
                not_judged,
                goal="0 duplicates",
                gate=True,
                note=lambda x: x.item["skipped"],
            ),
        ),
    ),
    Section(
        one("r5", when=lambda r5: bool(r5) and not _get(r5, "skipped")),
        (
            Spec(
                "R5",
                "exactly-once under SIGKILL + 5% lost responses",
                lambda x: f"{x.item['duplicates']} dup, {x.item['second_posts']} 2nd POSTs",
                check(_r5),
                goal="0 duplicates, 0 second POSTs, none stuck",
                gate=True,
                note=lambda x: (
                    f"{x.item['rows']} rows, {x.item['dropped']} responses dropped, states {x.item['states']}"
                ),
            ),
        ),
    ),
    Section(
        one("r6"),
        (
            Spec(
                "R6",
                lambda x: f"enqueue cost per call, own commit (1,000 in bulk: {x.item['bulk_1000_s']} s)",
                lambda x: x.item["per_call_ms"],
                check(_r6),
                unit="ms",
                limit=lambda x: x.item.get("commit_floor_ms"),
                limit_name="one-row INSERT + COMMIT",
                goal="≤ 1 ms; 1,000 in ≤ 1 s",
            ),
        ),
    ),
    Section(
        one("r6", when=lambda item: bool(item) and "in_transaction_ms" in item),
        (
            Spec(
                "R6",
                "enqueue cost per call inside the caller's transaction",
                lambda x: x.item["in_transaction_ms"],
                check(_r6_in_transaction),
                unit="ms",
                goal="≤ 1 ms",
            ),
        ),
    ),
]


def _text(value: str | Read, row: Row) -> str:
    return value if isinstance(value, str) else value(row)


def evaluate(results: dict[str, Any], table: list[Section] = TABLE) -> list[Metric]:
    """The report's metrics for one run's raw results, in the order of ``table``."""
    out: list[Metric] = []
    for section in table:
        for row in section.rows(results):
            for spec in section.specs:
                measured = spec.measured(row)
                limit = spec.limit(row) if spec.limit else None
                passed, strict_fail = spec.judge(row, measured, limit)
                out.append(
                    Metric(
                        spec.id,
                        _text(spec.name, row),
                        measured,
                        spec.unit,
                        limit,
                        spec.limit_name,
                        _text(spec.goal, row),
                        passed,
                        gate=spec.gate,
                        strict_fail=strict_fail,
                        note=spec.note(row) if spec.note else "",
                        ratio=spec.ratio(row) if spec.ratio else None,
                    )
                )
    return out
