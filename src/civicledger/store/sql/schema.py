"""The SQL store's tables, in one place: ledgers, events, Merkle tiles and schema metadata."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SCHEMA_VERSION = 4
"""Version of this table layout, kept in ``civicledger_meta``; a newer stored version is refused.

Version 2 added ``civicledger_ledgers.leaf_version`` and ``civicledger_events.commitments``
(leaf format v2). Version 3 added ``civicledger_cosignatures`` and creates the seals table
with the schema instead of on first use (both in seals.py). Version 4 added, on PostgreSQL
only, the generated ``civicledger_events.payload_json`` column (derived.py; not in this
metadata, which appends and reads use). An older database is upgraded when it is opened
(ledgers.py).
"""

SCHEMA_VERSION_KEY = "schema_version"
"""Key of the schema version row in ``civicledger_meta``."""

metadata = MetaData()

# SQLite stores every integer in up to 8 bytes; BIGINT only matters on PostgreSQL.
_BIG = BigInteger().with_variant(Integer(), "sqlite")


def stored_bytes(value: Any) -> bytes:
    """The bytes stored in a binary column, whatever type the database tagged them with.

    SQLite types values, not columns: an insider's ``UPDATE ... SET hash = 'text'``
    stores text in a BLOB column, and the driver returns a ``str``. Its UTF-8 bytes
    are what is stored, so they are read as the value; verification then names the
    hash that does not match instead of failing on the type.
    """
    if value.__class__ is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, int | float):
        return repr(value).encode("ascii")  # SQLite's numeric type tags, as text would be
    return bytes(value)  # PostgreSQL's bytea as a memoryview


class EventIdType(TypeDecorator[uuid.UUID]):
    """An event id: native ``uuid`` on PostgreSQL, 16 raw bytes elsewhere.

    Binary (not 36-character text) keeps the unique index small; UUIDv7 ids make
    its inserts land at the right edge.
    """

    impl = LargeBinary(16)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type for the dialect."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=True))
        return dialect.type_descriptor(LargeBinary(16))

    def process_bind_param(self, value: uuid.UUID | None, dialect: Dialect) -> Any:
        """Encode an id for the driver."""
        if value is None or dialect.name == "postgresql":
            return value
        return value.bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        """Decode an id from the driver."""
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=bytes(value))


meta = Table(
    "civicledger_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)
"""Facts about the database itself; today only the schema version."""

ledgers = Table(
    "civicledger_ledgers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("origin", String(255), nullable=False, unique=True),
    Column("hash_algorithm", String(16), nullable=False),
    Column("created_at", String(27), nullable=False),
    # The write lock of a ledger is this row (PostgreSQL: SELECT ... FOR UPDATE).
    Column("head", _BIG, nullable=False),
    Column("frontier", LargeBinary, nullable=False),
    # The leaf format (docs/hashing.md): 1 for ledgers made before v2, 2 for new ones.
    Column("leaf_version", SmallInteger, nullable=False, server_default="1"),
)
"""One row per ledger: its identity, head position and Merkle frontier."""

TYPE_INDEX = "ix_civicledger_events_type_day"
"""The index of events by (ledger, type, occurred_on, position), for SQL pushdown."""

events = Table(
    "civicledger_events",
    metadata,
    Column("ledger_id", Integer, ForeignKey(ledgers.c.id), nullable=False),
    Column("position", _BIG, nullable=False, autoincrement=False),
    Column("stream", String, nullable=False),
    Column("stream_version", _BIG, nullable=False),
    Column("event_id", EventIdType(), nullable=False),
    Column("type", String(200), nullable=False),
    Column("schema_version", Integer, nullable=False),
    # Dates and times as fixed-width text: exact, portable, and they sort correctly.
    Column("occurred_on", String(10), nullable=False),
    Column("recorded_at", String(27), nullable=False),
    Column("actor", String, nullable=False),
    # Canonical JSON (RFC 8785) text; payload and salt are NULL only after a redaction.
    Column("payload", Text, nullable=True),
    # v1: the payload's salt; v2: the event's secret. NULL once redacted.
    Column("salt", LargeBinary(16), nullable=True),
    # v2 only, set by a redaction: the remaining fields' salts and the erased fields' digests.
    Column("commitments", Text, nullable=True),
    Column("payload_digest", LargeBinary(64), nullable=False),
    Column("leaf_hash", LargeBinary(64), nullable=False),
    PrimaryKeyConstraint("ledger_id", "position", name="pk_civicledger_events"),
    UniqueConstraint("ledger_id", "event_id", name="uq_civicledger_events_event_id"),
    UniqueConstraint(
        "ledger_id", "stream", "stream_version", name="uq_civicledger_events_stream_version"
    ),
    # SQL pushdown of indicators (civicledger.pushdown) reads one type over a date range up
    # to a position; without this index each aggregate scans the whole ledger.
    Index(TYPE_INDEX, "ledger_id", "type", "occurred_on", "position"),
)
"""Every recorded event, append-only (triggers reject UPDATE and DELETE)."""

tiles = Table(
    "civicledger_tiles",
    metadata,
    Column("ledger_id", Integer, ForeignKey(ledgers.c.id), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("node_index", _BIG, nullable=False, autoincrement=False),
    Column("hash", LargeBinary(64), nullable=False),
    PrimaryKeyConstraint("ledger_id", "level", "node_index", name="pk_civicledger_tiles"),
)
"""Interior Merkle nodes at the stored levels (8 and 16), append-only like events."""

APPEND_ONLY_TABLES: tuple[str, ...] = (events.name, tiles.name)
"""Tables whose rows the database refuses to update or delete."""
