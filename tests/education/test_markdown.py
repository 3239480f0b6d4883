"""The lesson sanitiser: hostile Markdown and HTML never reach the page as markup that can run or restyle."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from education.markdown import ALLOWED_TAGS, plain_text, render_markdown

HOSTILE = [
    ("script tag", "<script>alert(1)</script>Hello"),
    ("script in paragraph", "Hi <script src='https://evil.example/x.js'></script> there"),
    ("markdown javascript link", "[x](javascript:alert(1))"),
    ("mixed-case javascript link", "[x](JaVaScRiPt:alert(1))"),
    ("entity-encoded javascript link", "[x](&#106;avascript:alert(1))"),
    ("percent-encoded javascript link", "[x](%6Aavascript:alert(1))"),
    ("html javascript link", '<a href="javascript:alert(1)">x</a>'),
    ("tab inside scheme", '<a href="jav&#x09;ascript:alert(1)">x</a>'),
    ("newline inside scheme", '<a href="java\nscript:alert(1)">x</a>'),
    ("leading spaces", '<a href="   javascript:alert(1)">x</a>'),
    ("vbscript", '<a href="vbscript:msgbox(1)">x</a>'),
    ("data url link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("data url html link", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("markdown image with data url", "![x](data:image/svg+xml;base64,PHN2Zy8+)"),
    ("event handler on allowed tag", '<p onclick="alert(1)" onmouseover="alert(2)">Hi</p>'),
    ("style tag", "<style>body { display: none }</style>Text"),
    ("style attribute", '<p style="position:fixed;top:0">Cover</p>'),
    ("iframe", '<iframe src="https://evil.example"></iframe>'),
    ("srcdoc iframe", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object and embed", '<object data="x.swf"></object><embed src="x.swf">'),
    ("svg onload", "<svg onload=alert(1)><circle r=1 /></svg>"),
    ("form", '<form action="https://evil.example"><input name="password"></form>'),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base href", '<base href="https://evil.example/">'),
    ("link stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">'),
    ("protocol-relative link", "[x](//evil.example/path)"),
    ("html comment", "<!-- <script>alert(1)</script> -->ok"),
    ("uppercase tags", "<SCRIPT>alert(1)</SCRIPT><IMG SRC=x ONERROR=alert(1)>"),
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collector()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(("case", "source"), HOSTILE, ids=[case for case, _ in HOSTILE])
def test_sanitiser_strips_hostile_markup(case: str, source: str) -> None:
    html = render_markdown(source)
    lowered = html.lower()
    for element, attrs in _elements(html):
        assert element in ALLOWED_TAGS, element
        assert not any(name.startswith("on") for name in attrs), attrs
        assert "style" not in attrs
        href = (attrs.get("href") or "").strip().lower()
        if href:
            assert href.startswith(("http://", "https://", "mailto:", "/", "#")), href
            assert not href.startswith("//")
    for needle in ("<script", "<style", "<iframe", "<img", "<svg", "<object", "<embed", "<form", "<meta", "<base"):
        assert needle not in lowered
    assert "javascript:" not in lowered
    assert "data:" not in lowered


def test_sanitiser_removes_script_and_style_content_not_just_tags() -> None:
    html = render_markdown("<script>steal()</script><style>.x{}</style>Safe text")
    assert "steal" not in html
    assert ".x{}" not in html
    assert "Safe text" in html


def test_sanitiser_keeps_plain_markdown() -> None:
    html = render_markdown("## Heading\n\nSome **bold** and *soft* text.\n\n- one\n- two\n\n1. first\n")
    assert "<strong>bold</strong>" in html
    assert "<em>soft</em>" in html
    assert "<li>one</li>" in html
    assert "<ol>" in html


def test_links_get_rel_noopener_and_only_safe_schemes() -> None:
    html = render_markdown("[NIDA](https://nida.nih.gov) [mail](mailto:help@example.org) [here](/learn/)")
    hrefs = [attrs["href"] for tag, attrs in _elements(html) if tag == "a"]
    assert hrefs == ["https://nida.nih.gov", "mailto:help@example.org", "/learn/"]
    assert all(attrs.get("rel") == "noopener noreferrer" for tag, attrs in _elements(html) if tag == "a")


def test_author_rel_or_target_cannot_be_set() -> None:
    html = render_markdown('<a href="https://example.org" rel="opener" target="_blank">x</a>')
    links = [attrs for tag, attrs in _elements(html) if tag == "a"]
    assert links == [{"href": "https://example.org", "rel": "noopener noreferrer"}]


def test_headings_are_shifted_below_the_page_title() -> None:
    html = render_markdown("# Top\n\n## Next\n\n### Deeper")
    assert [tag for tag, _ in _elements(html)] == ["h2", "h3", "h4"]
    assert [tag for tag, _ in _elements(render_markdown("### Only"))] == ["h2"]


def test_plain_text_drops_markup_for_reading_checks() -> None:
    text = plain_text("### Title\n\n- **Bold** item\n\n[A link](https://example.org) here.")
    assert "#" not in text and "*" not in text and "https://" not in text
    assert "Bold item" in text and "A link here." in text
