"""Insights' chart queries compiled to SQL once per process, the caseload passed as one array (issue #17).

Building and compiling the charts' filtered, annotated querysets was most of the insights page's CPU (30-odd ms of a
counselor's page). A chart's query is written once, as ``build(scope) -> queryset`` reading the scope's values
(``patient_ids``, ``start_at``, ``end_at``…). On PostgreSQL, for a counselor's caseload, it is built a first time
with ``Slot``s in place of the values (``SlotScope``) and compiled; every page then runs that SQL with its own
values in the slots' parameters. The caseload's patients, a list of any length, are one ``bigint[]`` parameter
(``AmongIds``: ``= ANY(%s)``), so one SQL text serves every caseload. Everywhere else (SQLite, a program admin's
whole program, whose patients are the gate's subquery) the same ``build`` runs through the ORM with real values.

Exactness rests on construction: a ``Slot`` compiles to one ``%s`` whose parameter is the slot itself, so the
compiled parameters name exactly where each value goes; compiling refuses SQL in which a slot is missing or its text
leaked, or with a date or an instant that is not a slot (one the build read itself, such as "now"). On PostgreSQL
the rows of these queries (counts, dates, titles, ids) come from the driver as the ORM returns them (no converters
apply); ``tests/console/test_insights_compiled.py`` checks both paths give the same rows and the same page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Expression, Field, Lookup, QuerySet
from django.db.models.lookups import In
from psycopg.sql import Literal

Builder = Callable[[Any], QuerySet[Any]]
_PLACEHOLDER = re.compile(r"%%|%s")
_QUERIES: list[ChartQuery] = []  # every chart query, in the order they were defined


class Slot(Expression):
    """A named value of a compiled query: one ``%s``, its parameter filled in at each run (``field`` prepares
    it for the database as the ORM would a literal; ``None`` passes it as is, e.g. a list of ids)."""

    def __init__(self, name: str, field: Field[Any, Any] | None = None) -> None:
        super().__init__(output_field=field)
        self.name = name
        self.prepare_as = field

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return "%s", [self]

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class AmongIds(Lookup):
    """``lhs`` is one of ``ids`` (a list of ints, or a ``Slot`` of one): ``= ANY(%s::bigint[])`` on PostgreSQL,
    one parameter whatever the number of ids; Django's ``IN (…)`` elsewhere (an empty list matches nothing)."""

    lookup_name = "among_ids"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if connection.vendor != "postgresql":
            if isinstance(self.rhs, Slot):
                raise TypeError("a slot of ids compiles for PostgreSQL only")
            return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs if isinstance(self.rhs, Slot) else [int(pk) for pk in self.rhs]
        array = f"{self.lhs.output_field.cast_db_type(connection)}[]"
        return f"{lhs_sql} = ANY(%s::{array})", [*lhs_params, ids]


@dataclass(frozen=True)
class _Compiled:
    sql: str  # as the ORM compiled it, ``%s`` per parameter
    params: tuple[Any, ...]  # the ORM's parameters: constants, and the slots
    pieces: tuple[str | Slot, ...]  # the SQL with the constants written in as literals, and the slots between
    slots: tuple[Slot, ...]  # one of each name


