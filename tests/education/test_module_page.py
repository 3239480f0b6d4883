"""The module overview (``education.module_page``, ``education.lesson_rows``, issue #17): the page is byte for byte
the one the view wrote before its queries were compiled once and its lesson list built in Python (that view and
its template are kept here as the reference), for every state a learner can be in; the compiled SQL is the ORM's;
nothing is compiled again on the next page; and the consent gate still decides what an enrolled-only module
shows, on the very next page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.http import Http404, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import include, path, reverse

from accounts.models import Program, User
from consent import request_memo
from consent.models import Consent
from education import authoring, module_page, quizzes, services, support_groups, translating
from education import urls as education_urls
from education.access import enrolled_programs, get_readable_module, readable_modules
from education.models import Lesson, LessonCompletion, Module, ModuleProgress, Question, QuizAttempt
from family_portal.dashboard import PREPARED_IDS
from family_portal.requests import PortalRequest
from family_portal.urls import urlpatterns as portal_urls
from tests.support import personas
from tests.support.compiles import watch_compiles
from tests.support.education_content import answers_for, draft_module, published_module
from tests.support.translations import publish_spanish

pytestmark = pytest.mark.django_db

BEFORE = Path(__file__).with_name("module_detail_before.html")


def _reference_module_detail(request: PortalRequest, slug: str) -> HttpResponse:
    """The page as ``education.views.learner.module_detail`` made it before issue #17's second round."""
    module = get_readable_module(request.user, slug)
    progress = (
        ModuleProgress.objects.filter(learner=request.user, module=module)
        .select_related("version")
        .annotate(took_precheck=quizzes.took_precheck())
        .first()
    )
    version = progress.version if progress else module.current_version
    if version is None:
        raise Http404("Not found")
    questions = Question.objects.filter(version=version).order_by().values("version").annotate(n=Count("id"))
    lessons: Any = list(
        version.lessons.only("id", "title", "position").annotate(
            read=Exists(LessonCompletion.objects.filter(progress=progress, lesson=OuterRef("pk")))
            if progress
            else Value(False),
            question_count=Subquery(questions.values("n")[:1]),
        )
    )
    done = {lesson.pk for lesson in lessons if lesson.read}
    prerequisites = list(
        readable_modules(request.user)
        .filter(unlocks=module)
        .select_related("current_version")
        .annotate(
            finished=Exists(
                ModuleProgress.objects.filter(learner=request.user, module=OuterRef("pk"), completed_at__isnull=False)
            )
        )
    )
    shown = translating.page_language(
        request.LANGUAGE_CODE, version, *(p.current_version for p in prerequisites if p.current_version)
    )
    translating.localize_lessons(lessons, shown.translation)
    bank_size = (lessons[0].question_count or 0) if lessons else version.questions.count()
    question_count = version.draw_size(bank_size)
    groups = support_groups.groups_for_learner(request.user) if support_groups.shows_local_groups(module) else []
    context = {
        "module": module,
        "version": version,
        "progress": progress,
        "lessons": lessons,
        "done": done,
        "done_count": len(done),
        "next_lesson": next((lesson for lesson in lessons if lesson.pk not in done), None),
        "prerequisites": prerequisites,
        "question_count": question_count,
        "precheck": quizzes.precheck_offered(progress, has_questions=bool(question_count), started_reading=bool(done)),
        "updated": progress is not None and progress.version_id != module.current_version_id,
        "local_groups": groups,
        **shown.context(),
    }
    return HttpResponse(engines["django"].from_string(BEFORE.read_text()).render(context, request))


# The portal's addresses with the reference view at the module page's own (this module is the URLconf of the
# reference requests), so everything but the view is what the served page has.
_REFERENCE = (
    [path("m/<slug:slug>/", _reference_module_detail, name="module"), *education_urls.urlpatterns],
    "education",
)
urlpatterns = [path("learn/", include(_REFERENCE)), *portal_urls]


