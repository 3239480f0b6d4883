"""The module overview page's two queries, their SQL compiled once per process (issue #17).

Building and compiling these querysets cost the page more CPU than running them. Each is written once here, as an
ordinary queryset of plain ids, and the page runs it through ``family_portal.prepared`` (SQL compiled once, the
request's ids put in) whenever the values fit the compiled shape: a signed-in, active learner with an ``int`` id and
at most ``PREPARED_IDS`` programs whose enrolled-only modules they may read. Anyone else gets the same querysets
through the ORM, so both paths read the same rows (``tests/education/test_module_page.py``).

Which modules a learner may read is still ``education.access``'s rule (``enrolled_programs``: the consent gate's
answer for a family member, remembered for the request; ``modules_readable_in``): only its result, the program
ids, is put into the compiled SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404

from accounts.models import User
from education import quizzes
from education.access import enrolled_programs, modules_readable_in
from education.models import Lesson, LessonCompletion, Module, ModuleProgress, ModuleQuerySet, ModuleVersion, Question
from family_portal.dashboard import PreparedWithIds
from family_portal.prepared import Prepared


def module_and_prerequisites(programs: Collection[int], slug: str, learner: int) -> ModuleQuerySet:
    """The module at ``slug`` and the modules suggested before it (``before``), those readable with ``programs``,
    by slug: each with its current version, the learner's progress on it (``mine``; ``None`` before they start),
    whether they took its pre-check (``took_precheck``) and whether they finished it
    (``finished``). One query for what the page once asked in three."""
    suggested = Module.prerequisites.through.objects.filter(from_module__slug=slug, to_module=OuterRef("pk"))
    finished = ModuleProgress.objects.filter(learner=learner, module=OuterRef("pk"), completed_at__isnull=False)
    mine = FilteredRelation("progress", condition=Q(progress__learner=learner))
    rows = modules_readable_in(programs).annotate(before=Exists(suggested)).filter(Q(slug=slug) | Q(before=True))
    rows = rows.annotate(mine=mine).annotate(took_precheck=quizzes.took_precheck("mine__id"), finished=Exists(finished))
    return rows.select_related(*_JOINED)


# A tuple: the stubs do not know ``mine``. Not ``mine__version``: the version a learner reads is nearly always the
# current one, joined already (``_split``); its columns again cost more CPU than the rare extra query.
_JOINED = ("current_version", "mine")


def lessons_of(version: int, progress: UUID | None) -> QuerySet[Lesson]:
    """The version's lessons in order, whether the learner read each (``read``), and the size of the version's
    question bank on every row (``question_count``): one query."""
    questions = Question.objects.filter(version=version).order_by().values("version").annotate(n=Count("id"))
    read = LessonCompletion.objects.filter(progress=progress, lesson=OuterRef("pk"))
    return (
        Lesson.objects.filter(version=version)
        .only("id", "title", "position")
        .annotate(
            read=Exists(read) if progress is not None else Value(False),
            question_count=Subquery(questions.values("n")[:1]),
        )
    )


_MODULES = PreparedWithIds(
    lambda ids, slug, learner: module_and_prerequisites(ids["program"], slug, learner), slug=str, learner=int
)
_LESSONS_READ = Prepared(lessons_of, version=int, progress=UUID)
_LESSONS_UNSTARTED = Prepared(lambda version: lessons_of(version, None), version=int)


@dataclass
class ModulePage:
    """What the module overview shows from the database."""

    module: Module
    progress: ModuleProgress | None
    version: ModuleVersion  # the version the learner started (one more query when it is not the current one)
    lessons: list[Any]  # with ``read`` and ``question_count`` (``lessons_of``)
    prerequisites: list[Module]


def _programs(user: Any) -> dict[str, frozenset[int]] | None:
    """The ids the compiled queries take for ``user``, or ``None`` when the ORM must build them (a viewer who is not
    an active, signed-in ``User`` with an ``int`` id: ``readable_modules`` answers nothing for them)."""
    if not (isinstance(user, User) and user.is_active and type(user.pk) is int):
        return None
    return {"program": enrolled_programs(user)}


def module_page(user: Any, slug: str) -> ModulePage:
    """The module at ``slug`` if ``user`` may read it (404 otherwise), their progress on it, the lessons of the
    version they read and the prerequisites they may read: two queries."""
    ids = _programs(user)
    rows = None if ids is None else _MODULES.rows(ids, slug=slug, learner=user.pk)
    if rows is None:  # no compiled shape fits: the ORM builds the same queries
        return _orm_module_page(user, slug)
    module, progress, version, prerequisites = _split(rows, slug)
    if progress is None:
        lessons = _LESSONS_UNSTARTED.rows(version=version.pk)
    else:
        lessons = _LESSONS_READ.rows(version=version.pk, progress=progress.pk)
    return ModulePage(module, progress, version, lessons, prerequisites)


def _orm_module_page(user: Any, slug: str) -> ModulePage:
    """``module_page`` through the ORM, for any viewer (``readable_modules`` answers nothing for an inactive one)."""
    active = user.is_authenticated and user.is_active
    rows = list(module_and_prerequisites(enrolled_programs(user), slug, user.pk)) if active else []
    module, progress, version, prerequisites = _split(rows, slug)
    lessons = list(lessons_of(version.pk, progress.pk if progress else None))
    return ModulePage(module, progress, version, lessons, prerequisites)


def _split(rows: list[Any], slug: str) -> tuple[Module, ModuleProgress | None, ModuleVersion, list[Module]]:
    """``module_and_prerequisites``'s rows as the module (404 when it is not among them), the learner's progress
    on it, the version they read and the prerequisites (by slug)."""
    module = next((row for row in rows if row.slug == slug), None)
    if module is None:
        raise Http404
    progress: ModuleProgress | None = getattr(module, "mine", None)  # not set when the join found no row
    if progress is not None:
        progress.took_precheck = module.took_precheck  # type: ignore[attr-defined]  # ``quizzes.precheck_offered``
        if progress.version_id == module.current_version_id:
            progress.version = module.current_version  # the row loaded; else one query
    version = progress.version if progress else module.current_version
    if version is None:  # readable modules always have one; a race with archiving lands here
        raise Http404("Not found")
    return module, progress, version, [row for row in rows if row.before]
