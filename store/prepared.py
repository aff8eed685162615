"""Statements compiled once per dialect and run on the DBAPI cursor, for the hottest writes.

For the short statements of a workflow transition, SQLAlchemy's per-execution machinery (cache
lookup, parameter construction, bind processing through the type objects, result set-up,
events) costs several times what the database driver does. A `Prepared` statement is compiled
once for a dialect and keeps its SQL text, its parameter order and the bind and result
processors of its parameters' and columns' types: a run converts the values exactly as
SQLAlchemy would (so rows read back through the ORM are identical) and calls the driver.

Runs are invisible to SQLAlchemy's events and echo. Driver errors are raised as the
`sqlalchemy.exc` classes SQLAlchemy would raise (`IntegrityError`, `OperationalError`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


class Prepared:
    """One statement for one dialect. Parameters are the statement's `bindparam` names; literal
    values in the statement (a status constant, `True`) are converted once, here."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or compiled.escaped_bind_names:
            raise ValueError("only plain SQL statements with simple parameter names")
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding parameters need SQLAlchemy's execution")
        self.sql = compiled.string
        self._dialect = dialect
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        self._params: list[tuple[str, Processor | None]] = []
        self._constants: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                self._params.append((name, process))
            else:
                value = bind.effective_value
                self._constants[name] = process(value) if process is not None else value
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        columns = getattr(statement, "exported_columns", ())
        self._results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )

    def run(self, cursor: Any, values: Mapping[str, Any] | None = None) -> Any:
        """Execute with `values` (one per parameter name); returns the cursor."""
        return self._call(cursor.execute, self._bind(values or {}))

    def run_many(self, cursor: Any, rows: Iterable[Mapping[str, Any]]) -> Any:
        """Execute once per mapping of `rows` (the driver's executemany)."""
        return self._call(cursor.executemany, [self._bind(values) for values in rows])

    def first(self, cursor: Any, values: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        """The first result row, its values converted by the columns' types; None if none."""
        row = self.run(cursor, values).fetchone()
        return None if row is None else self.convert(row)

    def all(self, cursor: Any, values: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [self.convert(row) for row in self.run(cursor, values).fetchall()]

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self._results, strict=True)
        )

    def _bind(self, values: Mapping[str, Any]) -> Any:
        bound = dict(self._constants)
        for name, process in self._params:
            value = values[name]
            bound[name] = value if process is None else process(value)
        if self._order is None:
            return bound
        return tuple(bound[name] for name in self._order)

    def _call(self, execute: Callable[[str, Any], Any], parameters: Any) -> Any:
        try:
            return execute(self.sql, parameters)
        except self._dbapi_error as exc:
            raise DBAPIError.instance(
                self.sql, parameters, exc, self._dbapi_error, dialect=self._dialect
            ) from exc
