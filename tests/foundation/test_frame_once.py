"""``{% frame_once %}`` (family_portal/frame_once.py): the frame's parts rendered once and filled in per request
give pages byte for byte as base.html wrote them before (tests/foundation/frame_reference/base.html, the frame as
it was, with its language switcher still an include), for each language and sign-in state, and the region's slots
as the template would render them. A change to the frame's HTML fails here until the reference follows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Engine, TemplateSyntaxError
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "frame_reference"
# The values each request draws afresh: the CSRF fields' masked token, the CSP nonce, the idle seconds left.
_PER_REQUEST = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"'), 'name="csrfmiddlewaretoken" value="T"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce="N"'),
    (re.compile(r'data-idle-left="\d+"'), 'data-idle-left="L"'),
]


def _normalized(content: bytes) -> str:
    page = content.decode()
    for pattern, replacement in _PER_REQUEST:
        page = pattern.sub(replacement, page)
    return page


def _with_reference_frame() -> override_settings:
    engine: dict[str, Any] = settings.TEMPLATES[0]
    templates = [{**engine, "DIRS": [REFERENCE, *engine["DIRS"]]}]
    return override_settings(TEMPLATES=templates)


def _both(client: Client, url: str) -> tuple[str, str]:
    now = _normalized(client.get(url).content)
    with _with_reference_frame():
        before = _normalized(client.get(url).content)
    return now, before


@pytest.mark.parametrize("language", ["en", "es"])
def test_signed_in_pages_are_byte_for_byte_the_reference_frames(login, family_member, counselor, language):
    family_member.preferred_language = language
    family_member.save(update_fields=["preferred_language"])
    client = login(family_member)
    pages = ("dashboard", "crisis", "accounts:profile", "scheduling:session_list")
    for url in map(reverse, pages):
        now, before = _both(client, url)
        assert now == before, url
        assert now.count('value="T"') >= 3 and 'nonce="N"' in now and 'data-idle-left="L"' in now
    now, before = _both(login(counselor, Client()), reverse("consent:patient_list"))
    assert now == before and "Patients" in now


def test_pages_before_sign_in_and_with_messages_are_the_reference_frames(client, login, family_member):
    for url in (reverse("account_login"), reverse("crisis"), "/"):
        now, before = _both(client, url)
        assert now == before, url
    pages = []
    for frame in (None, _with_reference_frame()):
        signed_in = login(family_member, Client())
        signed_in.post(reverse("account_logout"))  # queues "You have signed out."
        if frame is None:
            pages.append(_normalized(signed_in.get(reverse("account_login")).content))
        else:
            with frame:
                pages.append(_normalized(signed_in.get(reverse("account_login")).content))
    assert 'class="toast' in pages[0] and pages[0] == pages[1]


REGION = (
    "<p{% if user.is_authenticated %} data-left={{ idle_left_s }}{% endif %}>{{ csp_nonce }}|{% csrf_token %}|"
    "{% if user.is_authenticated %}{{ frame_main_nav }}{% endif %}|{% translate 'Menu' %}</p>"
)


def _engine() -> Engine:
    return Engine(libraries={"frame": "family_portal.templatetags.frame", "i18n": "django.templatetags.i18n"})


class _Nav:
    """What ``chrome.main_nav`` needs of a request."""

    def __init__(self, user: object) -> None:
        self.user = user
        self.path = "/elsewhere/"
        self.resolver_match = None


def test_a_regions_slots_are_rendered_as_the_template_renders_them(family_member):
    engine = _engine()
    once = engine.from_string("{% load frame i18n %}{% frame_once %}" + REGION + "{% endframe_once %}")
    written = engine.from_string("{% load frame i18n %}" + REGION.replace("{{ frame_main_nav }}", "{% main_nav %}"))
    for user, nonce, token, left in (
        (AnonymousUser(), "n<1>", "t&1", 5),
        (family_member, "n2", "t2", 1800),
        (family_member, 'n"3', "t3", 12),
    ):
        request = _Nav(user)
        request._messaging_unread = 0  # type: ignore[attr-defined]
        values = {"user": user, "csp_nonce": nonce, "csrf_token": token, "idle_left_s": left, "request": request}
        assert once.render(Context(values)) == written.render(Context(values))
    missing = {"user": AnonymousUser(), "csp_nonce": "n"}  # no CSRF token: as written (no field)
    assert once.render(Context(missing)) == written.render(Context(missing))
    assert 'name="csrfmiddlewaretoken"' not in once.render(Context(missing))


def test_a_region_cannot_hold_a_block():
    with pytest.raises(TemplateSyntaxError):
        _engine().from_string("{% load frame %}{% frame_once %}{% block x %}{% endblock %}{% endframe_once %}")


def test_a_cached_region_renders_no_template_of_its_own(login, family_member):
    """The regions hold no include: every response names the same templates, the first after a start or not."""
    client = login(family_member)
    names = [[t.name for t in client.get(reverse("crisis")).templates] for _ in range(2)]
    assert names[0] == names[1] == ["crisis.html", "base.html"]


def test_a_region_stores_nothing_of_the_person_or_request_it_was_first_rendered_for(family_member, counselor):
    """What a region shows besides its slots comes from the key alone: a person's or a request's value written into
    a region by mistake renders empty, never the first viewer's value to the next one with the same key."""
    once = _engine().from_string(
        "{% load frame %}{% frame_once %}[{{ user.email }}|{{ request.path }}|{{ secret }}|"
        "{% if user.is_authenticated %}in{% endif %}|{{ frame.home }}]{% endframe_once %}"
    )
    frame = {"home": "/home/"}
    for user in (family_member, counselor):
        values = {"user": user, "request": _Nav(user), "secret": user.email, "frame": frame}
        assert once.render(Context(values)) == "[|||in|/home/]"
