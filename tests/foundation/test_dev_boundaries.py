"""Dev code depends one way (docs/architecture.md, "Dev code"): the apps import no dev code; ``tests/support/`` is
the shared dev code and imports only the apps and itself; the rest of ``tests/`` imports ``tests/`` and never
``bench/`` or ``tools/``; ``bench/`` (its own tests in ``bench/tests/`` included) and ``tools/`` import the apps,
themselves and ``tests/support/`` only. Only ``bench/`` imports ``bench/``, and only ``tools/`` imports ``tools/``.

The test reads the source of every module and names the file and line of each import that breaks the rule: an
``import``/``from`` statement (relative ones resolved), or a string naming a dev module the way a child process or
a plugin list does (``"-m", "tests.support.browser.seed"``, ``--app tests.support.bare_asgi:application``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_PARTS = {".venv", "node_modules", "mutants", "staticfiles", "__pycache__"}
# The dev areas each area may import (dev code may always import the apps and third-party packages).
MAY_IMPORT: dict[str, set[str]] = {
    "app": set(),
    "tests/support": {"tests/support"},
    "tests": {"tests", "tests/support"},
    "bench": {"bench", "tests/support"},
    "tools": {"tools", "tests/support"},
}
MODULE_STRING = re.compile(r"^(?:tests|bench|tools)(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?$")


def area_of_path(relative: Path) -> str:
    parts = relative.parts
    if parts[0] == "tests":
        return "tests/support" if len(parts) > 2 and parts[1] == "support" else "tests"
    return parts[0] if parts[0] in {"bench", "tools"} else "app"


def area_of_module(module: str) -> str | None:
    """The dev area a dotted module name lies in, or None for the apps and third-party packages."""
    parts = module.split(".")
    if parts[0] == "tests":
        return "tests/support" if len(parts) > 1 and parts[1] == "support" else "tests"
    return parts[0] if parts[0] in {"bench", "tools"} else None


def imported_modules(source: str, package: list[str]) -> list[tuple[int, str]]:
    """(line, module) for every module ``source`` imports or names as a module string; ``package`` resolves
    relative imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # ``from tests import support`` imports tests.support: below a top-level package, the names are modules.
            found += [
                (node.lineno, module if "." in module else f"{module}.{alias.name}".strip(".")) for alias in node.names
            ]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_STRING.match(node.value):
            found.append((node.lineno, node.value.split(":")[0]))
    return sorted(set(found))


def offenders(root: Path = ROOT) -> list[str]:
    result = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_PARTS or part.startswith(".") for part in relative.parts):
            continue
        area = area_of_path(relative)
        package = list(relative.parent.parts)
        for lineno, module in imported_modules(path.read_text(encoding="utf-8"), package):
            target = area_of_module(module)
            if target is not None and target not in MAY_IMPORT[area]:
                allowed = ", ".join(sorted(MAY_IMPORT[area])) or "no dev code"
                result.append(f"{relative}:{lineno}: {area} imports {module} — {area} may import {allowed}")
    return result


def test_dev_code_depends_one_way():
    assert offenders() == []


def test_the_rule_names_file_and_line_of_each_wrong_import(tmp_path):
    files = {
        "consent/gate.py": "from tests.support import personas\n",
        "tests/consent/test_gate.py": "import os\nfrom bench.seed import Dataset\nfrom tests.support import procs\n",
        "tests/support/world.py": "from tests.consent.conftest import strip_csrf\nfrom . import personas\n",
        "tests/ops/test_flags.py": "APP = 'bench.bare_asgi:application'\nfrom .. import conftest\n",
        "bench/stages.py": "from tests import conftest\nfrom tests.support.procs import ProcessRegistry\n",
        "bench/tests/test_evaluate.py": "from bench.evaluate import metrics\nfrom tools import screenshots\n",
        "tools/shots.py": "import tests.browser.conftest\nimport bench.run\nARGS = ['-m', 'tests.support.seed']\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")

    found = offenders(tmp_path)

    assert found == [
        "bench/stages.py:1: bench imports tests.conftest — bench may import bench, tests/support",
        "bench/tests/test_evaluate.py:2: bench imports tools.screenshots — bench may import bench, tests/support",
        "consent/gate.py:1: app imports tests.support — app may import no dev code",
        "tests/consent/test_gate.py:2: tests imports bench.seed — tests may import tests, tests/support",
        "tests/ops/test_flags.py:1: tests imports bench.bare_asgi — tests may import tests, tests/support",
        "tests/support/world.py:1: tests/support imports tests.consent.conftest"
        " — tests/support may import tests/support",
        "tools/shots.py:1: tools imports tests.browser.conftest — tools may import tests/support, tools",
        "tools/shots.py:2: tools imports bench.run — tools may import tests/support, tools",
    ]
