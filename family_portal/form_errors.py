"""The one way a service's refusal reaches a form the page shows again."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def show_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's ``ValidationError``, shown on the form: on its field when it names one of the form's fields,
    above the form otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
