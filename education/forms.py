"""Forms for authoring, knowledge checks and assignments. Validation messages are written for people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from education.authoring import ChoiceData
from education.models import (
    PATH_POSITION_MAX,
    Audience,
    Lesson,
    LocalSupportGroup,
    Module,
    ModuleVersion,
    Question,
    Topic,
    validate_https_url,
)
from family_portal.date_fields import PortalDateField

MAX_CHOICES = 6
SEARCH_MAX = 100
RESERVED_SLUGS = {"new", "preview"}


def _module_label(module: Module) -> str:
    return module.current_version.title if module.current_version else module.slug


class ModuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _module_label(obj)


class ModuleMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _module_label(obj)


class LessonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.position}. {obj.title}"


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=SEARCH_MAX, label=_("Search"))
    topic = forms.ChoiceField(required=False, choices=[("", _("All topics")), *Topic.choices], label=_("Topic"))


class ModuleDetailsForm(forms.Form):
    """A version's details; on a new module also its slug (the address, which never changes)."""

    title = forms.CharField(max_length=160, label=_("Title"))
    summary = forms.CharField(max_length=600, widget=forms.Textarea(attrs={"rows": 3}), label=_("Summary"))
    topic = forms.ChoiceField(choices=Topic.choices, label=_("Topic"))
    audience = forms.ChoiceField(choices=Audience.choices, label=_("Audience"))
    estimated_minutes = forms.IntegerField(min_value=1, max_value=240, label=_("Estimated minutes"))
    enrolled_only = forms.BooleanField(
        required=False,
        label=_("For enrolled families only"),
        help_text=_(
            "Leave this off for general education: everyone signed in can learn from it, even a family whose "
            "loved one has not signed a consent yet. Tick it only for content meant for your program's own "
            "families (for example visiting rules): then only your program's staff and families linked to one of "
            "its patients can open it."
        ),
    )
    path_position = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=PATH_POSITION_MAX,
        label=_("Place on the “Start here” path"),
        help_text=_(
            "Learners see the path first, in this order: 1 comes first. Leave it empty to list the module with "
            "the other modules instead."
        ),
    )
    pass_mark = forms.IntegerField(min_value=1, max_value=100, initial=80, label=_("Pass mark (percent)"))
    questions_per_attempt = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label=_("Questions in each knowledge check"),
        help_text=_(
            "Write more questions than this and each try draws a different set, in a new order. Leave it empty to "
            "ask every question each time."
        ),
    )
    sources = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Sources"),
        help_text=_("One per line: title | https address"),
    )
    prerequisites = ModuleMultipleChoiceField(
        queryset=Module.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Good to read first"),
        help_text=_("Suggested before this one; learners can always start anyway."),
    )
    change_note = forms.CharField(max_length=300, required=False, label=_("What changed in this version"))

    def __init__(self, *args: Any, modules: Any = None, shared: bool = False, **kwargs: Any) -> None:
        """``shared``: the module is shared content (no program), which is always general: no enrolled-only box."""
        super().__init__(*args, **kwargs)
        if shared:
            del self.fields["enrolled_only"]
        field = self.fields["prerequisites"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101  (narrowing for mypy)
        field.queryset = modules if modules is not None else Module.objects.none()

    def clean_sources(self) -> list[dict[str, str]]:
        sources = []
        for number, line in enumerate(self.cleaned_data["sources"].splitlines(), 1):
            if not line.strip():
                continue
            title, sep, url = line.rpartition("|")
            title, url = title.strip(), url.strip()
            if not sep or not title:
                raise ValidationError(
                    gettext("Line %(number)s: write the title, a | and the address.") % {"number": number}
                )
            try:
                forms.URLField().clean(url)
                validate_https_url(url)
            except ValidationError:
                raise ValidationError(
                    gettext("Line %(number)s: the address must start with https://.") % {"number": number}
                ) from None
            sources.append({"title": title, "url": url})
        if not sources:
            raise ValidationError(_("List at least one source."))
        return sources

    @staticmethod
    def initial_for(version: ModuleVersion) -> dict[str, Any]:
        initial = {name: getattr(version, name) for name in ("title", "summary", "topic", "audience", "enrolled_only")}
        initial |= {
            "path_position": version.module.path_position,
            "estimated_minutes": version.estimated_minutes,
            "pass_mark": version.pass_mark,
            "questions_per_attempt": version.questions_per_attempt,
            "sources": "\n".join(f"{s['title']} | {s['url']}" for s in version.sources),
            "prerequisites": list(version.module.prerequisites.all()),
            "change_note": version.change_note,
        }
        return initial


class NewModuleForm(ModuleDetailsForm):
    """A new module's details. Its address (slug) is made from the title, not typed: see ``slug_from_title``."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if title := cleaned.get("title"):
            cleaned["slug"] = slug_from_title(title)
        return cleaned


SLUG_MAX = 80


def slug_from_title(title: str) -> str:
    """A free address for a new module: "Talking with teens" → ``talking-with-teens``; when that is taken or
    reserved, ``talking-with-teens-2``, ``-3`` … (the unique slug column still has the last word on a race)."""
    base = slugify(title)[: SLUG_MAX - 8].strip("-") or "module"
    taken = set(Module.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | RESERVED_SLUGS
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "body", "video_url"]
        labels = {"title": _("Title"), "body": _("Lesson text (Markdown)"), "video_url": _("Video link (optional)")}
        help_texts = {
            "body": _("Use ### for headings, - for lists, **bold**, [link text](https://…). No images or raw HTML."),
            "video_url": _("Shown as a link (https only). Add captions and a transcript."),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "data-markdown-source": ""})}


class PreviewForm(forms.Form):
    body = forms.CharField(max_length=40_000, required=False, strip=False)


class QuestionForm(forms.Form):
    prompt = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label=_("Prompt"))
    kind = forms.ChoiceField(choices=Question.Kind.choices, label=_("Type"), widget=forms.RadioSelect)
    lesson = LessonChoiceField(
        queryset=Lesson.objects.none(),
        required=False,
        label=_("Lesson this question is about"),
        empty_label=_("- Not about one lesson -"),
        help_text=_("A learner who gets it wrong is pointed back to this lesson (without being told the answer)."),
    )

    def __init__(self, *args: Any, lessons: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lesson_field = self.fields["lesson"]
        assert isinstance(lesson_field, forms.ModelChoiceField)  # noqa: S101  (narrowing for mypy)
        lesson_field.queryset = lessons if lessons is not None else Lesson.objects.none()
        for i in range(1, MAX_CHOICES + 1):
            self.fields[f"choice_{i}_text"] = forms.CharField(
                max_length=300, required=False, label=gettext("Answer %(number)s") % {"number": i}
            )
            self.fields[f"choice_{i}_correct"] = forms.BooleanField(required=False, label=_("This answer is right"))
            self.fields[f"choice_{i}_feedback"] = forms.CharField(
                max_length=500, required=False, label=_("Feedback"), help_text=_("Why it is right or not.")
            )

    def choice_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"choice_{i}_text"], self[f"choice_{i}_correct"], self[f"choice_{i}_feedback"])
            for i in range(1, MAX_CHOICES + 1)
        ]

    def choices(self) -> list[ChoiceData]:
        data = self.cleaned_data
        return [
            ChoiceData(
                text=data[f"choice_{i}_text"],
                correct=data[f"choice_{i}_correct"],
                feedback=data[f"choice_{i}_feedback"],
            )
            for i in range(1, MAX_CHOICES + 1)
            if data.get(f"choice_{i}_text", "").strip()
        ]

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {"prompt": question.prompt, "kind": question.kind, "lesson": question.lesson_id}
        for i, choice in enumerate(question.choices.all(), 1):
            initial |= {f"choice_{i}_text": choice.text, f"choice_{i}_correct": choice.correct}
            initial[f"choice_{i}_feedback"] = choice.feedback
        return initial


class SubmitForReviewForm(forms.Form):
    reading_note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Reason for a reading level above grade 8 (if it is)"),
    )


MAX_ANSWER_FIELDS = 200


def quiz_answers(data: Any) -> dict[str, list[str]]:
    """Chosen choice ids per question from POST data (fields ``q-<question id>``). Every such field is kept, so the
    caller can refuse one that names a question or answer outside the drawn attempt (``quizzes.check_answers``)."""
    answers: dict[str, list[str]] = {}
    for key in list(data)[:MAX_ANSWER_FIELDS]:
        if key.startswith("q-"):
            answers[key[2:][:40]] = [str(value)[:40] for value in data.getlist(key)[: MAX_CHOICES * 2]]
    return answers


class AssignmentForm(forms.Form):
    patient: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Module.objects.none(), label=_("Family of"), empty_label=_("- Select an option -")
    )
    module: forms.ModelChoiceField = ModuleChoiceField(
        queryset=Module.objects.none(), label=_("Module"), empty_label=_("- Select an option -")
    )
    due_on = PortalDateField(
        required=False, label=_("Due date (optional)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, patients: Any, modules: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patient_field, module_field = self.fields["patient"], self.fields["module"]
        assert isinstance(patient_field, forms.ModelChoiceField)  # noqa: S101  (narrowing for mypy)
        assert isinstance(module_field, forms.ModelChoiceField)  # noqa: S101
        patient_field.queryset = patients
        module_field.queryset = modules

    def clean_due_on(self) -> Any:
        due = self.cleaned_data.get("due_on")
        if due and due < timezone.localdate():
            raise ValidationError(_("Choose a date that is not in the past."))
        return due


class LocalSupportGroupForm(forms.ModelForm):
    """A program's own support group for families (``education.support_groups``)."""

    class Meta:
        model = LocalSupportGroup
        fields = ["name", "description", "meeting_times", "how_to_join", "url"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "how_to_join": forms.Textarea(attrs={"rows": 3}),
        }
