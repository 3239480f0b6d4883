"""Plant each bug an outside review found surviving the suite, and show the test named for it fails every run.

    .venv/bin/python tools/planted_bugs.py [--runs 10] [--only NAME]

For each planted bug: the tree is copied to a temporary directory (``git ls-files``, so nothing untracked comes
along), the one change is made there, and the named tests run ``--runs`` times in fresh ``pytest`` processes
(each with a new Hypothesis seed). A bug is *caught* only if every run fails. A clean copy runs the same tests
once first: a test that fails without the bug proves nothing. ``docs/testing.md`` records the last result.

The change is found by its text, not its file, so moving code between modules does not break this script; the
text must occur exactly ``count`` times in the app code, or the script says the bug can no longer be planted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "consent", "console", "education", "family_portal", "messaging", "notifications", "scheduling")


@dataclass(frozen=True)
class PlantedBug:
    name: str
    old: str
    new: str
    tests: tuple[str, ...]
    count: int = 1


BUGS = (
    PlantedBug(
        name="consent expiry ignored by the policy",
        old="            Q(expires_at__gt=at),\n",
        new="",
        tests=("tests/consent/test_policy_agreement.py::test_every_shape_of_the_gate_gives_the_same_answer",),
    ),
    PlantedBug(
        name="invitation accepted for a consent already linked",
        old="consent.recipient_id is not None or not ",
        new="not ",
        count=2,
        tests=(
            "tests/consent/test_invitations.py"
            "::test_second_outstanding_invitation_is_refused_once_the_consent_is_linked",
        ),
    ),
    PlantedBug(
        name="learner started on the newest version, draft or not",
        old='current = Module.objects.live().filter(pk=module.pk).values_list("current_version_id", flat=True).first()',
        new='current = module.versions.order_by("-number").values_list("pk", flat=True).first()',
        tests=(
            "tests/education/test_learning.py::test_learner_reads_the_published_version_while_a_newer_one_is_pending",
        ),
    ),
    PlantedBug(
        name="audit hash ignoring the previous hash",
        old='hashlib.sha256(f"{prev_hash}|{payload}".encode())',
        new="hashlib.sha256(payload.encode())",
        tests=(
            "tests/consent/test_audit.py::test_chain_hash_known_answer_covers_the_previous_hash",
            "tests/consent/test_audit.py::test_edited_row_with_a_recomputed_hash_is_caught_by_the_next_rows_hash",
        ),
    ),
)


def _copy_tree(into: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _plant(tree: Path, bug: PlantedBug) -> Path:
    hits = [path for app in APPS for path in (tree / app).rglob("*.py") if bug.old in path.read_text()]
    found = sum(path.read_text().count(bug.old) for path in hits)
    if len(hits) != 1 or found != bug.count:
        raise SystemExit(f"cannot plant {bug.name!r}: its text occurs {found} times in {len(hits)} files")
    path = hits[0]
    path.write_text(path.read_text().replace(bug.old, bug.new))
    return path.relative_to(tree)


def _passes(tree: Path, tests: tuple[str, ...]) -> bool:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env["DJANGO_DEBUG"] = "True"
    command = [str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-x", "-m", "not browser", "-p", "no:cacheprovider"]
    result = subprocess.run([*command, *tests], cwd=tree, env=env, capture_output=True, text=True, check=False)
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per planted bug (default 10)")
    parser.add_argument("--only", help="plant only the bug whose name contains this text")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    bugs = [bug for bug in BUGS if args.only is None or args.only in bug.name]
    if not bugs:
        parser.error(f"no planted bug matches {args.only!r}")
    caught_all = True
    for bug in bugs:
        with tempfile.TemporaryDirectory(prefix="planted-") as tmp:
            tree = Path(tmp)
            _copy_tree(tree)
            if not _passes(tree, bug.tests):
                print(f"{bug.name}: the named tests fail without the bug; fix them first")
                return 1
            where = _plant(tree, bug)
            failures = sum(not _passes(tree, bug.tests) for _ in range(args.runs))
        caught = failures == args.runs
        caught_all &= caught
        verdict = "caught" if caught else "SURVIVED"
        print(f"{bug.name} ({where}): failed {failures}/{args.runs} runs: {verdict}")
        for test in bug.tests:
            print(f"    {test}")
    return 0 if caught_all else 1


if __name__ == "__main__":
    sys.exit(main())
