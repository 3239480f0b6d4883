"""education 0002 (issue 15): what existing modules become when "public" gives way to "enrolled only"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("education", "0001_initial")]
AFTER = [("education", "0002_enrolled_only_and_start_here_path")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_limited_program_modules_stay_limited_and_starter_modules_join_the_path() -> None:
    apps = _migrate(BEFORE)
    try:
        Program = apps.get_model("accounts", "Program")
        Module = apps.get_model("education", "Module")
        ModuleVersion = apps.get_model("education", "ModuleVersion")
        program = Program.objects.create(name="Riverside Program")
        made = {}
        for slug, owner, is_public in (
            ("what-addiction-is", None, False),  # shared and not public: now general, first on the path
            ("crisis-resources", None, True),
            ("riverside-rules", program, False),  # an author left "Open to everyone" unticked: stays limited
            ("riverside-open", program, True),
        ):
            module = Module.objects.create(slug=slug, program=owner)
            made[slug] = ModuleVersion.objects.create(
                module=module, number=1, title=slug, summary="s", public=is_public, sources=[]
            )

        apps = _migrate(AFTER)
        ModuleVersion = apps.get_model("education", "ModuleVersion")
        Module = apps.get_model("education", "Module")
        limited = {v.module.slug: v.enrolled_only for v in ModuleVersion.objects.select_related("module")}
        assert limited == {
            "what-addiction-is": False,
            "crisis-resources": False,
            "riverside-rules": True,
            "riverside-open": False,
        }
        places = dict(Module.objects.values_list("slug", "path_position"))
        assert places == {
            "what-addiction-is": 1,
            "crisis-resources": 10,
            "riverside-rules": None,
            "riverside-open": None,
        }

        apps = _migrate(BEFORE)  # and back: all but the limited module "Open to everyone", the nearest old meaning
        ModuleVersion = apps.get_model("education", "ModuleVersion")
        public = {v.module.slug: v.public for v in ModuleVersion.objects.select_related("module")}
        assert public == {
            "what-addiction-is": True,
            "crisis-resources": True,
            "riverside-rules": False,
            "riverside-open": True,
        }
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
