"""Opening a database: create or check the schema, then find or create the ledger's row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, insert, inspect, select, text

from civicledger.errors import (
    LedgerNotFoundError,
    SchemaMismatchError,
    StoreError,
    ValidationError,
)
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import hash_algorithm as lookup_hash
from civicledger.merkle.tree import Frontier
from civicledger.store.base import Clock
from civicledger.store.identity import (
    check_leaf_version,
    check_ledger_name,
    check_origin,
    make_origin,
)
from civicledger.store.sql import derived, dialect, guards, partitioning
from civicledger.store.sql.dialect import write_transaction
from civicledger.store.sql.engine import naming_damaged_text
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import (
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    ledgers,
    meta,
    metadata,
)
from civicledger.store.sql.seals import create_seal_tables


@attrs.frozen
class LedgerRow:
    """A ledger's immutable identity as stored in ``civicledger_ledgers``."""

    id: int
    name: str
    origin: str
    hash_algorithm: str
    created_at: str
    leaf_version: int
    replica: bool = False


def replica_key(ledger_id: int) -> str:
    """The ``civicledger_meta`` key that marks a ledger as a replica (written only by sync).

    A marker row rather than a column, so replicas need no schema change.
    """
    return f"replica/{ledger_id}"


def ensure_schema(engine: Engine) -> None:
    """Create civicledger's tables and triggers in a fresh database, or check an existing one.

    Raises:
        SchemaMismatchError: the database records another schema version.
        StoreError: the database is unreachable, corrupted, or holds only part of
            civicledger's tables.
    """
    # Readers must never wait for a writer: a complete schema is checked in a plain
    # (deferred, under WAL non-blocking) transaction, and the write lock is taken only
    # when something has to be created.
    with translated("checking the civicledger tables"), engine.connect() as conn, conn.begin():
        if _schema_ready(conn):
            return
    with translated("preparing the civicledger tables"), write_transaction(engine) as conn:
        prepare_schema(conn)


def prepare_schema(conn: Connection, *, partitions: int | None = None) -> None:
    """:func:`ensure_schema` inside the caller's write transaction (it takes the schema lock).

    On PostgreSQL it also installs (or upgrades) the guard functions of :mod:`.guards`.

    Args:
        conn: the schema transaction's connection.
        partitions: PostgreSQL: create a new database's events and tiles tables
            partitioned by ledger into this many hash partitions (see
            :mod:`.partitioning`); an existing database must already be partitioned.

    Raises:
        SchemaMismatchError: the database records another schema version.
        StoreError: the database holds only part of civicledger's tables, or its
            schema or guard functions are outdated and the role cannot upgrade them.
        ValidationError: ``partitions`` asked of an existing unpartitioned database.
    """
    dialect.lock_schema(conn)
    postgres = conn.dialect.name == "postgresql"
    present = set(inspect(conn).get_table_names())
    ours = {table.name for table in metadata.sorted_tables}
    if meta.name not in present:
        if present & ours:
            raise StoreError(
                f"the database has civicledger tables ({', '.join(sorted(present & ours))}) "
                f"but no {meta.name} table; it was not made by civicledger or is damaged"
            )
        if partitions is None:
            metadata.create_all(conn)
        else:
            plain = [t for t in metadata.sorted_tables if t not in partitioning.PARTITIONED_TABLES]
            metadata.create_all(conn, tables=plain)
            partitioning.create_partitioned_tables(conn, partitions)
        for statement in dialect.append_only_ddl(conn.dialect.name):
            conn.execute(text(statement))
        partitioning.guard_partitions(conn)
        if postgres:
            conn.execute(text(derived.ADD_COLUMN))
        conn.execute(insert(meta).values(key=SCHEMA_VERSION_KEY, value=str(SCHEMA_VERSION)))
        create_seal_tables(conn)
        if postgres:
            guards.install_guards(conn)
        return
    if partitions is not None and not partitioning.is_partitioned(conn):
        raise ValidationError(
            "the database already holds civicledger tables that are not partitioned; "
            "partitioning by ledger is chosen when a database is created (copy the ledgers "
            "into a new partitioned database, see docs/storage.md)",
            field="partitions",
        )
    version = _check_version(conn)
    missing = ours - present
    if missing:
        raise StoreError(
            f"the civicledger schema is incomplete: table(s) {', '.join(sorted(missing))} "
            "are missing; restore the database from a backup"
        )
    if version < SCHEMA_VERSION:
        if postgres:
            guards.require_owner(conn, f"the database has schema version {version}")
        _upgrade(conn, version)
    elif not dialect.has_redaction_trigger(conn):
        # Made before redaction existed: swap its blanket UPDATE ban for the redaction rule.
        for statement in dialect.append_only_ddl(conn.dialect.name):
            conn.execute(text(statement))
    if postgres:
        guards.ensure_guards(conn)


