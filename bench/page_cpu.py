"""Queries and CPU time per key page, for finding where a page spends its time (docs/performance.md, "Round two").

Unlike H1 (wall time inside the full run), this measures the process's CPU time per request (``time.process_time``),
which a busy machine disturbs far less, and it can profile one page. It uses whatever database and cache the
environment names; run it against a database of your own, seeded once::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/fp_pages REDIS_URL=redis://127.0.0.1:6379/14
    python -m bench.page_cpu setup 150              # migrate and seed 150 families (once)
    python -m bench.page_cpu measure [PAGE ...]     # queries and median CPU ms per page, and the /healthz floor
    python -m bench.page_cpu profile PAGE           # cProfile of 30 warm requests, by cumulative time

Pages: dashboard, conversation, schedule, module, roster, insights, inbox (the key pages of ``bench.pages``). With
``DJANGO_DEBUG=False`` it needs the production settings' variables and ``collectstatic``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

STATE = Path(os.environ.get("PAGE_CPU_STATE", "bench/results/page_cpu.json"))
_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _setup(families: int) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from bench import seed

    call_command("migrate", verbosity=0, interactive=False)
    data = seed.seed(now=timezone.now().replace(minute=0, second=0, microsecond=0), families=families)
    family = data.families[1]
    STATE.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "member": family.members[0].pk,
        "counselor": family.counselor.pk,
        "conversation": str(family.conversation.pk),
        "module": data.module_slugs[0],
    }
    STATE.write_text(json.dumps(state))


def _pages() -> list[tuple[str, Any, str]]:
    from django.urls import reverse

    from accounts.models import User

    state = json.loads(STATE.read_text())
    member, counselor = User.objects.get(pk=state["member"]), User.objects.get(pk=state["counselor"])
    return [
        ("dashboard", member, reverse("dashboard")),
        ("conversation", member, reverse("messaging:conversation", args=[state["conversation"]])),
        ("schedule", member, reverse("scheduling:session_list")),
        ("module", member, reverse("education:module", args=[state["module"]])),
        ("roster", counselor, reverse("consent:patient_list")),
        ("insights", counselor, reverse("console:caseload_insights")),
        ("inbox", counselor, reverse("messaging:conversation_list")),
    ]


def _cpu_ms(client: Any, url: str, repeats: int) -> float:
    for _ in range(5):
        client.get(url)
    samples = []
    for _ in range(repeats):
        started = time.process_time()
        client.get(url)
        samples.append(time.process_time() - started)
    return statistics.median(samples) * 1000


def _measure(only: list[str]) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.support import personas

    floor = _cpu_ms(Client(), "/healthz?live", 60)
    print(f"floor /healthz?live {floor:.2f} ms")
    for name, user, url in _pages():
        if only and name not in only:
            continue
        client = personas.login(Client(), user)
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            status = client.get(url).status_code
        queries = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(_TRANSACTION)]
        ms = _cpu_ms(client, url, 30)
        print(f"{name:13s} {status} queries {len(queries):2d}  cpu {ms:6.2f} ms  {ms / floor:6.1f}x floor")


def _profile(name: str) -> None:
    import cProfile
    import pstats

    from django.test import Client

    from tests.support import personas

    _, user, url = next(page for page in _pages() if page[0] == name)
    client = personas.login(Client(), user)
    for _ in range(5):
        client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(30):
        client.get(url)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "family_portal.settings")
    import django

    django.setup()
    command, args = (argv[0], argv[1:]) if argv else ("measure", [])
    if command == "setup":
        _setup(int(args[0]) if args else 150)
    elif command == "measure":
        _measure(args)
    elif command == "profile" and args:
        _profile(args[0])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
