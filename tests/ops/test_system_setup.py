"""A fresh clone's ``make test`` sets up the machine it needs: tools/system-packages.sh is the ONE list of system
packages, ``make test`` and ``.ci/run`` both run it, and it names every system program the suite runs — found by
reading the suite itself, so a new program cannot be added to a test without adding its package to the script.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "system-packages.sh"
# Every Debian system has these (Essential packages: coreutils, util-linux; bash and make run the suite itself),
# and shell keywords, builtins and .ci/run's own `log` function: no package to install.
BASE_SYSTEM = {"bash", "make", "dirname", "head", "id", "ls", "rm", "seq", "sleep", "touch", "setpriv", "taskset"}
BASE_SYSTEM |= {"break", "cd", "do", "done", "echo", "exit", "fi", "for", "log", "set", "test", "trap"}
BASE_SYSTEM |= {"git"}  # a checkout is a git clone (tools/planted_bugs.py copies what `git ls-files` lists)

PY_ABSOLUTE = re.compile(r"""["'](/usr/s?bin/[\w.+-]+)["']""")
PY_WHICH = re.compile(r"""which\(\s*["']([\w.+-]+)["']""")
PY_ARGV = re.compile(r"""(?:subprocess\.\w+|Popen|procs\.start)\(\s*(?:["'][^"']*["'],\s*)?\[\s*["']([\w.+-]+)["']""")
SHELL_SPLIT = re.compile(r"\$\(|;|&&|\|\||\||&|\(|\bthen\b|\bdo\b|\belse\b|\bif\b|!")
NEED = re.compile(r'^\s*"(\S+) (\S+)"', re.MULTILINE)


def _listed() -> dict[str, str]:
    """The script's "<file or command> <package>" entries."""
    return dict(NEED.findall(SCRIPT.read_text()))


def _python_programs() -> set[str]:
    found: set[str] = set()
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py"), *ROOT.glob("tools/*.py")]:
        text = path.read_text()
        for pattern in (PY_ABSOLUTE, PY_WHICH, PY_ARGV):
            found.update(pattern.findall(text))
    return found


def _shell_commands(lines: list[str]) -> set[str]:
    """The first word of every simple command in these shell lines (variables, paths in the repository and
    environment assignments skipped)."""
    found: set[str] = set()
    for line in "\n".join(lines).replace("\\\n", " ").splitlines():
        code = re.sub(r"(^|\s)#.*", "", line)
        code = re.sub(r"\"[^\"$]*\"|'[^']*'", '""', code)  # quoted text, unless it runs a command: "$(...)"
        for part in SHELL_SPLIT.split(code):
            words = [w for w in part.split() if not re.match(r"\w+=|\$|@?\$\(|[-\"'<>{}]|\d", w)]
            if words and re.fullmatch(r"@?[a-z][\w.+-]*", words[0]):
                found.add(words[0].lstrip("@"))
    return found


def _makefile_recipe_lines() -> list[str]:
    return [line[1:] for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("\t")]


def _ci_lines() -> list[str]:
    return (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True, timeout=30)
    assert os.access(SCRIPT, os.X_OK)


def test_every_system_program_the_suite_runs_is_listed() -> None:
    listed = _listed()
    assert {"chromium", "fonts-dejavu-core", "nginx", "npm", "postgresql", "redis-server"} <= set(listed.values())
    names = {Path(entry).name for entry in listed}
    used = _python_programs() | _shell_commands(_makefile_recipe_lines()) | _shell_commands(_ci_lines())
    assert "/usr/bin/chromium" in used  # the scan finds what it must (the browser suite's Chromium)
    assert {"pg_dump", "npm", "redis-server"} <= used
    missing = sorted(
        program
        for program in used - BASE_SYSTEM
        if (program not in listed if program.startswith("/") else program not in names)
    )
    assert not missing, f"tools/system-packages.sh does not install: {missing}"


def test_make_test_sets_up_the_machine_before_anything_needs_it() -> None:
    for target in ("test", "test-browser"):
        plan = subprocess.run(
            ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
        ).stdout.splitlines()
        setup = [n for n, line in enumerate(plan) if line.strip() == "tools/system-packages.sh"]
        browser = [n for n, line in enumerate(plan) if "pytest -m browser" in line]
        assert len(setup) == 1, f"`make {target}` does not run tools/system-packages.sh once: {plan}"
        assert browser and setup[0] < browser[0]
        assert all(setup[0] < n for n, line in enumerate(plan) if line.startswith(("npm ", "DJANGO_DEBUG")))


def test_ci_installs_through_the_same_script() -> None:
    ci = "\n".join(_ci_lines())
    assert "tools/system-packages.sh --services" in ci
    assert "apt-get" not in ci  # no second list to drift


def test_check_names_what_is_missing_and_installs_nothing(tmp_path: Path) -> None:
    result = _run_script(["--services", "--check"], path=tmp_path)
    assert result.returncode == 1
    assert "missing system packages:" in result.stdout
    for package in ("npm", "postgresql", "redis-server"):  # commands this PATH cannot find
        assert package in result.stdout.split()


def test_without_root_or_sudo_it_says_what_to_install() -> None:
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv is None:
        pytest.skip("running as root without setpriv: cannot run the script as an ordinary user")
    as_user = [str(setpriv), "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    with tempfile.TemporaryDirectory() as bin_dir:  # under /tmp: the ordinary user must be able to read it
        path = Path(bin_dir)
        path.chmod(0o755)
        (path / "id").symlink_to(str(shutil.which("id")))
        (path / "apt-get").write_text("#!/bin/sh\nexit 1\n")  # an apt system (never run: nothing is installed)
        (path / "apt-get").chmod(0o755)
        result = _run_script([], path=path, prefix=as_user)  # no sudo and no npm on this PATH
    assert result.returncode == 1
    assert "npm" in result.stderr
    assert "apt-get install" in result.stderr
    assert "root" in result.stderr


def _run_script(args: list[str], path: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run(
        [*(prefix or []), bash, str(SCRIPT), *args],
        env={"PATH": str(path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
