"""Stages 2 and 3: queries per key page at 1× and 10× data (Q1, with an N+1 detector) and in-process page time
(H1). HTTP over Daphne (H2–H5) is driven from run.py with bench.http_load."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import CaseloadAssignment, User
from bench.seed import Dataset, Family, multiply_family
from tests.support import personas

FAMILY_BUDGET = 6  # the plan's goal (Q1), met by every family key page since issue #17
STAFF_BUDGET = 10
# The CI gate: today's count per key page. Any new query on these pages fails CI until the ceiling is raised in
# review (with the reason in docs/performance.md), so query counts only ever go down.
CEILINGS = {
    # 9 until the request user came with the SMS phone and the gate skipped authorities; 7 until the Learning card
    # read its assignments and progress in one query
    "family dashboard": 6,
    # 8 until the gate skipped the authorities query for people never named representative; 7 until the
    # conversation came with its seats in one query (a LEFT JOIN) instead of a prefetch
    "conversation": 6,
    # 8 until upcoming and the past page came in one query with the counselors' names (no prefetch); 9 until the
    # gate skipped the authorities query
    "family-session schedule": 6,
    # 7 until the gate skipped the authorities query; 6 until the module, the learner's progress and the
    # prerequisites came in one query (one more for a learner still on an older version)
    "education module": 4,
    "counselor roster": 5,  # 7 until its emergency accesses and count to review came with its patients
    # the signed-in floor and the gate's grants, then the one-row charts (funnel, delivery, opt-outs) in one UNION
    # and one aggregate for each other chart (4); 10 until the one-row charts shared their query. On PostgreSQL the
    # five chart statements are compiled and sent in one round trip (4 in all); the ORM path elsewhere makes 8
    "counselor insights": 8,
    "counselor inbox": 7,  # 8 until the request user came with the program joined
}
_LITERALS = re.compile(r"'[^']*'|\b\d+\b|%s")
_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


@dataclass
class Page:
    name: str
    side: str  # "family" | "staff"
    user: User
    url: str


def key_pages(data: Dataset, family: Family) -> list[Page]:
    member = family.members[0]
    counselor = family.counselor
    slug = data.module_slugs[0] if data.module_slugs else ""
    pages = [
        Page("family dashboard", "family", member, reverse("dashboard")),
        Page("conversation", "family", member, reverse("messaging:conversation", args=[family.conversation.pk])),
        Page("family-session schedule", "family", member, reverse("scheduling:session_list")),
        Page("counselor roster", "staff", counselor, reverse("consent:patient_list")),
        Page("counselor insights", "staff", counselor, reverse("console:caseload_insights")),
        Page("counselor inbox", "staff", counselor, reverse("messaging:conversation_list")),
    ]
    if slug:
        pages.insert(3, Page("education module", "family", member, reverse("education:module", args=[slug])))
    return pages


def https_client() -> Client:
    """A test client whose requests arrive as through the TLS-terminating proxy (read only with
    ``PORTAL_BEHIND_PROXY``, the production run; there ``SECURE_SSL_REDIRECT`` would answer plain HTTP with 301)."""
    return Client(HTTP_X_FORWARDED_PROTO="https")


def _client(user: User) -> Client:
    return personas.login(https_client(), user)


def count_queries(page: Page) -> dict[str, Any]:
    client = _client(page.user)
    client.get(page.url)  # warm: session, caches, lazily created rows
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    statements = [q["sql"] for q in captured.captured_queries if not _TRANSACTION.match(q["sql"])]
    shapes = Counter(_LITERALS.sub("?", sql) for sql in statements)
    repeated = {sql[:120]: n for sql, n in shapes.items() if n >= 3}
    return {"status": response.status_code, "queries": len(statements), "n_plus_one": repeated}


def floor_queries(family: Family) -> dict[str, int]:
    """Queries any signed-in request costs before a view runs (the user; the session comes from the cache)."""
    return {
        side: count_queries(Page("floor", side, user, "/healthz?live"))["queries"]
        for side, user in (("family", family.members[0]), ("staff", family.counselor))
    }


def query_counts(data: Dataset, family: Family) -> list[dict[str, Any]]:
    """Q1: counts on every key page at 1×, then with the family's data and the counselor's caseload ×10."""
    pages = key_pages(data, family)
    before = {p.name: count_queries(p) for p in pages}
    multiply_family(data, family, 10)
    others = [f.patient for f in data.families if f.counselor.pk != family.counselor.pk][:225]
    CaseloadAssignment.objects.bulk_create(
        [CaseloadAssignment(counselor=family.counselor, patient=p) for p in others], ignore_conflicts=True
    )
    rows = []
    for page in pages:
        after = count_queries(page)
        budget = FAMILY_BUDGET if page.side == "family" else STAFF_BUDGET
        one, ten = before[page.name], after
        constant = (
            one["status"] == ten["status"] == 200
            and one["queries"] == ten["queries"]
            and not one["n_plus_one"]
            and not ten["n_plus_one"]
        )
        rows.append(
            {
                "page": page.name,
                "side": page.side,
                "status": [one["status"], ten["status"]],
                "queries_1x": one["queries"],
                "queries_10x": ten["queries"],
                "budget": budget,
                "ceiling": CEILINGS[page.name],
                "n_plus_one": {**one["n_plus_one"], **ten["n_plus_one"]},
                "pass": constant and one["queries"] <= budget,
                "gate_pass": constant and one["queries"] <= CEILINGS[page.name],
            }
        )
    return rows


def medians_ms(client: Client, url: str, repeats: int, warmup: int = 10) -> tuple[float, float]:
    """Median CPU time of this process (``time.process_time``: what H1 judges, little disturbed by a busy or
    CPU-stealing machine) and median wall time per warm request, in ms."""
    for _ in range(warmup):
        client.get(url)
    cpu, wall = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        client.get(url)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return round(statistics.median(cpu) * 1000, 3), round(statistics.median(wall) * 1000, 3)


def in_process_times(data: Dataset, family: Family, repeats: int) -> dict[str, Any]:
    """H1: warm median CPU per key page (and wall time), and the floor: ``/healthz?live`` through the same
    middleware stack."""
    floor, floor_wall = medians_ms(https_client(), "/healthz?live", repeats * 3)
    pages, walls, staff = {}, {}, []
    for page in key_pages(data, family):
        pages[page.name], walls[page.name] = medians_ms(_client(page.user), page.url, repeats)
        if page.side == "staff":
            staff.append(page.name)
    return {
        "floor_ms": floor,
        "pages_ms": pages,
        "staff_pages": staff,
        "floor_wall_ms": floor_wall,
        "pages_wall_ms": walls,
    }
