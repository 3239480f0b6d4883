"""The patient's "Who saw what" page says in plain words what was seen: every description the code stores in the
ledger has a friendly label; anything else is shown as stored. The ledger and its CSV keep the stored text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.ledger import FRIENDLY_WHAT, friendly_what, ledger_csv, record_disclosure
from consent.models import Disclosure, Scope

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "consent", "education", "family_portal", "messaging", "notifications", "scheduling")


def stored_descriptions() -> tuple[set[str], set[str]]:
    """Every literal ``what=`` description in the apps' code (and ``_disclose``'s third argument), and the fixed
    starts of the ones built with an f-string."""
    literals: set[str] = set()
    prefixes: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                values = [k.value for k in node.keywords if k.arg == "what"]
                if isinstance(node.func, ast.Name) and node.func.id == "_disclose" and len(node.args) >= 3:
                    values.append(node.args[2])
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        literals.add(value.value)
                    elif isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant):
                        prefixes.add(str(value.values[0].value))
    return literals, prefixes


def test_every_description_the_code_stores_has_a_friendly_label():
    literals, prefixes = stored_descriptions()
    assert "List of secure conversations" in literals and len(literals) >= 10  # the scan does find them
    assert sorted(literals - FRIENDLY_WHAT.keys()) == []
    assert prefixes == {"Family session attendance record "}


def test_history_shows_friendly_labels_and_unknown_text_as_stored(login, patient, consent, family_member):
    now = timezone.now()
    for what in ("List of secure conversations", "Family session attendance record 2026-03-01 to 2026-03-31"):
        record_disclosure(consent=consent, scope=Scope.SCHEDULE, channel=Disclosure.Channel.WEB, what=what, at=now)
    record_disclosure(consent=consent, scope=Scope.SCHEDULE, channel="web", what="Something older", at=now)
    page = login(patient).get(reverse("consent:history")).content.decode()
    assert "Their list of conversations" in page and "List of secure conversations" not in page
    assert "The attendance record from March 1, 2026 to March 31, 2026" in page
    assert "Something older" in page
    # The accounting itself keeps what was stored.
    export = ledger_csv(patient=patient, actor=patient)
    assert "List of secure conversations" in export


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("Secure messages", "A conversation"),
        (
            "Family session attendance record 2026-02-30 to 2026-03-31",
            "Family session attendance record 2026-02-30 to 2026-03-31",
        ),
        ("", ""),
        ("Secure messages and more", "Secure messages and more"),
    ],
)
def test_friendly_what(stored, shown):
    assert friendly_what(stored) == shown
