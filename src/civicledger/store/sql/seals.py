"""The seals table: checkpoints the audit layer writes, append-only like events.

It has its own MetaData and is created on first use (with its triggers), so
databases made before it existed gain it without a schema version change and
the store's own schema check is unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    text,
)

from civicledger.store.parts import SealRow
from civicledger.store.sql import dialect
from civicledger.store.sql.errors import translated
from civicledger.store.sql.ledgers import write_transaction
from civicledger.store.sql.schema import ledgers

seals_metadata = MetaData()

_BIG = BigInteger().with_variant(Integer(), "sqlite")

seals = Table(
    "civicledger_seals",
    seals_metadata,
    Column("id", _BIG, primary_key=True, autoincrement=True),
    Column("ledger_id", Integer, ForeignKey(ledgers.c.id), nullable=False, index=True),
    Column("tree_size", _BIG, nullable=False),
    Column("root_hash", LargeBinary(64), nullable=False),
    Column("sealed_at", String(27), nullable=False),
    # The whole seal text (checkpoint and signature lines): what a verifier needs.
    Column("text", Text, nullable=False),
)
"""One row per seal, in the order they were made; rows are never changed or deleted."""


def append_only_ddl(dialect_name: str) -> list[str]:
    """The statements that make seal rows immutable (same mechanism as the events table).

    Args:
        dialect_name: ``"sqlite"`` or ``"postgresql"``.

    Returns:
        DDL statements; run them after the table exists (the PostgreSQL ones
        reuse the trigger function the store creates with its schema).
    """
    table = seals.name
    if dialect_name == "postgresql":
        return [
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION civicledger_reject_change()",
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION civicledger_reject_change()",
        ]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'civicledger: {table} is append-only; {op} is not allowed'); "
        "END"
        for op in ("UPDATE", "DELETE")
    ]


def latest_seals(conn: Connection, ledger_id: int) -> dict[str, tuple[int, bytes]]:
    """A ledger's stored seals on an open connection: text -> (tree size, root), the
    largest tree size last (empty when the table does not exist yet).

    Raises:
        sqlalchemy errors: the caller translates them.
    """
    if not inspect(conn).has_table(seals.name):
        return {}
    result = conn.execute(
        select(seals.c.text, seals.c.tree_size, seals.c.root_hash)
        .where(seals.c.ledger_id == ledger_id)
        .order_by(seals.c.tree_size, seals.c.id)
    ).all()
    return {text: (int(size), bytes(root)) for text, size, root in result}


class SqlSealTable:
    """Reads and appends one ledger's seals; creates the table on first use."""

    def __init__(self, engine: Engine, ledger_id: int, ledger_name: str) -> None:
        """Work on the seals of the ledger with row id ``ledger_id``.

        Args:
            engine: the store's engine.
            ledger_id: the ledger's row id.
            ledger_name: its name, for error messages.
        """
        self._engine = engine
        self._ledger_id = ledger_id
        self._ledger_name = ledger_name
        self._ready = False

    def append(self, *, tree_size: int, root_hash: bytes, sealed_at: str, text: str) -> SealRow:
        """Store a seal.

        Args:
            tree_size: the seal's tree size.
            root_hash: its root hash.
            sealed_at: when it was made (the codec's UTC timestamp text).
            text: the whole seal text.

        Returns:
            The stored row.

        Raises:
            StoreError: the database failed.
        """
        self._ensure_table()
        with (
            translated(f"storing a seal of ledger {self._ledger_name!r}"),
            write_transaction(self._engine) as conn,
        ):
            row_id = conn.execute(
                insert(seals)
                .values(
                    ledger_id=self._ledger_id,
                    tree_size=tree_size,
                    root_hash=root_hash,
                    sealed_at=sealed_at,
                    text=text,
                )
                .returning(seals.c.id)
            ).scalar_one()
        return SealRow(int(row_id), tree_size, root_hash, sealed_at, text)

    def rows(self) -> Iterator[SealRow]:
        """Yield the ledger's seals in the order they were made.

        Raises:
            StoreError: the database failed.
        """
        if not self._table_exists():
            return
        with (
            translated(f"reading the seals of ledger {self._ledger_name!r}"),
            self._engine.connect() as conn,
        ):
            result = conn.execute(
                select(
                    seals.c.id,
                    seals.c.tree_size,
                    seals.c.root_hash,
                    seals.c.sealed_at,
                    seals.c.text,
                )
                .where(seals.c.ledger_id == self._ledger_id)
                .order_by(seals.c.id)
            ).all()
        for row_id, size, root, sealed_at, seal_text in result:
            yield SealRow(int(row_id), int(size), bytes(root), sealed_at, seal_text)

    def ensure(self) -> None:
        """Create the seals table if it does not exist yet (outside any write transaction).

        Raises:
            StoreError: the database failed.
        """
        self._ensure_table()

    def _table_exists(self) -> bool:
        if self._ready:
            return True
        with translated("looking for the seals table"), self._engine.connect() as conn:
            self._ready = inspect(conn).has_table(seals.name)
        return self._ready

    def _ensure_table(self) -> None:
        if self._table_exists():
            return
        with translated("creating the seals table"), write_transaction(self._engine) as conn:
            dialect.lock_schema(conn)
            create_seal_table(conn)
        self._ready = True


def create_seal_table(conn: Connection) -> None:
    """Create the seals table and its triggers unless it exists (call under the schema lock)."""
    if inspect(conn).has_table(seals.name):
        return  # another process created it while we waited for the lock
    seals_metadata.create_all(conn)
    for statement in append_only_ddl(conn.dialect.name):
        conn.execute(text(statement))
