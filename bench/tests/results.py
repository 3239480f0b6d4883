"""Fixed raw results (``bench.r`` after the stages) for the evaluator's tests: one run with every stage and a mix
of passes and failures, one CI run (no sweep, R5 skipped, failures past 2× their goals), and an empty run."""

from __future__ import annotations

from typing import Any


def _http(rps2: float, errors: int, p50: float, p99: float, p99_open: float, offered: float, rps1: float) -> dict:
    return {
        "two_c16": {"rps": rps2, "errors": errors},
        "one_c1": {"p50_ms": p50, "p99_ms": p99},
        "open_50pct": {"p99_ms": p99_open, "offered_rps": offered},
        "one_c16": {"rps": rps1},
    }


FULL: dict[str, Any] = {
    "seed": 20260401,
    "families": 500,
    "h1": {
        "floor_ms": 0.21,
        "pages_ms": {"dashboard (family)": 2.4, "schedule (family)": 6.0, "messages (counselor)": 7.5},
        "staff_pages": ["messages (counselor)"],
        "floor_wall_ms": 0.3,
        "pages_wall_ms": {"dashboard (family)": 3.1},
    },
    "q1": [
        {
            "page": "dashboard (family)",
            "queries_1x": 14,
            "queries_10x": 14,
            "budget": 20,
            "ceiling": 16,
            "n_plus_one": [],
            "status": [200, 200],
            "pass": True,
            "gate_pass": True,
        },
        {
            "page": "messages (counselor)",
            "queries_1x": 18,
            "queries_10x": 27,
            "budget": 20,
            "ceiling": 19,
            "n_plus_one": ["SELECT ... FROM messaging_message"],
            "status": [200, 500],
            "pass": False,
            "gate_pass": False,
        },
    ],
    "q1_floor": {"family": 6, "staff": 8},
    "healthz_two_c16": {"rps": 2400.0},
    "healthz_daphne_c16": {"rps": 1300.0},
    "healthz_daphne_c1": {"p50_ms": 0.9},
    "http": {
        "dashboard (family)": _http(420.0, 0, 3.1, 9.0, 12.5, 210.0, 600.0),
        "messages (counselor)": _http(140.0, 3, 11.0, 40.0, 75.0, 70.0, 90.0),
    },
    "ws_raw": {"echo": {"p50_ms": 0.12}, "k3": {"p50_ms": 0.3}, "k100": {"p99_ms": 4.0}},
    "ws_channels": {
        "echo": {"p50_ms": 0.5, "p99_ms": 1.5},
        "k100": {"p99_ms": 13.0, "delivered": 9900, "expected": 10000, "duplicates": 0},
    },
    "ws_family": {
        "connections": 1500,
        "offered_deliveries_per_s": 600.0,
        "p50_ms": 2.2,
        "p99_ms": 9.5,
        "delivered": 36000,
        "expected": 36000,
        "duplicates": 0,
        "errors": 0,
        "error_kinds": {},
        "ended_refused": 40,
        "ended_attempts": 40,
        "rss_per_connection_kb": 31.5,
        "storm_s": 0.8,
        "storm_connections": 500,
        "sweep": [
            {
                "offered_deliveries_per_s": 1000.0,
                "sustained": True,
                "connections": 1500,
                "p99_ms": 20.0,
                "delivered": 30000,
                "expected": 30000,
            },
            {
                "offered_deliveries_per_s": 2500.0,
                "sustained": True,
                "connections": 1500,
                "p99_ms": 80.0,
                "delivered": 75000,
                "expected": 75000,
            },
            {
                "offered_deliveries_per_s": 4000.0,
                "sustained": False,
                "connections": 1500,
                "p99_ms": 310.0,
                "delivered": 118000,
                "expected": 120000,
            },
        ],
    },
    "ws_family_two": {
        "processes": 2,
        "connections": 1500,
        "offered_deliveries_per_s": 600.0,
        "p50_ms": 12.0,
        "p99_ms": 140.0,
        "delivered": 36000,
        "expected": 36000,
        "duplicates": 0,
        "errors": 0,
        "error_kinds": {},
        "rss_per_connection_kb": 33.0,
        "storm_s": 1.2,
        "storm_connections": 500,
        "sweep": [
            {
                "offered_deliveries_per_s": 2500.0,
                "sustained": True,
                "connections": 1500,
                "p99_ms": 30.0,
                "delivered": 75000,
                "expected": 75000,
            },
            {
                "offered_deliveries_per_s": 4000.0,
                "sustained": True,
                "connections": 1500,
                "p99_ms": 90.0,
                "delivered": 120000,
                "expected": 120000,
            },
        ],
    },
    "noop_outbox": {"per_s": 900.0},
    "twilio_raw": {"msg_per_s": 1400.0},
    "r1": {"per_s": 610.0, "ended_sms": 0, "ended_rows": 25, "states": {"sent": 975, "cancelled": 25}, "duplicates": 0},
    "r2": {"per_s": 180.0},
    "r3": {"mps": 30, "rate": 29.2, "throttled_429": 0},
    "r4": {"poll_s": 0.2, "p50_ms": 48.0, "max_ms": 95.0, "wake": "LISTEN/NOTIFY"},
    "r5": {
        "duplicates": 0,
        "second_posts": 0,
        "stuck_sending": 0,
        "rows": 300,
        "dropped": 15,
        "states": {"sent": 300},
    },
    "r6": {"per_call_ms": 0.6, "in_transaction_ms": 0.3, "commit_floor_ms": 0.5, "bulk_1000_s": 0.4},
}

# A CI-sized run where much goes wrong: no sweep, R5 skipped, timings past 2x their goals, leaks and duplicates.
CI: dict[str, Any] = {
    "h1": {"floor_ms": None, "pages_ms": {"dashboard (family)": 12.5, "outbox (counselor)": None}},
    "q1": [],
    "healthz_two_c16": {"rps": 0},
    "healthz_daphne_c1": {"p50_ms": 1.1},
    "http": {"dashboard (family)": {"two_c16": {"rps": 90.0, "errors": 0}, "one_c1": {"p50_ms": 4.0}}},
    "ws_raw": {"echo": {"p50_ms": 0.1}, "k100": {"p99_ms": 2.0}},
    "ws_channels": {
        "echo": {"p50_ms": 0.7, "p99_ms": 2.5},
        "k100": {"p99_ms": 15.0, "delivered": 100, "expected": 100, "duplicates": 1},
    },
    "ws_family": {
        "connections": 60,
        "offered_deliveries_per_s": 50.0,
        "p50_ms": 45.0,
        "p99_ms": 130.0,
        "delivered": 290,
        "expected": 300,
        "duplicates": 2,
        "errors": 1,
        "error_kinds": {"timeout": 1},
        "ended_refused": 3,
        "ended_attempts": 4,
        "rss_per_connection_kb": 95.0,
        "storm_s": 3.5,
        "storm_connections": 60,
    },
    "r1": {"per_s": 60.0, "ended_sms": 2, "ended_rows": 4, "states": {"sent": 100}, "duplicates": 1},
    "r2": {"per_s": 20.0},
    "r3": {"mps": 0, "rate": 5.0, "throttled_429": 3},
    "r4": {"poll_s": 1.0, "p50_ms": 600.0, "max_ms": 900.0},
    "r5": {"skipped": "needs PostgreSQL"},
    "r6": {"per_call_ms": 1.5, "bulk_1000_s": 0.9},
}

EMPTY: dict[str, Any] = {}

RUNS = {"full": FULL, "ci": CI, "empty": EMPTY}
