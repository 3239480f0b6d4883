"""Learner pages of a module's checks: the optional pre-check, the knowledge check, its result and the certificate.

Both checks show the learner's open attempt, drawn and shuffled on the server (``education.quizzes``); a POST is
graded against that draw only. Answers naming anything outside it (a stale page, a forged form) get a 400 page with
the questions again and nothing is saved. Query counts do not grow with the size of the question bank.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from education import learning_gains, quizzes, services, translating
from education.access import get_readable_module
from education.forms import quiz_answers
from education.models import Module, ModuleProgress, Question, QuizAttempt
from family_portal.requests import PortalRequest

Kind = QuizAttempt.Kind


def _progress(request: PortalRequest, slug: str) -> tuple[Module, ModuleProgress | None]:
    module = get_readable_module(request.user, slug)
    progress = ModuleProgress.objects.filter(learner=request.user, module=module).select_related("version").first()
    return module, progress


def _answer_page(request: PortalRequest, module: Module, progress: ModuleProgress, kind: str) -> HttpResponse:
    """Show the open attempt of ``kind``; on POST, check the answers fit its draw, then grade and record them."""
    attempt = quizzes.open_attempt(progress=progress, kind=kind)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        answers = quiz_answers(request.POST)
        try:
            if request.POST.get("attempt", str(attempt.pk)) != str(attempt.pk):
                raise quizzes.QuizAnswerError(
                    _("This page was replaced by a newer one. Please answer the questions below.")
                )
            quizzes.check_answers(attempt, answers)
            numbers = [n for n, e in enumerate(attempt.drawn, 1) if not answers.get(e["question"])]
            if kind == Kind.CHECK and numbers:
                errors = [_("Please answer question %(number)s.") % {"number": n} for n in numbers]
            else:
                services.submit_quiz(progress=progress, answers=answers, kind=kind)
                if kind == Kind.PRE_CHECK:
                    saved = _("Thank you. Your answers are saved.")
                    later = _("When you finish the module you will see how much you learned.")
                    messages.success(request, f"{saved} {later}")
                    return redirect("education:lesson", slug=module.slug, position=1)
                return redirect("education:quiz_result", slug=module.slug)
        except quizzes.QuizAnswerError as error:
            errors, status = [str(error)], 400
            attempt = quizzes.open_attempt(progress=progress, kind=kind)
    questions = quizzes.drawn_questions(attempt)
    shown = translating.page_language(request.LANGUAGE_CODE, progress.version)
    translating.localize_questions(questions, shown.translation)
    chosen = {value for key in request.POST if key.startswith("q-") for value in request.POST.getlist(key)}
    return render(
        request,
        "education/quiz.html",
        {
            "module": module,
            "version": progress.version,
            "attempt": attempt,
            "is_precheck": kind == Kind.PRE_CHECK,
            "questions": questions,
            "errors": errors,
            "chosen": chosen if status == 200 else set(),
            "single": Question.Kind.SINGLE,
            **shown.context(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def quiz(request: PortalRequest, slug: str) -> HttpResponse:
    """The knowledge check. Answers are scored on POST and the result page follows (retries unlimited)."""
    module = get_readable_module(request.user, slug)
    progress = services.start_module(learner=request.user, module=module)
    if not progress.version.questions.exists():
        raise Http404("Not found")
    return _answer_page(request, module, progress, Kind.CHECK)


@require_http_methods(["GET", "POST"])
def precheck(request: PortalRequest, slug: str) -> HttpResponse:
    """The optional pre-check before the first lesson: no pass mark, blanks allowed, no feedback."""
    module = get_readable_module(request.user, slug)
    progress = services.start_module(learner=request.user, module=module)
    has_questions = progress.version.questions.exists()
    if not has_questions:
        raise Http404("Not found")
    if not quizzes.precheck_offered(progress, has_questions=True, started_reading=progress.completions.exists()):
        messages.info(request, _("The pre-check is only offered before the first lesson."))
        return redirect("education:module", slug=slug)
    return _answer_page(request, module, progress, Kind.PRE_CHECK)


@require_POST
def precheck_skip(request: PortalRequest, slug: str) -> HttpResponse:
    """Start reading without the pre-check."""
    module = get_readable_module(request.user, slug)
    progress = services.start_module(learner=request.user, module=module)
    quizzes.skip_precheck(progress=progress)
    return redirect("education:lesson", slug=slug, position=1)


def quiz_result(request: PortalRequest, slug: str) -> HttpResponse:
    """The learner's latest knowledge check: passed, every answer explained; not passed, which questions to look at
    again and the lesson each is about, without showing which answers are right."""
    module, progress = _progress(request, slug)
    submitted = progress.attempts.filter(kind=Kind.CHECK, submitted_at__isnull=False) if progress else None
    attempt = submitted.select_related("progress__version").first() if submitted is not None else None
    if progress is None or attempt is None or attempt.version_id != progress.version_id:
        return redirect("education:quiz", slug=slug)
    result = services.result_of(attempt)
    shown = translating.page_language(request.LANGUAGE_CODE, progress.version)
    translating.localize_results(result.questions, shown.translation)
    translating.localize_lessons([q.lesson for q in result.questions if q.lesson is not None], shown.translation)
    return render(
        request,
        "education/quiz_result.html",
        {"module": module, "version": progress.version, "progress": progress, "result": result, **shown.context()},
    )


def certificate(request: PortalRequest, slug: str) -> HttpResponse:
    """A printable certificate, only once every lesson is read and the check is passed; it says what the learner
    learned when they took the pre-check (``education.learning_gains``)."""
    module, progress = _progress(request, slug)
    if progress is None or progress.completed_at is None:
        messages.info(request, _("Finish every lesson and pass the knowledge check to get your certificate."))
        return redirect("education:module", slug=slug)
    translating.page_language(request.LANGUAGE_CODE, progress.version)
    return render(
        request,
        "education/certificate.html",
        {
            "module": module,
            "version": progress.version,
            "progress": progress,
            "learner": request.user,
            "gain": learning_gains.learner_gain(progress),
        },
    )