def _normalized(html: str) -> str:
    """The page without what differs between any two requests: the CSRF token and the CSP nonce."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', html)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def _pages(client: Client, slug: str, status: int = 200, **headers: Any) -> tuple[str, str]:
    """The module page as served and as the reference view makes it (both answering ``status``)."""
    url = reverse("education:module", args=[slug])
    new = client.get(url, **headers)
    with override_settings(ROOT_URLCONF=__name__):
        old = client.get(url, **headers)
    assert new.status_code == old.status_code == status
    return _normalized(new.content.decode()), _normalized(old.content.decode())


@pytest.fixture
def world(program: Program, patient: User, family_member: User) -> dict[str, Any]:
    """A module with three prerequisites (one the member finished, one not, one another program keeps for its own
    families), a lesson title that needs escaping, and an enrolled-only module of the member's program."""
    other = personas.make_program("Lakeside Program")
    draft = draft_module("main-module", lessons=3, title="Main <module> & more")
    authoring.add_lesson(version=draft, title='Tom & "Jerry" <b>', body="x")
    authoring.publish_version(version=draft, publisher=None, skip_review=True)
    main = Module.objects.get(pk=draft.module_id)
    finished = published_module("finished-first", lessons=1, questions=[])
    unfinished = published_module("read-first", lessons=2)
    hidden = published_module("lakeside-only", lessons=1, program=other, enrolled_only=True)
    main.prerequisites.set([finished, unfinished, hidden])
    progress = services.start_module(learner=family_member, module=finished)
    services.complete_lesson(progress=progress, lesson=progress.version.lessons.get())
    enrolled = published_module("riverside-own", lessons=2, program=program, enrolled_only=True)
    enrolled.prerequisites.set([main])
    return {"main": main, "enrolled": enrolled, "member": family_member, "patient": patient}


def _read(member: User, module: Module, count: int) -> ModuleProgress:
    progress = services.start_module(learner=member, module=module)
    for lesson in progress.version.lessons.order_by("position")[:count]:
        services.complete_lesson(progress=progress, lesson=lesson)
    return progress


def _state(name: str, member: User, module: Module) -> None:
    """Put ``member``'s progress on ``module`` in the named state."""
    if name == "new":
        return
    progress = _read(member, module, {"reading": 2, "all-read": 4}.get(name, 0))
    if name == "skipped":
        quizzes.skip_precheck(progress=progress)
    elif name == "prechecked":
        quizzes.submit_quiz(
            progress=progress, answers=answers_for(progress.version, right=False), kind=QuizAttempt.Kind.PRE_CHECK
        )
    elif name == "completed":
        quizzes.submit_quiz(progress=_read(member, module, 4), answers=answers_for(progress.version))
    elif name == "updated":
        authoring.publish_version(
            version=authoring.start_new_version(module=module, author=None), publisher=None, skip_review=True
        )


@pytest.mark.parametrize(
    "state", ["new", "started", "reading", "all-read", "skipped", "prechecked", "completed", "updated"]
)
def test_the_page_is_the_one_the_view_made_before(world: dict[str, Any], state: str) -> None:
    member, main = world["member"], world["main"]
    _state(state, member, main)
    new, old = _pages(personas.login(Client(), member), main.slug)
    assert new == old
    assert "Tom &amp; &quot;Jerry&quot; &lt;b&gt;" in new and "Lakeside" not in new


@pytest.mark.parametrize("viewer", ["member", "counselor", "learner", "patient"])
def test_every_viewer_sees_the_page_the_view_made_before(
    world: dict[str, Any], counselor: User, learner: User, viewer: str
) -> None:
    user = {"member": world["member"], "counselor": counselor, "learner": learner, "patient": world["patient"]}[viewer]
    client = personas.login(Client(), user)
    new, old = _pages(client, world["main"].slug)
    assert new == old
    linked = viewer in ("member", "counselor")  # the enrolled-only module is theirs (the consent, their program)
    new, old = _pages(client, world["enrolled"].slug, 200 if linked else 404)
    assert new == old


