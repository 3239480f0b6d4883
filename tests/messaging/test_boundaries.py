"""Source-tree rules for messaging (style 2.3, WS-10): only messaging/services/live.py sends through the channel
layer, and nothing reads the WebSocket query string."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for path in ROOT.rglob("*.py")
    if not any(
        part in {".venv", "tests", "migrations", "bench", "node_modules"} for part in path.relative_to(ROOT).parts
    )
]
SENDS = re.compile(r"\b(group_send|get_channel_layer)\b|channel_layer\.send\(")


def test_only_messaging_services_sends_to_the_channel_layer():
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if SENDS.search(p.read_text(encoding="utf-8"))]
    assert offenders == ["messaging/services/live.py"]


def test_no_websocket_code_reads_the_query_string():
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if "query_string" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_broadcasts_are_sent_only_after_commit():
    modules = sorted((ROOT / "messaging" / "services").glob("*.py"))
    text = "\n".join(path.read_text(encoding="utf-8") for path in modules)
    direct_calls = [line for line in text.splitlines() if "_broadcast(" in line and "def _broadcast" not in line]
    assert direct_calls and all("on_commit" in line for line in direct_calls), direct_calls
