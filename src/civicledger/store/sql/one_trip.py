"""A small PostgreSQL append sent to the server as one query: one round trip, not six.

The usual append (:class:`~civicledger.store.sql.appending.SqlAppender`) locks the
ledger's row and reads its head and frontier, reads the batch's stream versions,
then inserts, moves the head and commits: six round trips for one event, each a
wait for the server. An appender that made the ledger's last append already knows
the head and frontier it left, and the versions it gave its streams. It plans the
next small batch on them and sends everything as one query::

    BEGIN;
    SELECT 1 FROM civicledger_lock_ledger(ledger);        -- the write lock, as ever
    EXECUTE civicledger_append_<rows>_<streams>(<the rows>, <what they were planned on>);
    INSERT INTO civicledger_tiles …;                       -- when a tile completes
    SELECT civicledger_advance_head(ledger, head, frontier);
    COMMIT;
    SELECT set_config('synchronous_commit', 'off', true), pg_notify(channel, head);

The ``EXECUTE`` runs an ``INSERT … SELECT * FROM (VALUES …) WHERE <checks>``
prepared once per connection (:func:`prepare`): it inserts the rows only if the
ledger's head and frontier are those planned on and each stream's last version is
the one planned on.

Nothing is taken on trust. The server checks every guess inside the transaction: if
a check fails no row is inserted, and the head guard then refuses to move the head;
a position another writer took fails the primary key, a version the stream index, a
repeated id the id index. Any such failure leaves the transaction aborted; it is
rolled back, and the append runs the usual way, which raises the proper error if
there is one. A wrong guess costs a round trip, never a wrong row.

The values are quoted into the query text by the driver (psycopg's client-side
binding): only the simple query protocol takes several statements in one message.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Engine

from civicledger.store.sql import dialect
from civicledger.store.sql.errors import translate
from civicledger.store.sql.guards import ADVANCE_FUNCTION, LOCK_FUNCTION
from civicledger.store.sql.schema import events, ledgers, tiles

MAX_ROWS = 8
"""The largest batch sent as one query. Larger ones go by COPY: quoting every value
into the text costs more per row than COPY's binary rows, and the round trips saved
weigh less in a larger batch. Measured against the usual append, interleaved: 2.6x
the events/s at 1 event, 1.8x at 4, 1.5x at 6, 1.3x at 8, 0.97x at 10, 0.9x at 12."""


class Sent(enum.Enum):
    """How a one-trip append ended, when it did not raise."""

    COMMITTED = "committed"
    REFUSED = "refused"
    NOT_PREPARED = "not prepared"


class Shape(NamedTuple):
    """What a one-trip append's statements depend on: how many rows, streams and tiles."""

    rows: int
    streams: int
    tiles: int

    @property
    def insert_name(self) -> str:
        """The name of the rows' prepared ``INSERT`` on a connection."""
        return f"civicledger_append_{self.rows}_{self.streams}"


def prepare(engine: Engine, shape: Shape) -> str:
    """``PREPARE`` for the rows' ``INSERT``: parsed and planned once per connection, not at
    every append (the planning of its checks was about a quarter of the server's time).

    The ``INSERT`` inserts every row only if the ledger's stored head and frontier are
    those planned on and each stream's last version is the one before its first new row;
    otherwise none. (All or none: were only some refused, the head guard could find the
    others' positions after another writer's head filled and move the head over a
    frontier planned on another history.) Parameters: each row's columns, then the
    ledger, head and frontier, then each stream's ledger, name and version.
    """
    quote = engine.dialect.identifier_preparer
    event_table = quote.format_table(events)
    column_types = dialect.copy_types(engine.dialect, events)
    types: list[str] = []
    numbers = itertools.count(1)

    def placeholders(*kinds: str) -> list[str]:
        types.extend(kinds)
        return [f"${next(numbers)}" for _ in kinds]

    rows = [f"({', '.join(placeholders(*column_types))})" for _ in range(shape.rows)]
    ledger, head, frontier = placeholders("integer", "bigint", "bytea")
    checks = [
        f"EXISTS (SELECT 1 FROM {quote.format_table(ledgers)} AS l WHERE l.id = {ledger} "
        f"AND l.head = {head} AND l.frontier = {frontier})"
    ]
    for _ in range(shape.streams):
        stream_ledger, stream, before = placeholders("integer", "text", "bigint")
        checks.append(
            f"(SELECT coalesce(max(e.stream_version), 0) FROM {event_table} AS e "
            f"WHERE e.ledger_id = {stream_ledger} AND e.stream = {stream}) = {before}"
        )
    return (
        f"PREPARE {shape.insert_name} ({', '.join(types)}) AS "
        f"INSERT INTO {event_table} ({dialect.quoted_columns(engine.dialect, events)}) "
        f"SELECT * FROM (VALUES {', '.join(rows)}) AS new_rows WHERE {' AND '.join(checks)}"
    )


