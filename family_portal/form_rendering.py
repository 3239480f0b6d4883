"""How forms render: with the project's templates (``TemplatesSetting``), every field group with ``_field.html``."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    """``{{ field.as_field_group }}`` and ``{{ form }}`` use templates/_field.html: the one way a field is shown
    with its label, help text and errors (Django gives the widget ``aria-describedby`` and ``aria-invalid``)."""

    field_template_name = "_field.html"
