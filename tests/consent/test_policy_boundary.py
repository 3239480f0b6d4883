"""AZ-09: nothing outside ``consent/`` decides who may see what.

The consent, caseload, break-glass and representative tables are read for access only by ``consent.policy``.
This test reads the source of every other module and names the file and line of any query on those tables: a
manager (``Consent.objects``), a related manager (``user.consents_received``) or a lookup through them
(``filter(caseload__…)``, ``Q(represents__…)``). Modules outside ``consent/`` ask ``consent.gate`` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_PARTS = {".venv", "tests", "migrations", "bench", "node_modules", "consent", "mutants"}
TABLES = {"Consent", "PersonalRepresentative", "BreakGlassAccess", "CaseloadAssignment"}
# Reverse relations from a user to those tables (related_name on each foreign key).
RELATIONS = {
    "consents_received",
    "consents_given",
    "represents",
    "representatives",
    "caseload",
    "counselor_assignments",
}
# Writes of demo data, not access decisions: each line is allowed by its exact text, so a new query still fails.
ALLOWED = {
    (
        "family_portal/management/commands/load_demo_data.py",
        "CaseloadAssignment.objects.get_or_create(counselor=users[counselor], patient=users[email])",
    ),
    (
        "family_portal/management/commands/load_demo_data.py",
        "if patient_email and not Consent.objects.filter(recipient=member).exists():",
    ),
}


def access_queries(source: str) -> list[tuple[int, str]]:
    """(line, what) for every query on the access tables in ``source``, in reading order."""
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, ast.Name) and node.value.id in TABLES:
                found.append((node.lineno, node.col_offset, f"{node.value.id}.objects"))
            elif node.attr in RELATIONS:
                found.append((node.lineno, node.end_col_offset or 0, f".{node.attr}"))
        elif isinstance(node, ast.keyword) and node.arg and node.arg.split("__")[0] in RELATIONS:
            found.append((node.lineno, node.col_offset, f"{node.arg}="))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _through_relation(node.value):
            found.append((node.lineno, node.col_offset, repr(node.value)))
    return [(line, what) for line, _, what in sorted(found)]


def _through_relation(lookup: str) -> bool:
    return "__" in lookup and lookup.split("__")[0] in RELATIONS


def offenders(root: Path = ROOT) -> list[str]:
    result = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_PARTS for part in relative.parts):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for lineno, what in access_queries("\n".join(lines)):
            text = lines[lineno - 1].strip()
            if (str(relative), text) not in ALLOWED:
                result.append(f"{relative}:{lineno}: {what} — ask consent.gate instead")
    return result


def test_no_module_outside_consent_queries_the_access_tables():
    assert offenders() == []


def test_the_boundary_names_file_and_line_of_a_new_query(tmp_path):
    module = tmp_path / "scheduling" / "shortcut.py"
    module.parent.mkdir()
    module.write_text(
        "from consent.models import Consent\n"
        "\n"
        "def members(patient):\n"
        "    return Consent.objects.effective().filter(patient=patient)\n"
        "\n"
        "def staff(user):\n"
        "    return user.caseload.all(), User.objects.filter(counselor_assignments__ended_at=None)\n"
        "\n"
        "def names(qs):\n"
        "    return qs.values('represents__patient_id')\n",
        encoding="utf-8",
    )
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "policy.py").write_text("Consent.objects.all()\n", encoding="utf-8")

    found = offenders(tmp_path)

    assert found == [
        "scheduling/shortcut.py:4: Consent.objects — ask consent.gate instead",
        "scheduling/shortcut.py:7: .caseload — ask consent.gate instead",
        "scheduling/shortcut.py:7: counselor_assignments__ended_at= — ask consent.gate instead",
        "scheduling/shortcut.py:10: 'represents__patient_id' — ask consent.gate instead",
    ]
