"""The summary pages cost the same number of queries for one or many patients, summaries and versions."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Program, User
from consent.models import Scope
from messaging.summaries import services
from messaging.summaries.models import ProgressSummary
from tests.summaries.helpers import released_summary, text
from tests.support import personas

pytestmark = pytest.mark.django_db


def _world(n: int, program: Program) -> dict[str, Any]:
    """A counselor and a family member sharing with ``n`` patients; each patient has ``n`` released summaries, one
    more waiting for review, and the first summary has ``n`` extra versions."""
    counselor = personas.make_staff(f"c{n}@example.org", program)
    member = personas.make_user(f"f{n}@example.org", User.Role.FAMILY, None)
    patients = []
    for i in range(n):
        patient = personas.make_user(f"p{n}-{i}@example.org", User.Role.PATIENT, program, full_name=f"Pat {n} {i}")
        personas.assign(counselor, patient)
        personas.consent_for(patient, member, scopes=[Scope.PROGRESS_SUMMARY])
        for _ in range(n):
            released_summary(counselor, patient)
        services.write_summary(author=counselor, patient=patient, text=text(), send=True)
        patients.append(patient)
    first = ProgressSummary.objects.filter(patient=patients[0]).order_by("created_at").first()
    assert first is not None
    for _ in range(n):
        services.revise_summary(author=counselor, summary=first, text=text(), send=True)
    return {"counselor": counselor, "member": member, "patient": patients[0], "summary": first}


def _cost(login: Any, user: User, url: str) -> int:
    client = login(user, Client())
    assert client.get(url).status_code == 200  # warm: sessions, once-only rows
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _pages(world: dict[str, Any]) -> list[tuple[str, str]]:
    summary, patient = world["summary"], world["patient"]
    detail = reverse("summaries:detail", args=[summary.pk])
    return [
        ("member", reverse("summaries:index")),
        ("counselor", reverse("summaries:index")),
        ("counselor", reverse("summaries:patient", args=[patient.pk])),
        ("counselor", detail),
        ("counselor", reverse("summaries:edit", args=[summary.pk])),
        ("patient", reverse("summaries:index")),
        ("patient", detail),
    ]


def test_summary_pages_cost_the_same_for_one_or_three_of_everything(program: Program, login: Any) -> None:
    small, large = _world(1, program), _world(3, program)
    for (who, small_url), (_, large_url) in zip(_pages(small), _pages(large), strict=True):
        assert _cost(login, small[who], small_url) == _cost(login, large[who], large_url), (who, small_url)


def test_family_detail_costs_the_same_and_writes_one_ledger_row(program: Program, login: Any) -> None:
    from consent.models import Disclosure

    small, large = _world(1, program), _world(3, program)
    costs = []
    for world in (small, large):
        released = ProgressSummary.objects.filter(patient=world["patient"], released_version__isnull=False).first()
        assert released is not None
        url = reverse("summaries:detail", args=[released.pk])
        before = Disclosure.objects.count()
        costs.append(_cost(login, world["member"], url))
        assert Disclosure.objects.count() == before + 2  # the warm-up read and the measured one
    assert costs[0] == costs[1]
