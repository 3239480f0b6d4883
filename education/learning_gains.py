"""Measured learning: what a learner knew before a module (the optional pre-check) and after it.

Definitions
-----------
- **Pre score**: the learner's pre-check for the module (``QuizAttempt.Kind.PRE_CHECK``, taken before the first
  lesson; at most one per learner and module). None when it was skipped or never taken.
- **Post score**: the score of the learner's *first passing* knowledge check for the module, the one that earned
  the pass (later optional retries do not move it). None until they pass.
- **Gain**: post − pre, in percentage points.
- **Normalised gain** (Hake): (post − pre) / (100 − pre), the share of what there was left to learn that was
  learned. A perfect pre-check (100 %) leaves nothing to learn: its normalised gain is None, and the learner is
  counted as "already knew this material" rather than divided by zero.

``module_learning_gains`` aggregates these per module for program insights: counts, mean pre, mean post, mean
gain, the class normalised gain ⟨g⟩ = (mean post − mean pre) / (100 − mean pre) and the mean of the learners'
own normalised gains. It returns no per-learner rows; means are withheld (None) for groups smaller than
``min_learners`` so a single family's scores cannot be read off an aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from accounts.models import Program
from education.models import Module, ModuleProgress, QuizAttempt

MIN_LEARNERS_SHOWN = 5


@dataclass(frozen=True)
class LearnerGain:
    pre: int | None
    post: int | None

    @property
    def measured(self) -> bool:
        """Both a pre-check and a passing knowledge check exist."""
        return self.pre is not None and self.post is not None

    @property
    def gain(self) -> int | None:
        return self.post - self.pre if self.pre is not None and self.post is not None else None

    @property
    def already_knew(self) -> bool:
        return self.pre == 100

    @property
    def normalised(self) -> float | None:
        """Hake's normalised gain; None without both scores or after a perfect pre-check."""
        if self.pre is None or self.post is None or self.pre >= 100:
            return None
        return (self.post - self.pre) / (100 - self.pre)


def learner_gain(progress: ModuleProgress) -> LearnerGain:
    """The learner's pre and post scores for the module of ``progress`` (one query)."""
    rows = (
        progress.attempts.filter(submitted_at__isnull=False)
        .filter(Q(kind=QuizAttempt.Kind.PRE_CHECK) | Q(kind=QuizAttempt.Kind.CHECK, passed=True))
        .order_by("submitted_at", "id")
        .values_list("kind", "score")
    )
    first: dict[str, int | None] = {}
    for kind, score in rows:
        first.setdefault(kind, score)
    return LearnerGain(pre=first.get(QuizAttempt.Kind.PRE_CHECK), post=first.get(QuizAttempt.Kind.CHECK))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class ModuleGains:
    module: Module
    learners: int = 0  # passed the knowledge check for the first time in the window
    with_precheck: int = 0  # of those, took the pre-check
    already_knew: int = 0  # of those, scored 100 % on the pre-check
    mean_pre: float | None = None
    mean_post: float | None = None
    mean_gain: float | None = None
    normalised_gain: float | None = None  # Hake's class gain from the means
    mean_learner_normalised_gain: float | None = None  # mean of learners' own (perfect pre-checks left out)
    gains: list[LearnerGain] = field(default_factory=list, repr=False)

    def summarise(self, min_learners: int) -> None:
        measured = [g for g in self.gains if g.measured]
        self.learners, self.with_precheck = len(self.gains), len(measured)
        self.already_knew = sum(g.already_knew for g in measured)
        if len(measured) < min_learners:
            return
        self.mean_pre = _mean([float(g.pre) for g in measured if g.pre is not None])
        self.mean_post = _mean([float(g.post) for g in measured if g.post is not None])
        self.mean_gain = _mean([float(g.gain) for g in measured if g.gain is not None])
        if self.mean_pre is not None and self.mean_post is not None and self.mean_pre < 100:
            self.normalised_gain = (self.mean_post - self.mean_pre) / (100 - self.mean_pre)
        self.mean_learner_normalised_gain = _mean([g.normalised for g in measured if g.normalised is not None])


