"""A breadth-first link crawler over the Django test client (ROB-01): every same-origin ``<a href>`` and GET form
action reachable from a start page, each fetched once (by path and query), with the page that linked it."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.test import Client

ORIGIN = "http://testserver"
# Links that would end the signed-in session (or hand it to another page's side effects) are never followed.
SESSION_ENDING = ("/accounts/logout/", "/staff-admin/logout/")
NOT_PAGES = ("/static/",)


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        elif tag == "form" and (values.get("method") or "get").lower() == "get":
            self.links.append(values.get("action") or "")


def links_in(html: str) -> list[str]:
    parser = _LinkParser()
    parser.feed(html)
    return parser.links


def same_origin_target(base: str, href: str) -> str | None:
    """``href`` resolved against ``base`` as path?query, or ``None`` for other origins, schemes and skipped paths."""
    absolute, _fragment = urldefrag(urljoin(ORIGIN + base, href.strip()))
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(ORIGIN).netloc:
        return None  # mailto:, tel:, javascript:, other sites
    if parts.path.startswith(SESSION_ENDING + NOT_PAGES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Crawl:
    visited: dict[str, int] = field(default_factory=dict)  # target → status
    linked_from: dict[str, str] = field(default_factory=dict)
    truncated: bool = False

    def server_errors(self) -> list[str]:
        return [
            f"{status} {target} (linked from {self.linked_from.get(target, 'start')})"
            for target, status in self.visited.items()
            if status >= 500
        ]


def crawl(client: Client, start: str, *, limit: int = 400, variants_per_path: int = 8) -> Crawl:
    """Fetch ``start`` and everything it links to, breadth-first, at most ``limit`` pages. Redirects are followed
    as links of the page that answered them. Endless pagers (next week, next page…) are cut after
    ``variants_per_path`` queries of the same path, so they do not use up the budget of distinct pages."""
    result = Crawl()
    queue: deque[str] = deque([start])
    seen = {start}
    variants: Counter[str] = Counter()
    while queue:
        if len(result.visited) >= limit:
            result.truncated = True
            break
        target = queue.popleft()
        response = client.get(target)
        result.visited[target] = response.status_code
        if 300 <= response.status_code < 400:
            found = [response.headers.get("Location", "")]
        elif response.status_code == 200 and "html" in response.headers.get("Content-Type", ""):
            found = links_in(response.content.decode(errors="replace"))
        else:
            found = []
        for href in found:
            link = same_origin_target(target, href)
            if link is None or link in seen:
                continue
            path = link.split("?", 1)[0]
            if variants[path] < variants_per_path:
                variants[path] += 1
                seen.add(link)
                result.linked_from[link] = target
                queue.append(link)
    return result