def _schema_ready(conn: Connection) -> bool:
    """Whether every table, the current schema version and the redaction trigger are in place.

    Raises:
        SchemaMismatchError: the database records a schema version this one cannot open.
    """
    present = set(inspect(conn).get_table_names())
    if not {table.name for table in metadata.sorted_tables} <= present:
        return False
    if conn.dialect.name == "postgresql" and not guards.guards_current(conn):
        return False  # the write path installs them, or tells the app role to ask the owner
    return _check_version(conn) == SCHEMA_VERSION and dialect.has_redaction_trigger(conn)


def _upgrade(conn: Connection, version: int) -> None:
    """Upgrade an older database in place (inside the schema transaction).

    From version 1: its ledgers keep leaf format v1 (the new column's default);
    events get the empty ``commitments`` column; the triggers are replaced by the
    stricter ones. From version 2: the seal and cosignature tables are created
    (each unless it exists: a version 2 database made its seals table on first use).
    From version 3, on PostgreSQL: the generated ``payload_json`` column is added, which
    rewrites the events table once (every payload parsed) under an exclusive lock.
    """
    if version < 2:
        for statement in dialect.leaf_v2_upgrade_ddl(conn.dialect.name):
            conn.execute(text(statement))
        for statement in dialect.append_only_ddl(conn.dialect.name):
            conn.execute(text(statement))
    create_seal_tables(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text(derived.ADD_COLUMN))
    conn.execute(
        meta.update().where(meta.c.key == SCHEMA_VERSION_KEY).values(value=str(SCHEMA_VERSION))
    )


def _check_version(conn: Connection) -> int:
    stored = conn.execute(
        select(meta.c.value).where(meta.c.key == SCHEMA_VERSION_KEY)
    ).scalar_one_or_none()
    try:
        version = int(stored) if stored is not None else None
    except ValueError:
        version = None
    if version is None:
        raise StoreError(
            f"the database's {meta.name} table has no valid {SCHEMA_VERSION_KEY} "
            f"(found {stored!r}); it is damaged or was not made by civicledger"
        )
    if version > SCHEMA_VERSION:
        raise SchemaMismatchError(
            f"the database was written by a newer civicledger (schema version {version}; this "
            f"one understands {SCHEMA_VERSION}); upgrade civicledger to open it"
        )
    if version < 1:
        raise SchemaMismatchError(
            f"the database has schema version {version}, which no civicledger release wrote"
        )
    return version


def ledger_names(engine: Engine, prefix: str = "") -> list[str]:
    """The names of the database's ledgers that start with ``prefix``, sorted.

    The prefix is compared exactly (case-sensitive; ``%`` and ``_`` are plain text).

    Raises:
        StoreError: the database failed.
    """
    with translated("listing ledgers"), engine.connect() as conn:
        names = _names(conn)
    # A name an UPDATE around the store made bytes or a number names no ledger one can open.
    return [name for name in names if name.__class__ is str and name.startswith(prefix)]


def _names(conn: Connection) -> Sequence[Any]:
    """Every stored ledger name, sorted (one that is not UTF-8 text as its bytes)."""
    return naming_damaged_text(
        conn, lambda: conn.execute(select(ledgers.c.name).order_by(ledgers.c.name)).scalars().all()
    )


