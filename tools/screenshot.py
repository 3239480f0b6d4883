"""Take screenshots of portal pages as a signed-in user (for looking at pages in a real browser).

Usage: python tools/screenshot.py BASE_URL EMAIL PASSWORD OUT_DIR PATH [PATH ...]
Pass "-" as EMAIL to stay anonymous. Each page is captured at phone (390x844) and desktop (1280x800) width.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def main(base: str, email: str, password: str, out: str, paths: list[str]) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, size in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 800})):
            page = browser.new_context(viewport=size).new_page()
            if email != "-":
                page.goto(f"{base}/accounts/login/")
                page.fill("input[name=login]", email)
                page.fill("input[name=password]", password)
                page.click("form button[type=submit]")
                page.wait_for_load_state()
            for path in paths:
                page.goto(base + path)
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=str(out_dir / f"{name}-{label}.png"), full_page=True)
                print(label, path, "->", page.url)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