def query(engine: Engine, shape: Shape) -> str:
    """The text of one append (the rows' ``INSERT`` prepared by :func:`prepare`), with
    ``%s`` placeholders in the order :func:`params` gives them."""
    quote = engine.dialect.identifier_preparer
    arguments = len(events.columns) * shape.rows + 3 + 3 * shape.streams
    statements = [
        "BEGIN",
        # The ledger's lock first, as every other writer takes it: a writer that inserted
        # rows before it could wait for the lock while the holder waits for its rows.
        f"SELECT 1 FROM {LOCK_FUNCTION}(%s)",
        f"EXECUTE {shape.insert_name}({', '.join(['%s'] * arguments)})",
    ]
    if shape.tiles:
        tile_values = ", ".join("(%s, %s, %s, %s)" for _ in range(shape.tiles))
        tile_columns = dialect.quoted_columns(engine.dialect, tiles)
        statements.append(
            f"INSERT INTO {quote.format_table(tiles)} ({tile_columns}) VALUES {tile_values}"
        )
    # Read when called, not imported: a test replaces it to make the announcement fail.
    statements += [f"SELECT {ADVANCE_FUNCTION}(%s, %s, %s)", "COMMIT", dialect._NOTIFY_SQL]
    return "; ".join(statements)


def params(
    ledger_id: int,
    rows: Sequence[tuple[Any, ...]],
    streams_before: Sequence[tuple[str, int]],
    tile_rows: Sequence[tuple[Any, ...]],
    *,
    head: int,
    frontier: bytes,
    new_head: int,
    new_frontier: bytes,
) -> list[Any]:
    """The values of :func:`query`'s placeholders (those of the prepared ``INSERT`` among them).

    Args:
        ledger_id: the ledger's row id.
        rows: each new row's driver values, in column order.
        streams_before: each stream of the rows, once, with its version before them.
        tile_rows: each new tile's (ledger id, level, index, hash).
        head: the head the batch was planned on.
        frontier: the stored frontier bytes the batch was planned on.
        new_head: the head after the batch.
        new_frontier: the frontier bytes after the batch.
    """
    values: list[Any] = [ledger_id]
    for row in rows:
        values += row
    values += (ledger_id, head, frontier)
    for stream, before in streams_before:
        values += (ledger_id, stream, before)
    for tile in tile_rows:
        values += tile
    values += (ledger_id, new_head, new_frontier)
    values += (dialect.notify_channel(ledger_id), str(new_head))
    return values


def send(
    engine: Engine,
    text: str,
    values: Sequence[Any],
    *,
    insert: tuple[str, str],
    ledger_id: int,
    first: tuple[int, uuid.UUID],
    notifying: str,
) -> Sent:
    """Run one append's query on a pooled connection; whether it committed.

    Args:
        engine: a PostgreSQL engine.
        text: the query (:func:`query`).
        values: its placeholders' values (:func:`params`).
        insert: the name of the rows' prepared ``INSERT`` and its ``PREPARE``
            (:func:`prepare`), run first on a connection that has not prepared it.
        ledger_id: the ledger's row id.
        first: the position and id of the batch's first new row, by which a failure
            after the transaction's block tells whether it committed.
        notifying: what the announcement does, for the message when only it fails.

    Returns:
        ``COMMITTED`` when the append committed and was announced; otherwise the server
        refused it and rolled it back, and nothing is written: ``REFUSED`` when a check
        failed, ``NOT_PREPARED`` when the session lacked the prepared ``INSERT`` or
        could not prepare it.

    Raises:
        StoreError: the append committed and only its announcement failed.
        psycopg.Error: the connection failed, so that whether the append committed is
            unknown (the caller's ``translated`` names what it was doing).
    """
    import psycopg

    idle = psycopg.pq.TransactionStatus.IDLE
    name, prepare_text = insert
    raw = engine.raw_connection()
    driver: Any = raw.driver_connection
    prepared: set[str] = raw.info.setdefault(_PREPARED, set())  # lives with the connection
    reusable = False
    try:
        driver.autocommit = True  # the query sends its own BEGIN: no round trip for one
        try:
            if name not in prepared:  # once per connection and shape: a round trip of its own
                try:
                    driver.execute(prepare_text)
                except psycopg.errors.DuplicatePreparedStatement:
                    pass
                except psycopg.Error:
                    return Sent.NOT_PREPARED  # the usual way meets the cause and names it
                prepared.add(name)
            with psycopg.ClientCursor(driver) as cursor:
                cursor.execute(text, values)
            return Sent.COMMITTED
        except psycopg.Error as error:
            status = driver.info.transaction_status
            if status == psycopg.pq.TransactionStatus.INERROR:
                # A statement inside the block failed: nothing is committed.
                driver.execute("ROLLBACK")
                if error.sqlstate == _NO_SUCH_STATEMENT:  # e.g. a pooler changed sessions
                    prepared.discard(name)
                    return Sent.NOT_PREPARED
                return Sent.REFUSED
            if status != idle:
                raise
            # The block had ended: either its COMMIT failed or the announcement after it.
            if not _committed(engine, driver, ledger_id, *first):
                return Sent.REFUSED
            raise translate(error, notifying) from error
        finally:
            if not driver.closed and driver.info.transaction_status == idle:
                driver.autocommit = False
                reusable = True
    finally:
        if not reusable:  # never hand the pool a connection left in autocommit
            raw.invalidate()
        raw.close()


_PREPARED = "civicledger_prepared"
"""Key in a pooled connection's ``info``: the names of the statements it has prepared."""

_NO_SUCH_STATEMENT = "26000"
"""SQLSTATE invalid_sql_statement_name: ``EXECUTE`` of a statement the session lacks."""


def _committed(
    engine: Engine, driver: Any, ledger_id: int, position: int, event_id: uuid.UUID
) -> bool:
    table = engine.dialect.identifier_preparer.format_table(events)
    found = driver.execute(
        f"SELECT 1 FROM {table} WHERE ledger_id = %s AND position = %s AND event_id = %s",
        (ledger_id, position, event_id),
    ).fetchone()
    return found is not None
