"""What every backend supplies to the layers above the store, behind one interface.

The audit layer reads raw rows and keeps seals, the projection runner keeps
projection positions, and the SQL pushdown runs queries in the database. Each
backend gives these parts itself (:class:`BackendParts`, which every
:class:`~civicledger.store.EventStore` implements), so no layer above the store
asks which backend it has. A set of ledgers uses the same seam: it asks each
ledger's store for its parts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import orjson

from civicledger.errors import ConcurrencyError, ProjectionError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from civicledger.store.rows import RowSource

__all__ = [
    "BackendParts",
    "CosignatureRow",
    "MemoryProjectionPositions",
    "MemorySealTable",
    "ProjectionPositions",
    "SealRow",
    "SealTable",
    "SqlTarget",
]


@attrs.frozen
class SealRow:
    """A stored seal: its row number, the columns kept for queries, and its text.

    ``tree_size`` is None when the stored column holds no integer (SQLite keeps what an
    UPDATE around the store puts there); verify() names that seal.
    """

    id: int
    tree_size: int | None
    root_hash: bytes
    sealed_at: str
    text: str


@attrs.frozen
class CosignatureRow:
    """A stored cosignature: its row id, the seal row it countersigns, and its columns."""

    id: int
    seal_id: int
    signer: str
    cosigned_at: str
    verifier: str
    signature: str


class SealTable(Protocol):
    """Where a ledger's seals and their cosignatures are kept, append-only, in the order
    they were made."""

    def append(self, *, tree_size: int, root_hash: bytes, sealed_at: str, text: str) -> SealRow:
        """Store a seal.

        Args:
            tree_size: the seal's tree size.
            root_hash: its root hash.
            sealed_at: when it was made (the codec's UTC timestamp text).
            text: the whole seal text.

        Raises:
            StoreError: the database failed.
        """
        ...

    def rows(self) -> Iterator[SealRow]:
        """Yield the ledger's seals in the order they were made."""
        ...

    def append_cosignature(
        self, *, seal_id: int, signer: str, cosigned_at: str, verifier: str, signature: str
    ) -> CosignatureRow:
        """Store a cosignature of the seal with row id ``seal_id``.

        Raises:
            StoreError: the database failed, or this key already countersigned the seal.
        """
        ...

    def cosignature_rows(self) -> Iterator[CosignatureRow]:
        """Yield the ledger's cosignatures in the order they were stored."""
        ...


class MemorySealTable:
    """The seals of an in-memory ledger, kept beside its events."""

    def __init__(self) -> None:
        """Start with no seals."""
        self._rows: list[SealRow] = []
        self._cosignatures: list[CosignatureRow] = []

    def append(self, *, tree_size: int, root_hash: bytes, sealed_at: str, text: str) -> SealRow:
        """Store a seal; see :class:`SealTable`."""
        row = SealRow(len(self._rows) + 1, tree_size, root_hash, sealed_at, text)
        self._rows.append(row)
        return row

    def rows(self) -> Iterator[SealRow]:
        """Yield the seals, oldest first; see :class:`SealTable`."""
        return iter(list(self._rows))

    def append_cosignature(
        self, *, seal_id: int, signer: str, cosigned_at: str, verifier: str, signature: str
    ) -> CosignatureRow:
        """Store a cosignature; see :class:`SealTable`."""
        row = CosignatureRow(
            len(self._cosignatures) + 1, seal_id, signer, cosigned_at, verifier, signature
        )
        self._cosignatures.append(row)
        return row

    def cosignature_rows(self) -> Iterator[CosignatureRow]:
        """Yield the cosignatures, oldest first; see :class:`SealTable`."""
        return iter(list(self._cosignatures))


class ProjectionPositions(Protocol):
    """Where projections keep how far they have folded. Saves are compare-and-set.

    Each projection has one row: the last ledger position folded into its state,
    and the state. :class:`MemoryProjectionPositions` keeps them in memory;
    :class:`civicledger.store.sql.positions.SqlProjectionPositions` in the
    ledger's database.
    """

    def load(self, name: str) -> tuple[int, Any] | None:
        """The stored (position, JSON-ready state), or None if the projection never ran."""
        ...

    def save(self, name: str, expected_position: int | None, position: int, state: Any) -> None:
        """Store state and position together, only moving forward.

        Args:
            name: the projection's name.
            expected_position: the position stored now (None: there must be none yet).
            position: the new position; must not be below ``expected_position``.
            state: the JSON-ready state.

        Raises:
            ConcurrencyError: the stored position is not ``expected_position``,
                or ``position`` would move it backwards.
        """
        ...

    def replace(self, name: str, position: int, state: Any) -> None:
        """Swap in a rebuilt state and position, whatever was stored (used by rebuild)."""
        ...

    def delete(self, name: str) -> None:
        """Forget a projection's position (the next run starts from scratch)."""
        ...


def encode_state(name: str, state: Any) -> bytes:
    """A projection state as canonical JSON bytes.

    Raises:
        ProjectionError: the state is not JSON-ready (the same error on every backend).
    """
    try:
        return orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
    except TypeError as e:
        raise ProjectionError(
            f"projection {name!r}: its state is not JSON-ready ({e}); "
            "give the projection dump() and load() methods"
        ) from e


def check_forward(name: str, expected: int | None, position: int) -> None:
    """Refuse a save that would move a projection's position backwards.

    Raises:
        ConcurrencyError: ``position`` is below ``expected``.
    """
    if position < (expected or 0):
        raise ConcurrencyError(
            f"projection position {name!r} would move backwards from {expected} to {position}"
        )


def position_conflict(name: str, expected: int | None, found: int | None) -> ConcurrencyError:
    """The error for a save whose expected position is not the stored one."""
    return ConcurrencyError(
        f"projection position {name!r} is at {found if found is not None else 'nothing'}, "
        f"not {expected if expected is not None else 'nothing'}: another runner moved it; "
        "load it again and continue from there"
    )


class MemoryProjectionPositions:
    """Projection positions in process memory; states are copied through JSON, so never shared."""

    def __init__(self) -> None:
        """Start with no positions."""
        self._rows: dict[str, tuple[int, bytes]] = {}

    def load(self, name: str) -> tuple[int, Any] | None:
        """The stored position and state; see :class:`ProjectionPositions`."""
        row = self._rows.get(name)
        if row is None:
            return None
        return row[0], orjson.loads(row[1])

    def save(self, name: str, expected_position: int | None, position: int, state: Any) -> None:
        """Compare-and-set; see :class:`ProjectionPositions`."""
        check_forward(name, expected_position, position)
        row = self._rows.get(name)
        found = row[0] if row is not None else None
        if found != expected_position:
            raise position_conflict(name, expected_position, found)
        self._rows[name] = (position, encode_state(name, state))

    def replace(self, name: str, position: int, state: Any) -> None:
        """Overwrite; see :class:`ProjectionPositions`."""
        self._rows[name] = (position, encode_state(name, state))

    def delete(self, name: str) -> None:
        """Forget; see :class:`ProjectionPositions`."""
        self._rows.pop(name, None)


@attrs.frozen
class SqlTarget:
    """A SQL ledger's database, for queries compiled above the store (the SQL pushdown).

    Attributes:
        engine: the store's SQLAlchemy engine.
        ledger_id: the ledger's row id in ``civicledger_ledgers``.
        ledger_name: its name, for error messages.
    """

    engine: Engine
    ledger_id: int
    ledger_name: str


class BackendParts(Protocol):
    """The parts a backend supplies; every :class:`~civicledger.store.EventStore` has them."""

    def position_of(self, event_id: uuid.UUID) -> int | None:
        """The position of the event with this id, or None when there is none."""
        ...

    def row_source(self) -> RowSource:
        """The stored rows, before any decoding, as verification reads them."""
        ...

    def seal_table(self) -> SealTable:
        """Where this ledger's seals are kept."""
        ...

    def projection_positions(self) -> ProjectionPositions:
        """Where projections over this ledger keep their positions."""
        ...

    def sql_target(self) -> SqlTarget | None:
        """The SQL database holding the ledger, or None for a backend without one."""
        ...
