"""A small PostgreSQL append sent to the server as one query: one round trip, not six.

The usual append (:class:`~civicledger.store.sql.appending.SqlAppender`) locks the
ledger's row and reads its head and frontier, reads the batch's stream versions,
then inserts, moves the head and commits: six round trips for one event, each a
wait for the server. An appender that made the ledger's last append already knows
the head and frontier it left, and the versions it gave its streams. It plans the
next small batch on them and sends everything as one query::

    BEGIN;
    SELECT 1 FROM civicledger_lock_ledger(ledger);        -- the write lock, as ever
    INSERT … SELECT * FROM (VALUES <row>, <row>, …)
      WHERE <the ledger's head and frontier are those planned on>
        AND <each stream is at the version planned on>;
    INSERT INTO civicledger_tiles …;                       -- when a tile completes
    SELECT civicledger_advance_head(ledger, head, frontier);
    COMMIT;
    SELECT set_config('synchronous_commit', 'off', true), pg_notify(channel, head);

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

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Table

from civicledger.store.sql import dialect
from civicledger.store.sql.errors import translate
from civicledger.store.sql.guards import ADVANCE_FUNCTION, LOCK_FUNCTION
from civicledger.store.sql.schema import events, ledgers, tiles

MAX_ROWS = 12
"""The largest batch sent as one query. Larger ones go by COPY: quoting every value
into the text costs more per row, and the round trips saved weigh less in a larger
batch (measured against the usual append: 2.1x the events/s at 1 row, 1.4x at 8 and
10, 1.05x to 1.3x at 12, 0.9x to 1.1x at 16)."""


def query(engine: Engine, row_count: int, stream_count: int, tile_count: int) -> str:
    """The text of one append of ``row_count`` rows to ``stream_count`` streams, and
    ``tile_count`` tiles, with ``%s`` placeholders in the order :func:`params` gives them.

    The rows are one ``INSERT``, which inserts them all only if the ledger's stored
    head and frontier are those planned on and each stream holds the version before
    its first new row and nothing after it; otherwise it inserts none. (All or none:
    were only some refused, the head guard could find the others' positions after
    another writer's head filled and move the head over a frontier planned on
    another history.)
    """
    quote = engine.dialect.identifier_preparer
    event_table = quote.format_table(events)
    row = "(" + ", ".join("%s" for _ in events.columns) + ")"
    checks = [
        f"EXISTS (SELECT 1 FROM {quote.format_table(ledgers)} AS l WHERE l.id = %s "
        "AND l.head = %s AND l.frontier = %s)"
    ]
    checks += [
        f"NOT EXISTS (SELECT 1 FROM {event_table} AS e WHERE e.ledger_id = %s "
        "AND e.stream = %s AND e.stream_version > %s) "
        f"AND (%s = 0 OR EXISTS (SELECT 1 FROM {event_table} AS e WHERE e.ledger_id = %s "
        "AND e.stream = %s AND e.stream_version = %s))"
    ] * stream_count
    statements = [
        "BEGIN",
        # The ledger's lock first, as every other writer takes it: a writer that inserted
        # rows before it could wait for the lock while the holder waits for its rows.
        f"SELECT 1 FROM {LOCK_FUNCTION}(%s)",
        f"INSERT INTO {event_table} ({_columns(engine, events)}) "
        f"SELECT * FROM (VALUES {', '.join([row] * row_count)}) AS new_rows "
        f"WHERE {' AND '.join(checks)}",
    ]
    if tile_count:
        tile_values = ", ".join("(%s, %s, %s, %s)" for _ in range(tile_count))
        statements.append(
            f"INSERT INTO {quote.format_table(tiles)} ({_columns(engine, tiles)}) "
            f"VALUES {tile_values}"
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
    """The values of :func:`query`'s placeholders.

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
        values += (ledger_id, stream, before, before, ledger_id, stream, before)
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
    ledger_id: int,
    first: tuple[int, uuid.UUID],
    notifying: str,
) -> bool:
    """Run one append's query on a pooled connection; whether it committed.

    Args:
        engine: a PostgreSQL engine.
        text: the query (:func:`query`).
        values: its placeholders' values (:func:`params`).
        ledger_id: the ledger's row id.
        first: the position and id of the batch's first new row, by which a failure
            after the transaction's block tells whether it committed.
        notifying: what the announcement does, for the message when only it fails.

    Returns:
        True when the append committed and was announced; False when the server refused
        it and rolled it back (a check failed): nothing is written.

    Raises:
        StoreError: the append committed and only its announcement failed.
        psycopg.Error: the connection failed, so that whether the append committed is
            unknown (the caller's ``translated`` names what it was doing).
    """
    import psycopg

    idle = psycopg.pq.TransactionStatus.IDLE
    raw = engine.raw_connection()
    driver: Any = raw.driver_connection
    reusable = False
    try:
        driver.autocommit = True  # the query sends its own BEGIN: no round trip for one
        try:
            with psycopg.ClientCursor(driver) as cursor:
                cursor.execute(text, values)
            return True
        except psycopg.Error as error:
            status = driver.info.transaction_status
            if status == psycopg.pq.TransactionStatus.INERROR:
                # A statement inside the block failed: nothing is committed.
                driver.execute("ROLLBACK")
                return False
            if status != idle:
                raise
            # The block had ended: either its COMMIT failed or the announcement after it.
            if not _committed(engine, driver, ledger_id, *first):
                return False
            raise translate(error, notifying) from error
        finally:
            if not driver.closed and driver.info.transaction_status == idle:
                driver.autocommit = False
                reusable = True
    finally:
        if not reusable:  # never hand the pool a connection left in autocommit
            raw.invalidate()
        raw.close()


def _committed(
    engine: Engine, driver: Any, ledger_id: int, position: int, event_id: uuid.UUID
) -> bool:
    table = engine.dialect.identifier_preparer.format_table(events)
    found = driver.execute(
        f"SELECT 1 FROM {table} WHERE ledger_id = %s AND position = %s AND event_id = %s",
        (ledger_id, position, event_id),
    ).fetchone()
    return found is not None


def _columns(engine: Engine, table: Table) -> str:
    quote = engine.dialect.identifier_preparer
    return ", ".join(quote.format_column(column) for column in table.columns)