def ensure_ledger(
    engine: Engine,
    name: str,
    *,
    origin: str | None,
    hash_algorithm: str | None,
    clock: Clock,
    create: bool = True,
    leaf_version: int = 2,
    replica: bool = False,
) -> LedgerRow:
    """Find the ledger called ``name``, or create it with its origin and hash algorithm.

    With ``replica=True`` a new ledger is created as a replica (in the same
    transaction), and an existing one must be a replica with the same leaf format.

    Raises:
        ValidationError: the name, origin or algorithm is malformed, an existing
            ledger has another origin or algorithm, or the origin is taken.
        LedgerNotFoundError: there is no such ledger and ``create`` is False.
        StoreError: the database failed, or the ledger's row holds a value no ledger has
            (an origin that is not text, an unknown hash algorithm or leaf format).
    """
    check_ledger_name(name)
    if origin is not None:
        check_origin(origin)
    if hash_algorithm is not None:
        lookup_hash(hash_algorithm)
    with translated(f"opening ledger {name!r}"), engine.connect() as conn, conn.begin():
        row = naming_damaged_text(
            conn, lambda: conn.execute(select(ledgers).where(ledgers.c.name == name)).one_or_none()
        )
        if row is None and not create:
            names = _names(conn)
            listed = ", ".join(n if n.__class__ is str else repr(n) for n in names)
            raise LedgerNotFoundError(
                f"no ledger named {name!r} in this database (it has: "
                f"{listed or 'none'}); create it with `civicledger init` or "
                "Ledger.open(..., create=True)"
            )
        marked = row is not None and _is_replica(conn, row.id)
    if row is not None:
        stored = _ledger_row(row, marked)
    else:  # only creating a ledger takes the write lock; readers never wait for a writer
        with translated(f"creating ledger {name!r}"), write_transaction(engine) as conn:
            dialect.lock_schema(conn)
            row = conn.execute(select(ledgers).where(ledgers.c.name == name)).one_or_none()
            if row is not None:  # another process created it meanwhile
                stored = _ledger_row(row, _is_replica(conn, row.id))
            else:
                stored = _create(
                    conn, name, origin, hash_algorithm or "sha256", clock, leaf_version
                )
                if replica:  # marked in the transaction that creates it
                    conn.execute(insert(meta).values(key=replica_key(stored.id), value="1"))
                    stored = attrs.evolve(stored, replica=True)
    if replica and not stored.replica:
        raise ValidationError(
            f"ledger {name!r} exists and records its own events; sync delivers only into a "
            "ledger it created (push under another name)",
            field="ledger",
        )
    if replica and stored.leaf_version != leaf_version:
        raise ValidationError(
            f"ledger {name!r} has leaf format v{stored.leaf_version}, the sender v{leaf_version}",
            field="leaf_version",
        )
    if origin is not None and origin != stored.origin:
        raise ValidationError(
            f"ledger {name!r} already has origin {stored.origin!r}; an origin never changes "
            f"(asked for {origin!r})",
            field="origin",
        )
    if hash_algorithm is not None and hash_algorithm != stored.hash_algorithm:
        raise ValidationError(
            f"ledger {name!r} uses hash algorithm {stored.hash_algorithm!r}, chosen at its "
            f"creation (asked for {hash_algorithm!r})",
            field="hash_algorithm",
        )
    return stored


_TEXT_COLUMNS = (
    ("origin", "origin"),
    ("hash_algorithm", "hash algorithm"),
    ("created_at", "creation time"),
)
"""The ledger row's text columns besides its name, as errors name them."""


def _ledger_row(row: Any, replica: bool) -> LedgerRow:
    """The stored identity, each column checked: a ledger row an UPDATE around the store
    left holding another kind of value cannot be opened, and the error names the column."""
    for column, label in _TEXT_COLUMNS:
        if getattr(row, column).__class__ is not str:
            raise _damaged(row.name, f"the stored {label} {getattr(row, column)!r} is not text")
    try:
        lookup_hash(row.hash_algorithm)
    except ValidationError as e:
        raise _damaged(
            row.name, f"the stored hash algorithm is not one this release knows ({e.message})"
        ) from e
    try:
        check_leaf_version(row.leaf_version)
    except ValidationError as e:
        raise _damaged(
            row.name,
            f"the stored leaf format {row.leaf_version!r} is not one this release reads "
            f"({e.message})",
        ) from e
    return LedgerRow(
        id=row.id,
        name=row.name,
        origin=row.origin,
        hash_algorithm=row.hash_algorithm,
        created_at=row.created_at,
        leaf_version=row.leaf_version,
        replica=replica,
    )


def _damaged(name: str, what: str) -> StoreError:
    return StoreError(f"ledger {name!r}: {what}; the database is corrupted")


def _is_replica(conn: Connection, ledger_id: int) -> bool:
    marker = conn.execute(
        select(meta.c.value).where(meta.c.key == replica_key(ledger_id))
    ).scalar_one_or_none()
    return marker is not None


def _create(
    conn: Connection,
    name: str,
    origin: str | None,
    hash_name: str,
    clock: Clock,
    leaf_version: int,
) -> LedgerRow:
    origin = origin or make_origin(name)
    holder = conn.execute(
        select(ledgers.c.name).where(ledgers.c.origin == origin)
    ).scalar_one_or_none()
    if holder is not None:
        raise ValidationError(
            f"origin {origin!r} is already used by ledger {holder!r}; origins are unique",
            field="origin",
        )
    created_at = format_timestamp(clock())
    result = conn.execute(
        insert(ledgers).values(
            name=name,
            origin=origin,
            hash_algorithm=hash_name,
            created_at=created_at,
            head=0,
            frontier=Frontier.empty(lookup_hash(hash_name)).to_bytes(),
            leaf_version=leaf_version,
        )
    )
    (ledger_id,) = result.inserted_primary_key or (None,)
    if ledger_id is None:  # pragma: no cover - both supported dialects return the key
        raise StoreError(f"the database did not return an id for new ledger {name!r}")
    return LedgerRow(
        id=int(ledger_id),
        name=name,
        origin=origin,
        hash_algorithm=hash_name,
        created_at=created_at,
        leaf_version=leaf_version,
    )
