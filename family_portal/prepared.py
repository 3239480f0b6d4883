"""Queries built by the ORM once and re-run with new values (issue #17: the chat's hot paths).

Building a queryset and compiling it to SQL costs more CPU than running it for the small queries of a socket
message (the gate's four-grant union above all). A ``Prepared`` query is written as an ordinary queryset by a
function of named values, so the rules stay where they are written; its SQL is compiled once per database
connection alias, with sample values, and each run puts the new values in the parameters the samples took.

Exactness is checked when the SQL is made, not assumed: the query is compiled once more per value with a second
sample, and it must give the same SQL text, each value must appear as parameters and nowhere else, and those
parameters must equal the value as the database expects it (``get_db_prep_value`` of the matching field). A
value of another type at run time (``None``, a list, a model object) raises ``TypeError``, so a caller falls back
to the ORM rather than run SQL compiled for another shape.

The rows are read as the ORM reads them (its iterable classes), except that the columns' converters and whether
any column is composite are worked out once per query and database connection rather than on every run: the ORM
asks each selected column for them each time, some 0.1 ms for a wide row (issue #17, H1).
"""

from __future__ import annotations

import operator
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery
from django.db.transaction import TransactionManagementError


# Two samples per type for the n-th value: unlikely constants, distinct between values, so a sample never collides
# with a literal of the query or with another value's sample.
def _samples(kind: type, n: int) -> tuple[Any, Any]:
    if kind is datetime:
        first = datetime(2001, 2, 3, 4, 5, 6, 7089, tzinfo=UTC) + timedelta(days=n)
        return first, first + timedelta(days=400, microseconds=1)
    if kind is int:
        return 2_000_000_011 + 100 * n, 2_000_000_033 + 100 * n
    if kind is str:
        return f"prepared-sample-{n}-one", f"prepared-sample-{n}-two"
    if kind is uuid.UUID:
        return uuid.UUID(int=0x5A5A_0001 + 16 * n), uuid.UUID(int=0x5A5A_0002 + 16 * n)
    raise TypeError(f"no prepared values of type {kind.__name__}")


_FIELDS: dict[type, models.Field[Any, Any]] = {datetime: models.DateTimeField(), uuid.UUID: models.UUIDField()}


def _prepare(kind: type, value: Any, connection: Any) -> Any:
    """``value`` as a parameter of the database behind ``connection``; ``TypeError`` for a value of another type."""
    if type(value) is not kind and not (kind is datetime and isinstance(value, datetime)):
        raise TypeError(f"a prepared {kind.__name__} value cannot be {type(value).__name__}")
    db_field = _FIELDS.get(kind)
    return value if db_field is None else db_field.get_db_prep_value(value, connection)


@dataclass(frozen=True)
class _Compiled:
    built: Any  # the queryset made with the first samples (an update's: the queryset and its values)
    state: dict[str, Any]  # the compiler's attributes after compiling: what the iterables read
    sql: str
    params: tuple[Any, ...]
    positions: dict[str, tuple[int, ...]]
    # Per database connection (each thread has its own): how the rows' columns are read (``_Readers``).
    readers: weakref.WeakKeyDictionary[Any, _Readers] = field(default_factory=weakref.WeakKeyDictionary)


class _Readers:
    """The compiler's ``get_converters`` and ``has_composite_fields`` answers for the query's selected columns, as
    one connection's first run computed them; a run's compiler answers with them (``read_through``)."""

    def __init__(self, compiler: Any) -> None:
        self.fields = tuple(selected[0] for selected in compiler.select[0 : compiler.col_count])
        self.converters = compiler.get_converters(list(self.fields))
        self.composite = compiler.has_composite_fields(list(self.fields))

    def _are_the_fields(self, expressions: Any) -> bool:
        fields = self.fields
        return len(expressions) == len(fields) and all(map(operator.is_, expressions, fields))

    def read_through(self, compiler: Any) -> None:
        """Give ``compiler`` these answers for the selected columns (any other columns: its own)."""
        own_converters, own_composite = compiler.get_converters, compiler.has_composite_fields
        compiler.get_converters = lambda expressions: (
            self.converters if self._are_the_fields(expressions) else own_converters(expressions)
        )
        compiler.has_composite_fields = lambda expressions: (
            self.composite if self._are_the_fields(expressions) else own_composite(expressions)
        )


