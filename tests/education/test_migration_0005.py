"""education 0005 (issue 20): attempts made before draws existed become submitted attempts, so the new "one open
attempt per learner" rule holds for a learner who had tried several times."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("education", "0004_module_translations")]
AFTER = [("education", "0005_quiz_draws_and_prechecks")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_earlier_attempts_are_submitted_when_they_were_made() -> None:
    apps = _migrate(BEFORE)
    try:
        Module = apps.get_model("education", "Module")
        ModuleVersion = apps.get_model("education", "ModuleVersion")
        ModuleProgress = apps.get_model("education", "ModuleProgress")
        QuizAttempt = apps.get_model("education", "QuizAttempt")
        from tests.support import personas

        learner = personas.make_user("old@example.org", "family", None, full_name="Old Learner")
        module = Module.objects.create(slug="old-module")
        version = ModuleVersion.objects.create(module=module, number=1, title="Old", summary="s", sources=[])
        progress = ModuleProgress.objects.create(learner_id=learner.pk, module=module, version=version)
        for score in (40, 90):
            QuizAttempt.objects.create(progress=progress, version=version, answers={}, score=score, passed=score > 80)

        apps = _migrate(AFTER)
        QuizAttempt = apps.get_model("education", "QuizAttempt")
        rows = list(QuizAttempt.objects.values_list("kind", "score", "drawn", "created_at", "submitted_at"))
        assert len(rows) == 2
        assert all(kind == "check" and drawn == [] and made == submitted for kind, _s, drawn, made, submitted in rows)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