def module_learning_gains(
    modules: Iterable[Module] | Program,
    start: datetime,
    end: datetime,
    *,
    min_learners: int = MIN_LEARNERS_SHOWN,
    learners: Any = None,
) -> list[ModuleGains]:
    """Learning gains per module, for learners whose first passing knowledge check fell in [``start``, ``end``).

    ``modules`` is modules (a queryset or list) or a ``Program`` (its own modules and the shared ones). Three
    queries whatever the number of modules and learners. Means are None for fewer than ``min_learners`` learners
    with both scores (see the module docstring). ``learners`` (ids, or a subquery of ids) limits it to those learners
    (a counselor's caseload families)."""
    if isinstance(modules, Program):
        modules = Module.objects.for_program(modules.pk)
    if isinstance(modules, QuerySet):
        module_list = list(modules.select_related("current_version"))
    else:
        module_list = list(Module.objects.filter(pk__in=[m.pk for m in modules]).select_related("current_version"))
    by_module = {m.pk: ModuleGains(module=m) for m in module_list}
    first_pass: dict[Any, tuple[Any, int | None, datetime | None]] = {}
    passes = (
        QuizAttempt.objects.filter(
            progress__module__in=by_module, kind=QuizAttempt.Kind.CHECK, passed=True, submitted_at__isnull=False
        )
        .order_by("submitted_at", "id")
        .values_list("progress_id", "progress__module_id", "score", "submitted_at")
    )
    if learners is not None:
        passes = passes.filter(progress__learner_id__in=learners)
    for progress_id, module_id, score, submitted in passes:
        first_pass.setdefault(progress_id, (module_id, score, submitted))
    in_window = {pid: row for pid, row in first_pass.items() if row[2] is not None and start <= row[2] < end}
    pre: dict[Any, int | None] = {}
    prechecks = (
        QuizAttempt.objects.filter(
            progress_id__in=in_window, kind=QuizAttempt.Kind.PRE_CHECK, submitted_at__isnull=False
        )
        .order_by("submitted_at", "id")
        .values_list("progress_id", "score")
    )
    for progress_id, score in prechecks:
        pre.setdefault(progress_id, score)
    for progress_id, (module_id, score, _when) in in_window.items():
        by_module[module_id].gains.append(LearnerGain(pre=pre.get(progress_id), post=score))
    for gains in by_module.values():
        gains.summarise(min_learners)
    return sorted(by_module.values(), key=lambda g: g.module.slug)


@dataclass(frozen=True)
class ModuleGainSums:
    """One module's learners measured (pre-check taken, knowledge check first passed in the window), the percentage
    points they gained together and the points there were to gain (their sum of 100 − pre score). The ratio of the
    two is Hake's class normalised gain ⟨g⟩ = (mean post − mean pre) / (100 − mean pre)."""

    title: str
    learners: int
    gained: int
    possible: int


def module_gain_sums(
    modules: QuerySet[Module], start: datetime, end: datetime, *, learners: Any = None
) -> list[ModuleGainSums]:
    """``module_learning_gains``' measured learners as sums per module, in one query (program insights): each first
    passing knowledge check in [``start``, ``end``) whose learner submitted a pre-check, with that pre-check's
    score; ``learners`` (ids or a subquery) limits it. Modules nobody was measured in are left out."""
    return sum_gain_rows(measured_gain_rows(modules, start, end, learners=learners))


def measured_gain_rows(modules: QuerySet[Module], start: Any, end: Any, *, learners: Any = None) -> QuerySet[Any]:
    """``module_gain_sums``' one query: per measured learner, the module's path position, title and id, the first
    passing score and the pre-check's score (``start``, ``end`` and ``learners`` may be expressions: insights
    compiles it once, ``console.insights.compiled``)."""
    same_progress = QuizAttempt.objects.filter(progress=OuterRef("progress"), submitted_at__isnull=False)
    first_pass = same_progress.filter(kind=QuizAttempt.Kind.CHECK, passed=True).order_by("submitted_at", "id")
    pre = same_progress.filter(kind=QuizAttempt.Kind.PRE_CHECK).order_by("submitted_at", "id")
    passes = QuizAttempt.objects.filter(
        progress__module__in=modules,
        kind=QuizAttempt.Kind.CHECK,
        passed=True,
        submitted_at__gte=start,
        submitted_at__lt=end,
    )
    if learners is not None:
        passes = passes.filter(progress__learner_id__in=learners)
    return (
        passes.annotate(first=Subquery(first_pass.values("pk")[:1]), pre=Subquery(pre.values("score")[:1]))
        .filter(pk=F("first"), pre__isnull=False, score__isnull=False)
        .values_list(
            "progress__module__path_position",
            "progress__module__current_version__title",
            "progress__module_id",
            "score",
            "pre",
        )
    )


def sum_gain_rows(rows: Iterable[tuple[Any, ...]]) -> list[ModuleGainSums]:
    """``measured_gain_rows``' rows summed per module, in path order."""
    sums: dict[Any, list[Any]] = {}
    for position, title, module_id, post, pre_score in rows:
        entry = sums.setdefault(module_id, [position if position is not None else 10**6, title or "", 0, 0, 0])
        entry[2] += 1
        entry[3] += post - pre_score
        entry[4] += 100 - pre_score
    ordered = sorted(sums.values(), key=lambda e: (e[0], e[1]))
    return [ModuleGainSums(title=t, learners=n, gained=g, possible=p) for _pos, t, n, g, p in ordered]
