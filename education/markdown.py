"""Lesson Markdown → safe HTML: markdown-it-py renders, nh3 sanitises against a small allowlist.

Authors are trusted staff, but a lesson is shown to every family member, so its HTML is treated as hostile:
only the tags below survive, every attribute but a few is dropped, links may point only to http(s), mailto,
same-site paths or in-page anchors, and every link gets ``rel="noopener noreferrer"``. Scripts, styles,
iframes, images and event handlers never reach the page (the CSP would block most of them; this is the first
line). Headings are shifted so the highest one in a lesson is an ``<h2>``: the page's ``<h1>`` is the title.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed together with everything inside them, not just unwrapped.
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}

_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")
_SAFE_HREF = re.compile(r"^(https?://[^/]|mailto:[^/]|/(?!/)|#)", re.IGNORECASE)


def _md() -> MarkdownIt:
    # Raw HTML is parsed (not escaped) so that nh3 can remove it whole instead of showing tags as text.
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable("table")
    # Let every link through to nh3 and the filter below, the one place that judges URLs: a refused URL then
    # leaves plain link text instead of the raw "[text](url)" source.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    # No images in lessons (CSP allows only this site's own): show the alt text in their place.
    md.add_render_rule("image", lambda self, tokens, idx, options, env: escape(tokens[idx].content))
    return md


_renderer = _md()


def _shift_headings(tokens: list[Any]) -> None:
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    if not levels:
        return
    shift = 2 - min(levels)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, max(2, int(token.tag[1]) + shift))}"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Second check on URLs after nh3's scheme list: browsers ignore tabs, newlines and case in schemes."""
    if attribute == "href":
        compact = _CONTROL_AND_SPACE.sub("", value)
        return value if _SAFE_HREF.match(compact) else None
    if attribute == "start":
        return value if value.isdigit() and len(value) < 6 else None
    return value


def sanitize_html(html: str) -> str:
    """Sanitise an HTML fragment with the lesson allowlist."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=URL_SCHEMES,
    )


def render_markdown(text: str) -> str:
    """Render lesson Markdown to sanitised HTML, safe to mark as safe in a template."""
    tokens = _renderer.parse(text or "")
    _shift_headings(tokens)
    return sanitize_html(_renderer.renderer.render(tokens, _renderer.options, {}))


def plain_text(text: str) -> str:
    """Markdown reduced to its words (for reading-level checks and search): rendered, then stripped of tags."""
    html = render_markdown(text)
    html = re.sub(r"</(p|h\d|li|tr|blockquote|pre)>", ".\n", html)
    stripped = nh3.clean(html, tags=set(), clean_content_tags={"pre"})
    return re.sub(r"([.?!:])(\s*\.)+", r"\1", re.sub(r"[ \t]+", " ", unescape(stripped))).strip()