class ChartQuery:
    """One chart's query: ``rows(scope)`` runs ``build(scope)``'s SQL, compiled once per time zone when the scope
    allows it (``scope.compilable`` on PostgreSQL), through the ORM otherwise; both return ``values_list`` tuples.

    The compiled SQL is sent with its values written in as psycopg's literals, what Django's client-side binding
    sends, the constants' written once: psycopg parses a query of more than 4 KB or 50 parameters for every run
    (the one-row charts' ``UNION ALL`` is both), which cost more than running it."""

    def __init__(self, build: Builder) -> None:
        self.build = build
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, scope: Any) -> list[tuple[Any, ...]]:
        if not (scope.compilable and connection.vendor == "postgresql"):
            return list(self.build(scope))
        if (ready := scope.memo.get(("rows", self))) is not None:  # read by ``run_together``
            return ready  # type: ignore[no-any-return]
        with connection.cursor() as cursor:
            cursor.execute(self.sql_for(scope))
            return [tuple(row) for row in cursor.fetchall()]

    def sql_for(self, scope: Any) -> str:
        """The compiled SQL with ``scope``'s values written in (each slot's literal written once per scope)."""
        compiled = self._compiled.get(scope.tz.key) or self._compile(scope)
        literals: dict[str, str] = scope.memo.setdefault("literals", {})
        if missing := [slot for slot in compiled.slots if slot.name not in literals]:
            values = scope.slot_values()
            connection.ensure_connection()
            literals |= {slot.name: _literal(_bind(slot, values[slot.name])) for slot in missing}
        return "".join(literals[piece.name] if isinstance(piece, Slot) else piece for piece in compiled.pieces)

    def _compile(self, scope: Any) -> _Compiled:
        from console.insights.scope import SlotScope

        sql, params = self.build(SlotScope(tz=scope.tz)).query.get_compiler(connection=connection).as_sql()
        named = {param.name for param in params if isinstance(param, Slot)}
        fixed_time = any(isinstance(param, date) for param in params)  # an instant the build read itself
        if "Slot(" in sql or fixed_time or not named or not named <= set(scope.slot_values()):
            raise ValueError(f"the slots of {self.build.__qualname__} do not map onto its parameters")
        connection.ensure_connection()
        slots = {param.name: param for param in params if isinstance(param, Slot)}
        compiled = _Compiled(sql, tuple(params), _pieces(sql, list(params)), tuple(slots.values()))
        self._compiled[scope.tz.key] = compiled
        return compiled


def _pieces(sql: str, params: list[Any]) -> tuple[str | Slot, ...]:
    """``sql`` split at its placeholders (``%%`` is a percent sign), each constant written in as a literal."""
    pieces: list[str | Slot] = []
    text, position = "", 0
    for match in _PLACEHOLDER.finditer(sql):
        text += sql[position : match.start()]
        position = match.end()
        if match.group() == "%%":
            text += "%"
            continue
        param = params.pop(0)
        if isinstance(param, Slot):
            pieces += [text, param]
            text = ""
        else:
            text += _literal(param)
    if params:
        raise ValueError("more parameters than placeholders in a compiled chart query")
    pieces.append(text + sql[position:])
    return tuple(piece for piece in pieces if piece != "")


def _literal(value: Any) -> str:
    """``value`` as psycopg writes it into a query for Django's client-side binding (``ClientCursor``)."""
    return Literal(value).as_string(connection.connection)


def _bind(slot: Slot, value: Any) -> Any:
    return value if slot.prepare_as is None else slot.prepare_as.get_db_prep_value(value, connection, prepared=False)


def chart_query(build: Builder) -> ChartQuery:
    """Decorate a chart's ``build(scope) -> queryset`` (a ``values_list``) as a ``ChartQuery``."""
    query = ChartQuery(build)
    _QUERIES.append(query)
    return query


def run_together(scope: Any) -> None:
    """Every chart query's rows for ``scope`` in one round trip (the statements one after another in one
    ``execute``), kept on the scope for ``ChartQuery.rows``: a page reads all its charts, and each round trip costs
    the process CPU of its own. Nothing is done where the charts run through the ORM."""
    if not (scope.compilable and connection.vendor == "postgresql"):
        return
    statements = [query.sql_for(scope) for query in _QUERIES]
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(statements))
        results = [[tuple(row) for row in cursor.fetchall()]]
        while cursor.nextset():
            results.append([tuple(row) for row in cursor.fetchall()])
    if len(results) != len(_QUERIES):
        raise ValueError(f"{len(_QUERIES)} chart statements gave {len(results)} results")
    scope.memo.update({("rows", query): rows for query, rows in zip(_QUERIES, results, strict=True)})
