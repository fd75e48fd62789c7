"""PostgreSQL's parsed copy of every payload: the generated ``payload_json`` column.

The canonical payload is TEXT: the committed bytes, hashed by verification. The
SQL pushdown reads payload fields with JSON operators, and ``payload::jsonb``
parses the whole text again for every field of every row of every query (one
aggregate query reads a dozen fields). Schema version 4 adds, on PostgreSQL
only, ``payload_json jsonb GENERATED ALWAYS AS (payload::jsonb) STORED``: parsed
once when the row is written, and again by the database itself when a
redaction rewrites the payload. No INSERT or UPDATE can write it, so appends
(and their COPY) never list it, and it is not part of the table metadata the
rest of the store uses.

It is derived, not committed: the Merkle tree covers the TEXT. An insider
with the owner's rights could drop the expression and edit the column, which
would change figures while every leaf still verifies; :func:`derived_problems`
is the check ``verify`` runs for that (the catalog still says "generated from
the payload", and every row's value equals its payload parsed again).
SQLite files have no such column: its ``json_extract`` reads the text directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, literal_column, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events

PAYLOAD_JSON = "payload_json"
"""The generated column's name."""

_EXPRESSION = "(payload)::jsonb"
"""How PostgreSQL prints the column's generation expression (``pg_get_expr``)."""

ADD_COLUMN = (
    f"ALTER TABLE {events.name} ADD COLUMN IF NOT EXISTS {PAYLOAD_JSON} jsonb "
    "GENERATED ALWAYS AS (payload::jsonb) STORED"
)
"""The DDL of a new database and of the upgrade from version 3 (it rewrites the events
table once, partitions included: a partitioned parent passes it on to every partition)."""


def payload_jsonb() -> ColumnElement[Any]:
    """The parsed payload of the events table's row, for queries that select from that table."""
    return literal_column(f"{events.name}.{PAYLOAD_JSON}", JSONB)


def derived_problems(engine: Engine, ledger_id: int) -> list[tuple[int | None, str]]:
    """What is wrong with one ledger's derived column: (position or None, description).

    First the catalog: the events table and each of its partitions must have the
    column, generated from the payload as created. Then one pass over the
    ledger's rows: the first position whose stored value is not its payload
    parsed again. A payload that is not JSON cannot be parsed here; verification
    reports that row already (a malformed row, or a payload digest mismatch), and
    this check says it could not run.

    Raises:
        StoreError: the database failed.
    """
    if engine.dialect.name != "postgresql":
        return []  # SQLite reads the payload text itself
    with translated("checking the derived payload column"), engine.connect() as conn:
        return _problems(conn, ledger_id)


def _problems(conn: Connection, ledger_id: int) -> list[tuple[int | None, str]]:
    found: list[tuple[int | None, str]] = []
    rows = conn.execute(
        text(
            "SELECT c.relname, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) "
            "FROM pg_class AS c "
            "LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = :column "
            "AND NOT a.attisdropped "
            "LEFT JOIN pg_attrdef AS d ON d.adrelid = c.oid AND d.adnum = a.attnum "
            "WHERE c.oid = to_regclass(:events) OR c.oid IN "
            "(SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(:events)) "
            "ORDER BY c.relname"
        ),
        {"column": PAYLOAD_JSON, "events": events.name},
    ).all()
    for table, generated, expression in rows:
        if generated is None:
            found.append((None, f"table {table} has no {PAYLOAD_JSON} column"))
        elif generated != "s" or expression != _EXPRESSION:
            found.append(
                (
                    None,
                    f"{table}.{PAYLOAD_JSON} is no longer generated from the payload "
                    f"(expression {expression!r}): it can be edited apart from the "
                    "verified payload",
                )
            )
    if any(generated is None for _, generated, _ in rows):
        return found  # the value check below would fail on the missing column
    try:
        with conn.begin_nested():
            first = conn.execute(
                text(
                    f"SELECT min(position) FROM {events.name} WHERE ledger_id = :ledger "
                    f"AND {PAYLOAD_JSON} IS DISTINCT FROM payload::jsonb"
                ),
                {"ledger": ledger_id},
            ).scalar_one()
    except DBAPIError:
        found.append(
            (
                None,
                f"the {PAYLOAD_JSON} column could not be compared with the payloads: a stored "
                "payload is not JSON",
            )
        )
        return found
    if first is not None:
        found.append(
            (
                int(first),
                f"the stored {PAYLOAD_JSON} differs from the payload parsed again: the "
                "pushdown would count another value than the verified one",
            )
        )
    return found
