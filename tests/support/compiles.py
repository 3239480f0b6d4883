"""What the ORM compiles while a test watches: for tests that a query compiled once per process is not compiled
again (``family_portal.prepared``). Django's compiler still runs; each SELECT it compiles is only noted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models.sql import compiler


@dataclass
class Compiled:
    """The model and the SQL of each SELECT compiled since ``watch_compiles``."""

    models: list[Any] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)


def watch_compiles(monkeypatch: pytest.MonkeyPatch) -> Compiled:
    """Note every SELECT the ORM compiles from now on (until the test ends)."""
    seen = Compiled()
    original = compiler.SQLCompiler.as_sql

    def noted(this: Any, *args: Any, **kwargs: Any) -> Any:
        sql, params = original(this, *args, **kwargs)
        seen.models.append(this.query.model)
        seen.sql.append(sql)
        return sql, params

    monkeypatch.setattr(compiler.SQLCompiler, "as_sql", noted)
    return seen
