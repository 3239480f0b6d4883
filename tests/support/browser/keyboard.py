"""Keyboard-only helpers: move focus with Tab until it reaches an element, and check the focus is visible."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

FOCUS_VISIBLE = """(el) => {
  const style = getComputedStyle(el);
  return el.matches(":focus-visible") && (style.outlineStyle !== "none" && style.outlineWidth !== "0px"
    || style.boxShadow !== "none");
}"""


def tab_to(page: Page, target: Locator, max_presses: int = 60) -> int:
    """Press Tab until ``target`` has focus (and shows a visible focus indicator); returns the presses needed."""
    handle = target.element_handle()
    for presses in range(1, max_presses + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => el === document.activeElement", handle):
            assert page.evaluate(FOCUS_VISIBLE, handle), f"no visible focus indicator on {target}"
            return presses
    raise AssertionError(f"{target} not reached with {max_presses} presses of Tab")
