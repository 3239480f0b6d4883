"""Message text: cleaning, and links made clickable without trusting markup."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from messaging.text import body_parts, clean_body, render_body


def test_script_tags_are_escaped():
    assert render_body("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_https_link_becomes_safe_anchor():
    html = render_body("See https://988lifeline.org/help.")
    assert html == (
        'See <a href="https://988lifeline.org/help" rel="noopener noreferrer nofollow">https://988lifeline.org/help</a>.'
    )


@pytest.mark.parametrize("text", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.org/a", "www.x.org"])
def test_only_http_and_https_become_links(text):
    assert "<a " not in render_body(text)


def test_quotes_in_url_cannot_break_out_of_the_attribute():
    html = render_body('https://example.org/"onmouseover="alert(1)')
    assert 'href="https://example.org/"' in html
    assert 'onmouseover="' not in html


def test_ampersands_in_links_are_escaped_once():
    assert 'href="https://example.org/?a=1&amp;b=2"' in render_body("https://example.org/?a=1&b=2")


def test_unbalanced_closing_bracket_stays_outside_the_link():
    assert body_parts("(see https://example.org/a)") == [
        {"text": "(see "},
        {"url": "https://example.org/a"},
        {"text": ")"},
    ]


def test_wikipedia_style_brackets_stay_inside_the_link():
    assert body_parts("https://en.wikipedia.org/wiki/A_(b)") == [{"url": "https://en.wikipedia.org/wiki/A_(b)"}]


def test_clean_body_trims_normalises_newlines_and_drops_control_characters():
    assert clean_body("  hi\r\nthere\x00\x07 ") == "hi\nthere"


@pytest.mark.parametrize("raw", ["", "   \n ", None, 5])
def test_clean_body_refuses_empty_or_non_text(raw):
    with pytest.raises(ValidationError, match="Write a message"):
        clean_body(raw)


def test_clean_body_refuses_more_than_4000_characters():
    assert clean_body("a" * 4000) == "a" * 4000
    with pytest.raises(ValidationError, match="4,000 characters; this one has 4,001"):
        clean_body("a" * 4001)


@given(st.text(max_size=300))
def test_rendered_body_never_contains_markup_from_the_text(text):
    html = str(render_body(text))
    without_anchors = html.replace('rel="noopener noreferrer nofollow"', "")
    assert "<" not in without_anchors.replace("<a href=", "").replace("</a>", "")
    assert "".join(p.get("text") or p.get("url") or "" for p in body_parts(text)) == text
