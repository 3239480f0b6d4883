"""Consent form versions (the exact text signed) and their translations: the form a signer is shown follows their
active language and falls back to the English original, with a note, when no translation of the version exists."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language

ORIGINAL_LANGUAGE = "en"  # ``ConsentFormVersion.text`` is written in English; other languages are translations


def language_code(language: str | None = None) -> str:
    """``language`` (default: the active one) as a code of ``LANGUAGES`` ("es-mx" -> "es"); English if unknown."""
    code = (language or get_language() or ORIGINAL_LANGUAGE).lower().split("-")[0]
    return code if code in dict(settings.LANGUAGES) else ORIGINAL_LANGUAGE


@dataclass(frozen=True)
class FormText:
    """The consent form text one signer is shown: its language, and whether it is a fallback to English."""

    language: str
    text: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        return self.language != self.requested


class ConsentFormVersion(models.Model):
    """The exact consent-form text a signature was given under; new text means a new version. ``text`` is the
    English original; ``translations`` hold the same version in other languages (``ConsentFormTranslation``)."""

    version = models.CharField(max_length=20, unique=True)
    text = models.TextField(help_text="Full form text, including the right to revoke and how to revoke.")
    effective_from = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"Consent form {self.version}"

    @classmethod
    def current(cls) -> ConsentFormVersion:
        version = cls.objects.filter(effective_from__lte=timezone.now()).first()
        if version is None:
            raise ConsentFormVersion.DoesNotExist("No consent form version is in effect; run migrate.")
        return version

    def text_in(self, language: str | None = None) -> FormText:
        """This version's text in ``language`` (default: the active language); the English original when no
        translation exists (``is_fallback``). One query for a language other than English."""
        requested = language_code(language)
        if requested == ORIGINAL_LANGUAGE:
            return FormText(language=ORIGINAL_LANGUAGE, text=self.text, requested=requested)
        translated = self.translations.filter(language=requested).values_list("text", flat=True).first()
        if translated is None:
            return FormText(language=ORIGINAL_LANGUAGE, text=self.text, requested=requested)
        return FormText(language=requested, text=translated, requested=requested)

    def has_language(self, language: str) -> bool:
        """Whether this version can be signed in ``language`` (English always; a query only for another)."""
        return language == ORIGINAL_LANGUAGE or self.translations.filter(language=language).exists()


class ConsentFormTranslation(models.Model):
    """One consent form version in another language, reviewed to say exactly what the English original says."""

    form_version = models.ForeignKey(ConsentFormVersion, on_delete=models.PROTECT, related_name="translations")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(help_text="The full form text in this language.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["form_version", "language"], name="one_translation_per_language"),
        ]

    def __str__(self) -> str:
        return f"Consent form {self.form_version.version} ({self.language})"
