"""The form a counselor translates a module version with: one page, every text of the version beside its English.

Fields are built from the version (one per lesson title and body, question and answer), so a translation always
has the English structure. Every field may be left blank while the translation is a draft; the review step lists
what is missing (``translating.translation_problems``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from education.models import Lesson, ModuleTranslation, ModuleVersion, Question, validate_https_url
from education.translating import TranslatedQuestion, TranslationContent


@dataclass
class Section:
    """One part of the page: the English text shown for reference, then the fields that translate it."""

    heading: str
    english: list[str]
    english_html: str = ""
    fields: list[Any] = field(default_factory=list)


def parse_sources(text: str) -> list[dict[str, str]]:
    """ "Title | https address" lines, as the English details form takes them."""
    sources = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        title, sep, url = line.rpartition("|")
        title, url = title.strip(), url.strip()
        if not sep or not title:
            raise ValidationError(_("Line %(number)s: write the title, a | and the address.") % {"number": number})
        try:
            forms.URLField().clean(url)
            validate_https_url(url)
        except ValidationError:
            raise ValidationError(
                _("Line %(number)s: the address must start with https://.") % {"number": number}
            ) from None
        sources.append({"title": title, "url": url})
    return sources


class TranslationForm(forms.Form):
    title = forms.CharField(max_length=160, required=False, label=gettext_lazy("Title"))
    summary = forms.CharField(
        max_length=600, required=False, widget=forms.Textarea(attrs={"rows": 3}), label=gettext_lazy("Summary")
    )
    sources = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("Sources"),
        help_text=gettext_lazy(
            "One per line: title | https address. Keep the English sources; you may add pages in this language."
        ),
    )

    def __init__(
        self, *args: Any, version: ModuleVersion, translation: ModuleTranslation | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lessons: list[Lesson] = list(version.lessons.order_by("position"))
        self.questions: list[Question] = list(version.questions.prefetch_related("choices"))
        for lesson in self.lessons:
            self.fields[f"lesson-{lesson.position}-title"] = forms.CharField(
                max_length=160, required=False, label=_("Lesson title")
            )
            self.fields[f"lesson-{lesson.position}-body"] = forms.CharField(
                max_length=40_000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 14}),
                label=_("Lesson text"),
                help_text=_("Markdown, like the English lesson."),
            )
        for question in self.questions:
            self.fields[f"question-{question.position}-prompt"] = forms.CharField(
                max_length=500, required=False, label=_("Question")
            )
            for choice in question.choices.all():
                key = f"question-{question.position}-choice-{choice.position}"
                self.fields[f"{key}-text"] = forms.CharField(
                    max_length=300, required=False, label=_("Answer %(number)s") % {"number": choice.position}
                )
                self.fields[f"{key}-feedback"] = forms.CharField(
                    max_length=500,
                    required=False,
                    label=_("Feedback for answer %(number)s") % {"number": choice.position},
                )
        if translation is not None:
            self.initial = self._initial(translation)
            if not translation.is_editable:
                for bound in self.fields.values():
                    bound.disabled = True

    def _initial(self, translation: ModuleTranslation) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": translation.title,
            "summary": translation.summary,
            "sources": "\n".join(f"{s['title']} | {s['url']}" for s in translation.sources),
        }
        for row in translation.lessons.select_related("lesson"):
            initial[f"lesson-{row.lesson.position}-title"] = row.title
            initial[f"lesson-{row.lesson.position}-body"] = row.body
        for prompt in translation.questions.select_related("question"):
            initial[f"question-{prompt.question.position}-prompt"] = prompt.prompt
        for answer in translation.choices.select_related("choice__question"):
            key = f"question-{answer.choice.question.position}-choice-{answer.choice.position}"
            initial[f"{key}-text"], initial[f"{key}-feedback"] = answer.text, answer.feedback
        return initial

    def clean_sources(self) -> list[dict[str, str]]:
        return parse_sources(self.cleaned_data["sources"])

    def sections(self) -> list[Section]:
        """The page in the version's order: lessons, then questions, each with its English text."""
        sections = []
        for lesson in self.lessons:
            key = f"lesson-{lesson.position}"
            sections.append(
                Section(
                    _("Lesson %(number)s") % {"number": lesson.position},
                    [lesson.title],
                    lesson.body_html,
                    [self[f"{key}-title"], self[f"{key}-body"]],
                )
            )
        for question in self.questions:
            key = f"question-{question.position}"
            english, fields = [question.prompt], [self[f"{key}-prompt"]]
            for choice in question.choices.all():
                english.append(f"{choice.position}. {choice.text} — {choice.feedback}")
                answer = f"{key}-choice-{choice.position}"
                fields += [self[f"{answer}-text"], self[f"{answer}-feedback"]]
            sections.append(Section(_("Question %(number)s") % {"number": question.position}, english, "", fields))
        return sections

    def content(self) -> TranslationContent:
        data = self.cleaned_data
        return TranslationContent(
            title=data["title"],
            summary=data["summary"],
            sources=data["sources"],
            lessons=[
                (data[f"lesson-{lesson.position}-title"], data[f"lesson-{lesson.position}-body"])
                for lesson in self.lessons
            ],
            questions=[
                TranslatedQuestion(
                    prompt=data[f"question-{question.position}-prompt"],
                    choices=[
                        (
                            data[f"question-{question.position}-choice-{choice.position}-text"],
                            data[f"question-{question.position}-choice-{choice.position}-feedback"],
                        )
                        for choice in question.choices.all()
                    ],
                )
                for question in self.questions
            ],
        )


def language_name(code: str) -> str:
    """The language's name in the reader's language ("Spanish" on an English page)."""
    return str(get_language_info(code)["name_translated"])