class Prepared:
    """``build(**values)`` returns a queryset; ``rows(**values)`` runs its SQL, compiled once, with ``values``.

    ``kinds`` names each value and its type (``datetime``, ``int``, ``str``, ``uuid.UUID``). ``rows`` returns what
    iterating the queryset would (model objects with their ``select_related`` objects, or ``values_list``
    tuples)."""

    def __init__(self, build: Callable[..., Any], **kinds: type) -> None:
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, **values: Any) -> list[Any]:
        compiled, params = self._bind(values)
        connection = connections["default"]
        locks = compiled.built.query.select_for_update and connection.features.has_select_for_update
        if locks and connection.get_autocommit():  # as the ORM's compiler refuses it
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        compiler = compiled.built.query.get_compiler(using="default")
        compiler.__dict__.update(compiled.state)
        compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)  # type: ignore[method-assign]
        readers = compiled.readers.get(connection)
        if readers is None:
            readers = compiled.readers.setdefault(connection, _Readers(compiler))
        readers.read_through(compiler)
        iterable = compiled.built._iterable_class(_OneRun(compiled.built, compiler))
        return list(iterable)

    def _bind(self, values: dict[str, Any]) -> tuple[_Compiled, tuple[Any, ...]]:
        """The compiled query and its parameters with ``values`` in place of the samples."""
        if values.keys() != self.kinds.keys():
            raise TypeError(f"prepared query values {sorted(values)} are not {sorted(self.kinds)}")
        compiled = self._compiled.get("default") or self._compile("default")
        connection = connections["default"]
        params = list(compiled.params)
        for name, value in values.items():
            prepared = _prepare(self.kinds[name], value, connection)
            for position in compiled.positions[name]:
                params[position] = prepared
        return compiled, tuple(params)

    def _compiler(self, built: Any, alias: str) -> Any:
        return built.query.get_compiler(using=alias)

    def _compile(self, alias: str) -> _Compiled:
        with self._lock:
            if alias in self._compiled:
                return self._compiled[alias]
            connection = connections[alias]
            samples = {name: _samples(kind, n) for n, (name, kind) in enumerate(self.kinds.items())}
            first = {name: pair[0] for name, pair in samples.items()}
            built = self.build(**first)
            compiler = self._compiler(built, alias)
            sql, params = compiler.as_sql()
            positions: dict[str, tuple[int, ...]] = {}
            for name, kind in self.kinds.items():
                other_sql, other = self._compiler(self.build(**{**first, name: samples[name][1]}), alias).as_sql()
                moved = tuple(i for i, (a, b) in enumerate(zip(params, other, strict=True)) if a != b)
                expected = [_prepare(kind, sample, connection) for sample in samples[name]]
                if (
                    other_sql != sql
                    or any(params[i] != expected[0] or other[i] != expected[1] for i in moved)
                    or expected[0] in [params[i] for i in range(len(params)) if i not in moved]
                ):
                    raise ValueError(f"value {name!r} of a prepared query does not map onto its parameters")
                positions[name] = moved
            state = {key: value for key, value in compiler.__dict__.items() if key not in ("query", "connection")}
            self._compiled[alias] = _Compiled(built, state, sql, tuple(params), positions)
            return self._compiled[alias]


class PreparedUpdate(Prepared):
    """``build(**values)`` returns ``(queryset, {field: value})``; ``update(**values)`` runs what
    ``queryset.update(**fields)`` would, its SQL compiled once, and returns the number of rows changed. (No
    signals either way: ``update`` sends none.)"""

    def _compiler(self, built: Any, alias: str) -> Any:
        queryset, fields = built
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(fields)
        query.annotations = {}
        return query.get_compiler(using=alias)

    def update(self, **values: Any) -> int:
        compiled, params = self._bind(values)
        with connections["default"].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return int(cursor.rowcount)


class _OneRun:
    """The template queryset for one run, its query answering with the run's compiler: what the ORM's iterables
    (``ModelIterable``, ``ValuesListIterable``…) read from a queryset, without cloning it."""

    def __init__(self, template: QuerySet[Any], compiler: Any) -> None:
        self._template = template
        self.query = _FixedQuery(template.query, compiler)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._template, name)


class _FixedQuery:
    def __init__(self, query: Any, compiler: Any) -> None:
        self._query = query
        self._compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)
