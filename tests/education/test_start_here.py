"""The catalogue's "Start here" path (issue 15): a numbered list in the authors' order, with the learner's progress."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from education import services
from education.authoring import set_path_position
from education.models import Module
from tests.education.test_curriculum import START_HERE
from tests.support.education_content import published_module

pytestmark = pytest.mark.django_db


def _catalogue(client, **params) -> str:
    response = client.get(reverse("education:catalogue"), params)
    assert response.status_code == 200
    return response.content.decode()


def _path(html: str) -> str:
    """The ordered list of the "Start here" section ("" when there is none)."""
    match = re.search(r'<ol class="start-path">(.*?)</ol>', html, re.S)
    return match.group(1) if match else ""


def _step_titles(html: str) -> list[str]:
    return re.findall(r'<a class="path-title" href="[^"]+">([^<]+)</a>', _path(html))


def _placed(slug: str, position: int | None, **kwargs) -> Module:
    module = published_module(slug, **kwargs)
    if position is not None:
        set_path_position(module=module, position=position)
    return module


def test_learner_without_consent_gets_the_whole_starter_path_in_order(client, login, learner):
    """The parent who needs it most: no consent yet, and every starter module, what addiction is first."""
    call_command("load_curriculum", verbosity=0)
    login(learner)
    html = _catalogue(client)
    titles = dict(Module.objects.values_list("slug", "current_version__title"))
    assert _step_titles(html) == [titles[slug] for slug in START_HERE]
    assert f"0 of {len(START_HERE)} modules finished" in html
    assert "Every module is on the “Start here” path above." in html
    for slug in START_HERE:
        assert client.get(reverse("education:module", args=[slug])).status_code == 200


def test_path_follows_the_stored_order_not_the_alphabet(client, login, learner):
    _placed("zebra", 1, title="Zebra first")
    _placed("apple", 2, title="Apple second")
    _placed("middle", None, title="Middle, not on the path")
    login(learner)
    html = _catalogue(client)
    assert _step_titles(html) == ["Zebra first", "Apple second"]
    assert "Middle, not on the path" not in _path(html)
    more = html.split('id="all-heading"', 1)[1]
    assert "More modules" in more and "Middle, not on the path" in more and "Zebra first" not in more


def test_path_shows_progress_in_words_and_marks_the_next_step(client, login, family_member):
    done = _placed("first-step", 1, title="First step", lessons=1, questions=[])
    started = _placed("second-step", 2, title="Second step", lessons=4)
    _placed("third-step", 3, title="Third step")
    progress = services.start_module(learner=family_member, module=done)
    services.complete_lesson(progress=progress, lesson=progress.version.lessons.get())
    progress = services.start_module(learner=family_member, module=started)
    services.complete_lesson(progress=progress, lesson=progress.version.lessons.order_by("position")[0])
    login(family_member)
    html = _catalogue(client)
    path = _path(html)
    steps = re.findall(r"<li class=\"path-step[^>]*>.*?</li>\s*</ul>\s*</li>", path, re.S)
    assert len(steps) == 3
    assert "Finished" in steps[0] and 'aria-current="step"' not in steps[0]
    assert "In progress, 25% done" in steps[1] and 'aria-current="step"' in steps[1] and "Next step" in steps[1]
    assert "Not started" in steps[2]
    assert '<progress value="1" max="3" aria-labelledby="path-progress">' in html
    assert "1 of 3 modules finished" in html


def test_search_lists_matches_instead_of_the_path(client, login, learner):
    _placed("zebra", 1, title="Zebra first")
    _placed("apple", None, title="Apple elsewhere")
    login(learner)
    html = _catalogue(client, q="zebra")
    assert _path(html) == ""
    assert "Zebra first" in html and "1 module matches your search" in html


def test_another_programs_module_does_not_step_into_this_learners_path(
    client, login, program, family_member, learner, other_program
):
    _placed("shared-step", 1, title="Shared step")
    _placed("riverside-step", 2, title="Riverside step", program=program)
    _placed("hillside-step", 2, title="Hillside step", program=other_program)
    login(family_member)  # linked to a Riverside patient
    html = _catalogue(client)
    assert _step_titles(html) == ["Shared step", "Riverside step"]
    assert "Hillside step" in html  # general education: listed with the other modules
    login(learner)  # linked to no program
    assert _step_titles(_catalogue(client)) == ["Shared step"]


def test_a_started_path_module_shows_on_the_path_not_again_under_continue(client, login, family_member):
    on_path = _placed("on-path", 1, title="On the path")
    off_path = _placed("off-path", None, title="Off the path")
    for module in (on_path, off_path):
        services.start_module(learner=family_member, module=module)
    login(family_member)
    html = _catalogue(client)
    assert html.index('id="path-heading"') < html.index('id="continue-heading"')
    continuing = html.split('id="continue-heading"', 1)[1].split("</section>", 1)[0]
    assert "Off the path" in continuing and "On the path" not in continuing