def test_a_spanish_reader_gets_the_page_the_view_made_before(world: dict[str, Any]) -> None:
    member, main = world["member"], world["main"]
    member.preferred_language = "es"
    member.save(update_fields=["preferred_language"])
    client = personas.login(Client(), member)
    fallback = _pages(client, main.slug, HTTP_ACCEPT_LANGUAGE="es")
    assert fallback[0] == fallback[1] and "Lección 1" in fallback[0]
    _read(member, main, 1)
    publish_spanish(main.current_version)
    translated = _pages(client, main.slug, HTTP_ACCEPT_LANGUAGE="es")
    assert translated[0] == translated[1] and "Leída" in translated[0]


def test_a_member_of_more_programs_than_compiled_gets_the_orm_and_the_same_page(world: dict[str, Any]) -> None:
    member = world["member"]
    for n in range(PREPARED_IDS):
        program = personas.make_program(f"Program {n}")
        patient = personas.make_user(f"p{n}@example.org", User.Role.PATIENT, program, full_name=f"Pat {n}")
        personas.consent_for(patient, member)
    with request_memo.opened():
        assert len(enrolled_programs(member)) > PREPARED_IDS
    new, old = _pages(personas.login(Client(), member), world["enrolled"].slug)
    assert new == old


@pytest.mark.parametrize("slug", ["lakeside-only", "no-such-module"])
def test_what_the_reader_may_not_read_is_404(world: dict[str, Any], slug: str) -> None:
    client = personas.login(Client(), world["member"])
    assert client.get(reverse("education:module", args=[slug])).status_code == 404


def test_a_revoked_consent_closes_the_enrolled_only_module_on_the_next_page(world: dict[str, Any]) -> None:
    client = personas.login(Client(), world["member"])
    url = reverse("education:module", args=[world["enrolled"].slug])
    assert client.get(url).status_code == 200
    assert (
        "Main &lt;module&gt; &amp; more"
        in client.get(reverse("education:module", args=["main-module"])).content.decode()
    )
    personas.revoke(Consent.objects.get(patient=world["patient"], recipient=world["member"]))
    assert client.get(url).status_code == 404
    assert client.get(reverse("education:module", args=["main-module"])).status_code == 200  # general content


def test_the_compiled_sql_is_the_orms_and_is_not_compiled_again(world: dict[str, Any], monkeypatch: Any) -> None:
    member, main = world["member"], world["main"]
    progress = _read(member, main, 1)
    client = personas.login(Client(), member)
    first = client.get(reverse("education:module", args=[main.slug])).content.decode()
    with request_memo.opened():
        ids = {"program": enrolled_programs(member)}
    shape = tuple((name, len(listed)) for name, listed in ids.items())
    prepared = module_page._MODULES.prepared(shape)._compiled["default"].sql
    orm = module_page.module_and_prerequisites(ids["program"], main.slug, member.pk)
    assert prepared == orm.query.get_compiler("default").as_sql()[0]
    lessons = module_page.lessons_of(progress.version_id, progress.pk).query.get_compiler("default").as_sql()[0]
    assert module_page._LESSONS_READ._compiled["default"].sql == lessons

    compiled = watch_compiles(monkeypatch).models
    again = client.get(reverse("education:module", args=[main.slug])).content.decode()
    assert _normalized(again) == _normalized(first)
    assert not {Module, ModuleProgress, Lesson} & set(compiled)


def test_the_page_costs_the_same_queries_with_more_lessons_and_prerequisites(
    world: dict[str, Any], django_assert_num_queries: Any
) -> None:
    client = personas.login(Client(), world["member"])
    small = published_module("small-one", lessons=1)
    big = published_module("big-one", lessons=20)
    big.prerequisites.set([published_module(f"pre-{n}", lessons=1) for n in range(12)])
    _read(world["member"], big, 10)
    for module in (small, big):
        client.get(reverse("education:module", args=[module.slug]))
        with django_assert_num_queries(4):  # the user, the gate, the modules (with progress), the lessons
            client.get(reverse("education:module", args=[module.slug]))
