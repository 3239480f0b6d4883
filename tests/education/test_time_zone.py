"""Education dates are shown in the viewer's own time zone (``User.tz``), not UTC: the learner's certificate and
module page, and the learners' progress a counselor follows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from education import services
from education.models import ModuleProgress
from tests.support.education_content import answers_for

pytestmark = pytest.mark.django_db

# 23:30 UTC on March 1 is already March 2 in Auckland; 03:00 UTC on March 2 is still March 1 in New York.
LATE_EVENING_UTC = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
SMALL_HOURS_UTC = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def complete(learner, module, at: datetime) -> ModuleProgress:
    progress = services.start_module(learner=learner, module=module)
    for lesson in progress.version.lessons.all():
        services.complete_lesson(progress=progress, lesson=lesson)
    services.submit_quiz(progress=progress, answers=answers_for(progress.version))
    ModuleProgress.objects.filter(pk=progress.pk).update(completed_at=at, updated_at=at)
    progress.refresh_from_db()
    assert progress.completed_at == at
    return progress


def test_certificate_and_module_page_date_the_completion_in_the_learners_zone(
    client, login, family_member, shared_module
):
    family_member.time_zone = "Pacific/Auckland"
    family_member.save(update_fields=["time_zone"])
    complete(family_member, shared_module, LATE_EVENING_UTC)
    login(family_member)
    certificate = client.get(reverse("education:certificate", args=[shared_module.slug])).content.decode()
    assert "on March 2, 2026" in certificate and "March 1" not in certificate
    module_page = client.get(reverse("education:module", args=[shared_module.slug])).content.decode()
    assert "You completed it on March 2, 2026." in module_page


def test_counselor_sees_learners_progress_dated_in_the_programs_zone(
    client, login, counselor, patient, family_member, shared_module
):
    assignment = services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    complete(family_member, shared_module, SMALL_HOURS_UTC)
    assert not counselor.time_zone and counselor.tz.key == "America/New_York"
    login(counselor)
    page = client.get(reverse("education:assignment", args=[assignment.pk])).content.decode()
    assert "Completed Mar 1<" in page
    assert '<td data-label="Last activity">Mar 1, 2026</td>' in page
