"""Issue #18 acceptance: every page each persona reaches (the ROB-01 crawler) is rendered in English and in Spanish,
and no visible text may be the same in both unless it is data or on the allow-list (the brand, people's names and
what they typed, phone numbers, email addresses, web addresses, numbers, language names).

Visible text: text nodes outside <script> and <style>, plus title, aria-label, placeholder and alt attributes and
the value of submit and button inputs. A failure lists each English leftover with the first page it was seen on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.invitations import send_invitation
from consent.models import Scope
from consent.services import grant_consent
from tests.support import personas
from tests.support.crawler import crawl
from tests.support.portal_world import World, build_world

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 150
VARIANTS_PER_PATH = 2  # pagers and week views: two of each are enough to see their words
DATA_APPS = ("accounts", "consent", "education", "scheduling", "messaging", "notifications")
BRAND = "Family Portal"
LANGUAGE_NAMES = {name for _code, name in settings.LANGUAGES}
# Time zone abbreviations are the same words in both languages.
SAME_IN_BOTH = LANGUAGE_NAMES | {"EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST", "AKDT", "HST", "UTC"}
# Place names in the time-zone choices that Spanish writes the same way, and the Ctrl key's label.
SAME_IN_BOTH |= {"Alaska (Anchorage)", "Arizona (Phoenix)", "Ctrl"}
NOT_WORDS = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"(https?://|www\.)\S+"),  # web addresses
    re.compile(r"\b[\w-]+\.(org|com|gov|net)\b\S*"),  # bare domains (988lifeline.org)
    re.compile(r"\+?\d[\d\s().-]{5,}\d"),  # phone numbers
]
TEXT_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
BUTTON_INPUTS = ("submit", "button", "reset")
LETTER = re.compile(r"[^\W\d_]")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """The visible text of a page, except text inside an element that says it is in another language
    (``lang="en"`` on a Spanish page: a consent reproduced as it was signed, a module shown in English with a note)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skipping = 0
        self._open: list[tuple[str, bool]] = []  # open elements: (tag, in another language)
        self._page_language = ""

    def _foreign(self) -> bool:
        return any(foreign for _tag, foreign in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
            return
        values = dict(attrs)
        language = (values.get("lang") or "").split("-")[0]
        if tag == "html":
            self._page_language = language
        elif tag not in VOID:
            self._open.append((tag, bool(language) and language != self._page_language))
        if self._foreign():
            return
        self.texts.extend(values[name] or "" for name in TEXT_ATTRIBUTES if values.get(name))
        if tag == "input" and (values.get("type") or "") in BUTTON_INPUTS and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skipping -= 1
        elif tag not in VOID and tag != "html":
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1
            return
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping and not self._foreign():
            self.texts.append(data)


def visible_texts(html: str) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    return {text for text in (" ".join(raw.split()) for raw in parser.texts) if LETTER.search(text)}


def _strings(value: Any) -> list[str]:
    """Every string inside a stored value (JSON lists and objects too: a module's sources)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


def stored_text() -> list[str]:
    """Every string people or fixtures stored (names, what they typed, content, a module's sources), and each line
    of stored Markdown without its markers ("### Part 1" shows as "Part 1"): data, not interface."""
    found: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in DATA_APPS:
            continue
        names = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.choices and f.concrete
        ]
        if not names:
            continue
        for row in model._default_manager.values_list(*names):
            for value in (text for item in row for text in _strings(item)):
                if LETTER.search(value):
                    found.add(" ".join(value.split()))
                    found.update(line for raw in value.splitlines() if LETTER.search(line := raw.strip("#*->_ \t")))
    return sorted(found, key=len, reverse=True)


@dataclass
class Leftovers:
    data: list[str]
    first_seen: dict[str, str] = field(default_factory=dict)

    def allowed(self, text: str) -> bool:
        if text in SAME_IN_BOTH:
            return True
        rest = text.replace(BRAND, " ")
        for pattern in NOT_WORDS:
            rest = pattern.sub(" ", rest)
        for value in self.data:
            if value in rest:
                rest = rest.replace(value, " ")
        if not LETTER.search(rest):
            return True
        # A fragment of stored content (a line of a lesson, a paragraph of the consent form text).
        return len(text) >= 25 and any(text in value for value in self.data)

    def compare(self, page: str, english: str, spanish: str) -> None:
        for text in sorted(visible_texts(english) & visible_texts(spanish)):
            if text not in self.first_seen and not self.allowed(text):
                self.first_seen[text] = page

    def report(self) -> str:
        lines = [f"{page}: {text!r}" for text, page in sorted(self.first_seen.items(), key=lambda item: item[1])]
        return f"{len(lines)} English text(s) left on Spanish pages:\n" + "\n".join(lines[:200])


class _Recording:
    """The test client, keeping the body of each HTML page the crawl fetched (the English render)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.pages: dict[str, str] = {}

    def get(self, path: str, **extra: Any) -> Any:
        response = self.client.get(path, **extra)
        if response.status_code == 200 and "html" in response.headers.get("Content-Type", ""):
            self.pages[path] = response.content.decode(errors="replace")
        return response


def english_pages(client: Client, start: str) -> dict[str, str]:
    recording = _Recording(client)
    crawl(recording, start, limit=PAGE_LIMIT, variants_per_path=VARIANTS_PER_PATH)  # type: ignore[arg-type]
    return recording.pages


def compare_in_spanish(pages: dict[str, str], fetch_spanish: Any) -> Leftovers:
    leftovers = Leftovers(data=stored_text())
    for path, english in pages.items():
        response = fetch_spanish(path)
        if response.status_code == 200:
            leftovers.compare(path, english, response.content.decode(errors="replace"))
    return leftovers


@pytest.fixture
def representative(program) -> User:
    return personas.make_user("gwen@example.org", User.Role.FAMILY, None, full_name="Gwen Guardian")


@pytest.fixture
def world(patient, counselor, program_admin, family_member, representative) -> World:
    return build_world(
        {
            "patient": patient,
            "counselor": counselor,
            "program_admin": program_admin,
            "family_member": family_member,
            "representative": representative,
        }
    )


def _set_language(user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)


@pytest.mark.parametrize("persona", ["family_member", "patient", "counselor", "program_admin", "representative"])
def test_no_english_is_left_on_the_spanish_pages_a_signed_in_persona_reaches(world: World, persona: str) -> None:
    user = world.people[persona]
    client = personas.login(Client(raise_request_exception=False), user)
    pages = english_pages(client, "/dashboard/")
    assert "/dashboard/" in pages and len(pages) > 5

    _set_language(user, "es")
    leftovers = compare_in_spanish(pages, client.get)

    assert not leftovers.first_seen, leftovers.report()


def _invitation_link(world: World) -> str:
    """The landing page of an emailed invitation: a page someone reaches before they have an account."""
    consent = grant_consent(
        patient=world.people["patient"],
        recipient_name="Sam Rivera",
        recipient_email="sam@example.org",
        scopes=[Scope.SCHEDULE.value],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
    )
    _invitation, token = send_invitation(consent=consent, actor=world.people["patient"])
    return reverse("consent:accept_invitation", args=[token])


def test_no_english_is_left_on_the_spanish_pages_before_sign_in(world: World) -> None:
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the header's choice (the invitation keeps it)
    pages = english_pages(client, "/")
    extras = ("/accounts/signup/", "/accounts/password/reset/", "/accounts/login/code/", "/crisis/", "/verify/")
    for extra in (*extras, _invitation_link(world)):
        if extra not in pages:
            pages.update(english_pages(client, extra))

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    leftovers = compare_in_spanish(pages, client.get)

    assert not leftovers.first_seen, leftovers.report()


def test_the_comparison_sees_english_leftovers_and_lets_data_through() -> None:
    """The checker itself: a shared interface word fails; names, brand, numbers and addresses do not."""
    english = (
        '<html><head><title>Home · Family Portal</title><script>var x = "Home";</script></head><body>'
        '<p>Sessions</p><p>Fran Rivera</p><p>Call 1-800-662-4357</p><a href="#" aria-label="Close">→</a>'
        '<input type="submit" value="Save"><p>fran@example.org</p><p>Español</p><p>Family Portal</p></body></html>'
    )
    spanish = (
        '<html><head><title>Inicio · Family Portal</title><script>var x = "Home";</script></head><body>'
        '<p>Sessions</p><p>Fran Rivera</p><p>Call 1-800-662-4357</p><a href="#" aria-label="Close">→</a>'
        '<input type="submit" value="Save"><p>fran@example.org</p><p>Español</p><p>Family Portal</p></body></html>'
    )
    leftovers = Leftovers(data=["Fran Rivera"])
    leftovers.compare("/page/", english, spanish)
    assert set(leftovers.first_seen) == {"Sessions", "Call 1-800-662-4357", "Close", "Save"}


def test_text_marked_as_another_language_is_not_a_leftover() -> None:
    """A consent signed in English, reproduced on a Spanish page inside ``lang="en"``, is the document, not chrome;
    the Spanish page's own words around it are still checked."""
    english = (
        '<html lang="en"><body><p>Print</p><article lang="en"><h1>Consent</h1><br/><p>Why</p></article></body></html>'
    )
    spanish = (
        '<html lang="es"><body><p>Print</p><article lang="en"><h1>Consent</h1><br/><p>Why</p></article></body></html>'
    )
    leftovers = Leftovers(data=[])
    leftovers.compare("/print/", english, spanish)
    assert set(leftovers.first_seen) == {"Print"}
