"""Events and tiles partitioned by ledger on PostgreSQL (declarative ``PARTITION BY HASH``).

Every key and index of the two tables that grow with the history leads with
``ledger_id``, so PostgreSQL can split them by ledger: each ledger's rows live in
one partition, an append or a read of one ledger touches one partition's indexes,
and ``VACUUM`` or a backup can work partition by partition. The other tables
(ledgers, seals, schema facts, projection positions) stay whole: they hold a
few rows per ledger.

Partitioning is chosen when the database is created (:func:`partition_by_ledger`,
``civicledger init --partition-by-ledger N``); a database made without it keeps
working unpartitioned. Reading and writing go through the parent tables, so
nothing else in the library knows the difference. The append-only triggers are
declared on the parents and PostgreSQL clones the row triggers onto every
partition; the ``TRUNCATE`` guard, a statement trigger, is added to each
partition here, since truncating a partition directly would not fire its
parent's. See ``docs/storage.md``.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.schema import CreateTable

from civicledger.errors import ValidationError
from civicledger.store.sql.dialect import write_transaction
from civicledger.store.sql.engine import open_engine
from civicledger.store.sql.schema import events, tiles

PARTITIONED_TABLES: tuple[Table, ...] = (events, tiles)
"""The tables that grow with the history, partitioned when asked for."""

MAX_PARTITIONS = 1024
"""More partitions than this only slow planning down; thousands of ledgers share them."""


def check_partitions(partitions: int) -> int:
    """The number of hash partitions, checked.

    Raises:
        ValidationError: not an integer from 1 to :data:`MAX_PARTITIONS`.
    """
    if (
        isinstance(partitions, bool)
        or not isinstance(partitions, int)
        or not 1 <= partitions <= MAX_PARTITIONS
    ):
        raise ValidationError(
            f"partitions must be a whole number from 1 to {MAX_PARTITIONS}, got {partitions!r}",
            field="partitions",
        )
    return partitions


def partition_name(table: Table, remainder: int) -> str:
    """The name of one hash partition of a table."""
    return f"{table.name}_p{remainder}"


def create_partitioned_tables(conn: Connection, partitions: int) -> None:
    """Create the events and tiles tables partitioned by ``HASH (ledger_id)``, with their indexes.

    Runs inside the schema transaction of a new database, instead of creating
    these two tables plainly; the rest of the schema is created as usual.
    """
    for table in PARTITIONED_TABLES:
        create = str(CreateTable(table).compile(dialect=conn.dialect)).rstrip()
        conn.execute(text(f"{create} PARTITION BY HASH (ledger_id)"))
        for index in table.indexes:
            index.create(conn)
        for remainder in range(partitions):
            conn.execute(
                text(
                    f"CREATE TABLE {partition_name(table, remainder)} PARTITION OF {table.name} "
                    f"FOR VALUES WITH (MODULUS {partitions}, REMAINDER {remainder})"
                )
            )


def guard_partitions(conn: Connection) -> None:
    """Refuse ``TRUNCATE`` on every partition, as on the parents (after the append-only DDL)."""
    for partition in partition_names(conn):
        conn.execute(
            text(
                f"CREATE OR REPLACE TRIGGER {partition}_no_truncate BEFORE TRUNCATE "
                f"ON {partition} FOR EACH STATEMENT EXECUTE FUNCTION civicledger_reject_change()"
            )
        )


def partition_names(conn: Connection) -> list[str]:
    """The partitions of the events and tiles tables (none when they are not partitioned)."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = ANY(ARRAY[to_regclass(:events), to_regclass(:tiles)]) "
            "ORDER BY c.relname"
        ),
        {"events": events.name, "tiles": tiles.name},
    ).scalars()
    return [str(name) for name in rows]


def is_partitioned(conn: Connection) -> bool:
    """Whether the events table of this database is partitioned."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"),
        {"t": events.name},
    ).scalar_one()
    return bool(found)


def partition_by_ledger(url: str | URL, partitions: int = 16) -> None:
    """Create civicledger's tables in a PostgreSQL database with events and tiles partitioned
    by ledger (``PARTITION BY HASH (ledger_id)`` into ``partitions`` partitions).

    Run it once, on a database without civicledger tables, before the first ledger
    is opened; running it again on a database it partitioned changes nothing.

    Args:
        url: a PostgreSQL URL (``postgresql+psycopg://user@host/dbname``).
        partitions: how many hash partitions (1 to 1,024; a ledger's rows all go to one).

    Raises:
        ValidationError: not a PostgreSQL URL, a bad number of partitions, or the
            database already holds unpartitioned civicledger tables.
        SchemaMismatchError: the database holds another schema version.
        StoreError: the database failed.
    """
    from civicledger.store.sql.errors import translated
    from civicledger.store.sql.ledgers import prepare_schema

    check_partitions(partitions)
    with translated("opening the database"):
        parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValidationError(
            "partitioning by ledger needs PostgreSQL (a SQLite file keeps each ledger's rows "
            "together in its indexes already)",
            field="url",
        )
    engine = open_engine(parsed)
    try:
        with translated("creating the partitioned tables"), write_transaction(engine) as conn:
            prepare_schema(conn, partitions=partitions)
    finally:
        engine.dispose()
