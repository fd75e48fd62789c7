"""The seal and cosignature tables: checkpoints the audit layer writes, append-only like events.

They have their own MetaData, kept apart from the event tables the store itself
needs; :func:`create_seal_tables` makes them with the schema (version 3) and when
an older database is upgraded.
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
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
)

from civicledger.store.parts import CosignatureRow, SealRow
from civicledger.store.sql.dialect import write_transaction
from civicledger.store.sql.engine import naming_damaged_text
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import ledgers, stored_bytes

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

cosignatures = Table(
    "civicledger_cosignatures",
    seals_metadata,
    Column("id", _BIG, primary_key=True, autoincrement=True),
    Column("ledger_id", Integer, ForeignKey(ledgers.c.id), nullable=False, index=True),
    Column("seal_id", _BIG, ForeignKey(seals.c.id), nullable=False),
    Column("signer", String(200), nullable=False),
    Column("cosigned_at", String(27), nullable=False),
    # The cosigner's verifier key text, so verify can check the line without being given it.
    Column("verifier", Text, nullable=False),
    # The C2SP cosignature/v1 signature line, as it would follow the seal's other signatures.
    Column("signature", Text, nullable=False),
    UniqueConstraint("ledger_id", "seal_id", "verifier", name="uq_civicledger_cosignatures_key"),
)
"""One row per countersignature of a seal by another key; rows are never changed or deleted."""

SEAL_TABLES: tuple[str, ...] = (seals.name, cosignatures.name)
"""The tables of this module, in the order they are created."""


def append_only_ddl(dialect_name: str, table: str) -> list[str]:
    """The statements that make a table's rows immutable (same mechanism as the events table).

    Args:
        dialect_name: ``"sqlite"`` or ``"postgresql"``.
        table: one of :data:`SEAL_TABLES`.

    Returns:
        DDL statements; run them after the table exists (the PostgreSQL ones
        reuse the trigger function the store creates with its schema).
    """
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
    largest tree size last.

    Raises:
        sqlalchemy errors: the caller translates them.
    """
    result = conn.execute(
        select(seals.c.text, seals.c.tree_size, seals.c.root_hash)
        .where(seals.c.ledger_id == ledger_id)
        .order_by(seals.c.tree_size, seals.c.id)
    ).all()
    return {text: (int(size), bytes(root)) for text, size, root in result}


class SqlSealTable:
    """Reads and appends one ledger's seals and their cosignatures."""

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
        with (
            translated(f"reading the seals of ledger {self._ledger_name!r}"),
            self._engine.connect() as conn,
        ):
            statement = (
                select(
                    seals.c.id,
                    seals.c.tree_size,
                    seals.c.root_hash,
                    seals.c.sealed_at,
                    seals.c.text,
                )
                .where(seals.c.ledger_id == self._ledger_id)
                .order_by(seals.c.id)
            )
            result = naming_damaged_text(conn, lambda: conn.execute(statement).all())
        # SQLite keeps whatever an UPDATE stores: each value is passed on as near to what is
        # stored as its field allows, for verify() to compare with the seal's text.
        for row_id, size, root, sealed_at, seal_text in result:
            yield SealRow(
                int(row_id),
                size if size.__class__ is int else None,
                stored_bytes(root),
                _text(sealed_at),
                _text(seal_text),
            )

    def append_cosignature(
        self, *, seal_id: int, signer: str, cosigned_at: str, verifier: str, signature: str
    ) -> CosignatureRow:
        """Store a cosignature of the seal with row id ``seal_id``.

        Raises:
            StoreError: the database failed, or this key already countersigned the seal.
        """
        with (
            translated(f"storing a cosignature of a seal of ledger {self._ledger_name!r}"),
            write_transaction(self._engine) as conn,
        ):
            row_id = conn.execute(
                insert(cosignatures)
                .values(
                    ledger_id=self._ledger_id,
                    seal_id=seal_id,
                    signer=signer,
                    cosigned_at=cosigned_at,
                    verifier=verifier,
                    signature=signature,
                )
                .returning(cosignatures.c.id)
            ).scalar_one()
        return CosignatureRow(int(row_id), seal_id, signer, cosigned_at, verifier, signature)

    def cosignature_rows(self) -> Iterator[CosignatureRow]:
        """Yield the ledger's cosignatures in the order they were stored.

        Raises:
            StoreError: the database failed.
        """
        c = cosignatures.c
        with (
            translated(f"reading the cosignatures of ledger {self._ledger_name!r}"),
            self._engine.connect() as conn,
        ):
            statement = (
                select(c.id, c.seal_id, c.signer, c.cosigned_at, c.verifier, c.signature)
                .where(c.ledger_id == self._ledger_id)
                .order_by(c.id)
            )
            result = naming_damaged_text(conn, lambda: conn.execute(statement).all())
        for row_id, seal_id, *columns in result:
            yield CosignatureRow(int(row_id), int(seal_id), *map(_text, columns))


def _text(value: object) -> str:
    """A stored text; anything else (bytes that are not UTF-8, a number) as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def create_seal_tables(conn: Connection) -> None:
    """Create the seal and cosignature tables and their triggers, each unless it exists
    (call under the schema lock)."""
    present = set(inspect(conn).get_table_names())
    for table in (seals, cosignatures):
        if table.name in present:
            continue
        table.create(conn)
        for statement in append_only_ddl(conn.dialect.name, table.name):
            conn.execute(text(statement))
