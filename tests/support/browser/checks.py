"""What every page of every journey must pass: axe-core (WCAG 2.2 AA, no serious or critical violation), the
Content Security Policy (no ``securitypolicyviolation`` event) and no sideways scrolling, plus a coverage rule:
every document a journey loaded must have been checked.

axe-core comes from the npm registry (package.json, ``npm ci``) and is put into the page by evaluating its source
through the DevTools protocol (``page.evaluate``), never by a ``<script>`` tag, so the page's CSP stays exactly as
the server sent it. The CSP listener is an init script (init scripts are not subject to the page's CSP): it
records events into ``window.__cspViolations`` and reports them to the test at once through a binding, so a
violation is caught even on a page the journey leaves before checking it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Error, Page

ROOT = Path(__file__).resolve().parents[3]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")
# E2E_COLLECT=<file>: record findings in that JSON file and keep going instead of failing at the first one
# (for surveying every page at once; the suite proper always runs without it).
COLLECT_PATH = os.environ.get("E2E_COLLECT", "")
TIMING = bool(os.environ.get("E2E_TIMING"))  # print how long each check took
# E2E_SHOTS=<dir>: save a full-page screenshot of every page checked (for reviewing the interface by eye).
SHOTS_DIR = os.environ.get("E2E_SHOTS", "")

INIT_SCRIPT = """
(() => {
  if (window.__e2eDocId) return;
  window.__e2eDocId = Math.random().toString(36).slice(2) + Date.now().toString(36);
  window.__cspViolations = [];
  const report = (payload) => { try { window.__e2eReport && window.__e2eReport(payload); } catch (e) {} };
  document.addEventListener("securitypolicyviolation", (event) => {
    const violation = {
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      source: event.sourceFile,
      line: event.lineNumber,
      sample: event.sample,
      url: String(document.location.href),
    };
    window.__cspViolations.push(violation);
    report({ kind: "csp", violation: violation });
  }, true);
  if (window === window.top && /^https?:/.test(document.location.href)) {
    report({ kind: "document", id: window.__e2eDocId, url: String(document.location.href) });
  }
})();
"""

RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}
"""


# The page must not scroll sideways (at 390 px wide a page that does is hard to use): the widest offenders.
OVERFLOW = """
() => {
  const limit = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= limit + 1) return null;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > limit + 1)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
  return { scrollWidth: document.documentElement.scrollWidth, width: limit, elements: wide.slice(-5) };
}
"""


def axe_source() -> str:
    if not AXE_PATH.exists():
        raise RuntimeError(f"{AXE_PATH} is missing: run `npm ci` in the repository root first.")
    return AXE_PATH.read_text(encoding="utf-8")


@dataclass
class Finding:
    kind: str  # "axe" | "csp" | "overflow" | "unchecked"
    where: str
    detail: Any

    def describe(self) -> str:
        if self.kind == "axe":
            lines = [
                f"axe {v['impact']} {v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}" for v in self.detail
            ]
            return f"{self.where}\n  " + "\n  ".join(lines)
        return f"{self.kind} at {self.where}: {json.dumps(self.detail)}"


@dataclass
class Checks:
    """One browser context's checker. ``check(page)`` audits the page's current document."""

    label: str
    axe: str
    documents: dict[str, str] = field(default_factory=dict)  # document id → URL, every top-level page loaded
    audited: set[str] = field(default_factory=set)
    csp: list[dict[str, Any]] = field(default_factory=list)
    csp_reported: int = 0
    findings: list[Finding] = field(default_factory=list)
    pages_checked: list[str] = field(default_factory=list)
    collect_path: str = COLLECT_PATH  # empty: fail at once

    def install(self, context: BrowserContext) -> None:
        context.expose_binding("__e2eReport", self._on_report)  # before the init script that calls it
        context.add_init_script(INIT_SCRIPT)

    def _on_report(self, _source: Any, payload: dict[str, Any]) -> None:
        if payload.get("kind") == "document":
            self.documents[payload["id"]] = payload["url"]
        elif payload.get("kind") == "csp":
            self.csp.append(payload["violation"])

    def check(self, page: Page, what: str = "", *, debug_page: bool = False) -> list[dict[str, Any]]:
        """Audit the current document: axe (WCAG 2.2 AA tags), sideways scrolling and CSP events so far. Fails the
        test on a serious/critical violation, a page wider than the screen or any CSP violation; returns the
        blocking axe violations (empty when clean). ``debug_page``: Django's DEBUG error page (the e2e server runs
        with DEBUG; production shows the portal's own error page), so only the CSP is checked."""
        started = time.monotonic()
        page.wait_for_load_state("load")
        where = f"[{self.label}] {what or page.url}"
        for attempt in range(3):
            try:
                doc_id = page.evaluate("window.__e2eDocId")
                violations, overflow = [], None
                if not debug_page:
                    if not page.evaluate("typeof window.axe !== 'undefined'"):
                        page.evaluate(self.axe + "\n;void 0")
                    violations = page.evaluate(RUN_AXE, WCAG_TAGS)
                    overflow = page.evaluate(OVERFLOW)
                in_page = page.evaluate("window.__cspViolations || []")
                break
            except Error as exc:  # a navigation replaced the document mid-audit: audit the new one
                if attempt == 2 or "context was destroyed" not in str(exc):
                    raise
                page.wait_for_load_state("load")
        self.audited.add(doc_id)
        self.pages_checked.append(page.url)
        if SHOTS_DIR:
            name = re.sub(r"[^a-z0-9]+", "-", f"{self.label} {len(self.pages_checked):02d} {what or page.url}".lower())
            page.screenshot(path=str(Path(SHOTS_DIR) / f"{name.strip('-')[:120]}.png"), full_page=True)
        if TIMING:
            print(f"{time.monotonic() - started:6.2f}s check {where}", file=sys.stderr)  # noqa: T201
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        new: list[Finding] = []
        if blocking:
            new.append(Finding("axe", where, blocking))
        if overflow:
            new.append(Finding("overflow", where, overflow))
        for violation in in_page:
            if violation not in self.csp:
                self.csp.append(violation)
        if len(self.csp) > self.csp_reported:
            new.append(Finding("csp", where, self.csp[self.csp_reported :]))
            self.csp_reported = len(self.csp)
        self._fail(new)
        return blocking

    def finish(self) -> None:
        """At the end of a journey: pages loaded but never checked, and CSP events after the last check."""
        new: list[Finding] = []
        unchecked = [url for doc, url in self.documents.items() if doc not in self.audited]
        if unchecked:
            new.append(Finding("unchecked", f"[{self.label}]", unchecked))
        if len(self.csp) > self.csp_reported:
            new.append(Finding("csp", f"[{self.label}] after the last check", self.csp[self.csp_reported :]))
            self.csp_reported = len(self.csp)
        self._fail(new)

    def _fail(self, new: list[Finding]) -> None:
        if not new:
            return
        self.findings.extend(new)
        if self.collect_path:
            _append_collected(self.collect_path, new)
            return
        raise AssertionError("\n".join(f.describe() for f in new))


def _append_collected(collect_path: str, findings: list[Finding]) -> None:
    path = Path(collect_path)
    existing = json.loads(path.read_text()) if path.exists() else []
    existing.extend({"kind": f.kind, "where": f.where, "detail": f.detail} for f in findings)
    path.write_text(json.dumps(existing, indent=1))
