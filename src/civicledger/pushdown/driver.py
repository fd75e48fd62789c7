"""Rows of a pushed-down query read in batches, on SQLite straight from the driver's cursor.

The pushdown's queries return plain SQLite values (integers, text, blobs) that
need no result processing, and SQLAlchemy's row machinery (a Row object and a
fetch call per row) costs about as much per row as folding it. Other dialects
go through SQLAlchemy with ``yield_per``, which streams from a server-side cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

__all__ = ["FETCH", "rows"]

FETCH = 5000
"""Rows per batch: memory stays flat however many rows the query returns."""


def rows(conn: Connection, statement: Select[Any]) -> Iterator[Any]:
    """The statement's rows (tuples), fetched ``FETCH`` at a time.

    Args:
        conn: an open connection.
        statement: a SELECT whose columns need no result processing on SQLite.

    Yields:
        Each row, indexable by column number.
    """
    if conn.dialect.name != "sqlite":
        yield from conn.execution_options(yield_per=FETCH).execute(statement)
        return
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    arguments = tuple(params[name] for name in compiled.positiontup or ())
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), arguments)
        while batch := cursor.fetchmany(FETCH):
            yield from batch
    finally:
        cursor.close()
