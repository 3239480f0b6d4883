"""IDOR support (AZ-03) for education.

``object_urls``: GET URLs of education objects that belong to ``owner_patient`` (assignments); the cross-app test
requests each as an outsider, an unassigned counselor and a learner and expects 404.

``learner_urls`` and ``walk``: every learner page of a module, asked as one viewer. Module content is not patient
information, so the walk for it is the rule of ``education.access``: a general module opens for everyone signed in
(consent or not); an enrolled-only module answers 404 on every page to anyone but its program's staff and the
families linked to one of its patients (tests/education/test_access.py).
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from accounts.models import CaseloadAssignment, User
from education.models import Assignment, Module
from education.services import assign_module
from tests.support import personas
from tests.support.education_content import published_module
from tests.support.idor import status_of

LEARNER_PAGES = (
    "education:module",
    "education:precheck",
    "education:precheck_skip",
    "education:quiz",
    "education:quiz_result",
    "education:restart",
    "education:certificate",
)


def object_urls(owner_patient: Any) -> list[str]:
    assignment = CaseloadAssignment.objects.active().filter(patient=owner_patient).select_related("counselor").first()
    counselor = assignment.counselor if assignment else None
    if counselor is None:
        counselor = personas.make_staff(f"idor-{owner_patient.pk}@example.org", owner_patient.program)
        personas.assign(counselor, owner_patient)
    slug = f"idor-module-{owner_patient.pk}"
    module = Module.objects.filter(slug=slug).first() or published_module(slug)
    created = Assignment.objects.active().filter(patient_id=owner_patient.pk, module=module).first() or assign_module(
        counselor=counselor, patient=User.objects.get(pk=owner_patient.pk), module=module
    )
    return [
        reverse("education:assignment", kwargs={"assignment_id": created.pk}),
        reverse("education:assignment_cancel", kwargs={"assignment_id": created.pk}),
    ]


def learner_urls(module: Module) -> list[str]:
    """Every learner page of ``module``: overview, first lesson, pre-check and its skip (POST), knowledge check and
    its result, restart (POST) and certificate."""
    return [reverse(name, args=[module.slug]) for name in LEARNER_PAGES] + [
        reverse("education:lesson", args=[module.slug, 1])
    ]


def walk(client: Client, module: Module) -> dict[str, int]:
    """The status of each of ``module``'s learner pages for the client's viewer (a POST-only page is POSTed).
    A readable module answers 200 or a redirect to the next step; an unreadable one 404 on every page."""
    return {url: status_of(client, url) for url in learner_urls(module)}


def opens(client: Client, module: Module) -> bool:
    """True when every learner page of ``module`` answers the viewer (none is 404); the overview must be a 200."""
    statuses = walk(client, module)
    return 404 not in statuses.values() and statuses[reverse("education:module", args=[module.slug])] == 200


def closed(client: Client, module: Module) -> bool:
    """True when every learner page of ``module`` is a 404 for the viewer."""
    return set(walk(client, module).values()) == {404}
