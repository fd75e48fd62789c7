"""verify()'s native run of intact rows against the pure-Python row checks.

``IntactRows.run`` hands a batch of rows, as the row source returned them, to
``civicledger.merkle._native.intact_leaves_sha256``, which checks rows until the
first one it does not accept, and the walk folds their leaves in one call
(``Frontier.extend_packed``). Here random rows, some damaged in one of many ways,
are checked both ways: the run accepts exactly the leading rows that the
pure-Python ``IntactRows.leaf`` accepts, with the same leaves, and a whole walk
over them (gaps, duplicates, seals due, batches of any size) finds the same
problems, markers, tiles and subtree hashes with the run as without it. Without
the module these tests skip, except in CI (``CIVICLEDGER_REQUIRE_NATIVE=1``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger.audit.intact import IntactRows
from civicledger.audit.payloads import RedactionIndex
from civicledger.audit.walk import walk_range
from civicledger.events.canonical import canonical_bytes
from civicledger.events.redaction import REDACTED_KEY, REDACTED_PREFIX
from civicledger.merkle import hash_algorithm, native
from civicledger.merkle.disclosure import digest_of_payload_text
from civicledger.merkle.leaf import envelope_bytes
from civicledger.merkle.tree import Frontier
from civicledger.store.rows import RowBatch, StoredPayload, StoredRow, batched

ALG = hash_algorithm("sha256")
RUN = native.intact_leaves_sha256
ORIGIN = "run.example/ledger"

pytestmark = pytest.mark.skipif(
    RUN is None and os.environ.get("CIVICLEDGER_REQUIRE_NATIVE") != "1",
    reason="the native hashing module is not built: it needs gcc and OpenSSL's headers "
    "(Debian: libssl-dev) at `pip install -e .`",
)


@contextmanager
def pure_python() -> Iterator[None]:
    """Every native function off, for the reference."""
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "payload_digest_sha256",
            "envelope_leaf_sha256",
            "fold_sha256",
            "intact_leaves_sha256",
        ):
            patch.setattr(native, name, None)
        yield


def test_the_native_run_is_loaded() -> None:
    """CI builds the module: a missing run there is a failure, not a skip."""
    assert RUN is not None


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
payloads = st.dictionaries(
    st.text(alphabet="abcxyz_", min_size=1, max_size=4),
    st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), text),
    max_size=4,
)

DAMAGE = (
    "payload",  # a value changed: the digest no longer matches
    "not canonical",  # the same values with white space: the native digest declines
    "not utf-8",
    "digest",
    "leaf",
    "actor",  # an envelope member changed: the leaf no longer matches
    "date text",  # another spelling of the same date
    "timestamp text",
    "salt removed",  # redacted without its mark
    "redacted mark",  # with a digest and leaf that match it
    "commitments",
    "named by a redaction",  # an intact row that a redaction names
    "short salt",
    "long salt",
)

ODD_VALUES = ("short id", "id as text", "position as text")
"""Values a row check never sees (the row source makes StoredRows of them, or fails),
but the run may be handed."""


def _stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@st.composite
def stored_rows(
    draw: st.DrawFn, version: int, first: int, count: int, damage: tuple[str, ...] = DAMAGE
) -> list[StoredRow]:
    """``count`` rows at positions ``first`` on, each intact or damaged one of these ways."""
    rows = []
    for position in range(first, first + count):
        how = draw(st.sampled_from(damage)) if draw(st.integers(0, 2)) == 0 else None
        payload = canonical_bytes(
            {REDACTED_KEY: ["a"]} if how == "redacted mark" else draw(payloads)
        )
        salt = draw(st.binary(min_size=16, max_size=16))
        digest = digest_of_payload_text(ALG, salt, payload) if version == 2 else ALG(salt + payload)
        occurred = draw(st.dates(min_value=date(1, 1, 1)))
        recorded = draw(st.datetimes(timezones=st.just(UTC)))
        members: dict[str, Any] = {
            "position": position,
            "stream": draw(text.filter(bool)),
            "stream_version": draw(st.integers(1, 2**53 - 1)),
            "event_id": NAMED if how == "named by a redaction" else draw(st.uuids()),
            "type": draw(text.filter(bool)),
            "schema_version": draw(st.integers(1, 9)),
            "actor": draw(text),
            "payload_digest": digest,
        }
        leaf = ALG.leaf(
            envelope_bytes(
                origin=ORIGIN,
                occurred_on=occurred,
                recorded_at=recorded,
                hash_name="sha256",
                version=version,
                **members,
            )
        )
        row = StoredRow(
            **members,
            occurred_on=occurred.isoformat(),
            recorded_at=_stamp(recorded),
            payload=payload,
            salt=salt,
            leaf_hash=leaf,
        )
        rows.append(row if how is None else _damaged(row, how))
    return rows


def _damaged(row: StoredRow, how: str) -> StoredRow:
    payload = row.payload or b"{}"
    changes: dict[str, Any] = {
        "payload": {"payload": payload[:-1] + b',"zz":1}' if payload != b"{}" else b'{"zz":1}'},
        "not canonical": {"payload": b" " + payload},
        "not utf-8": {"payload": b'{"a":"\xff"}'},
        "digest": {"payload_digest": bytes(32)},
        "leaf": {"leaf_hash": bytes(32)},
        "actor": {"actor": row.actor + "x"},
        "date text": {"occurred_on": row.occurred_on.replace("-", "/")},  # type: ignore[union-attr]
        "timestamp text": {"recorded_at": str(row.recorded_at).replace("Z", "+00:00")},
        "salt removed": {"salt": None},
        "redacted mark": {},  # made so
        "commitments": {"commitments": b"{}"},
        "named by a redaction": {},  # made so
        "short salt": {"salt": b"s"},
        "long salt": {"salt": bytes(65)},
        "short id": {"event_id": b"\x01" * 15},
        "id as text": {"event_id": str(row.event_id)},
        "position as text": {"position": str(row.position)},
    }[how]
    return row._replace(**changes)


NAMED = uuid.UUID("0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f")


def _index() -> RedactionIndex:
    """Redactions naming NAMED, recorded far after every row."""
    payload = orjson.dumps({"target_event_id": str(NAMED), "fields": ["a"]})
    return RedactionIndex([StoredPayload(2**52, payload)])


def _as_stored(raw: tuple[Any, ...]) -> StoredRow | None:
    """The StoredRow a row source would make of a raw tuple (None: it could not)."""
    row = StoredRow(*raw)
    event_id = row.event_id
    if isinstance(event_id, bytes):
        if len(event_id) != 16:
            return None
        event_id = uuid.UUID(bytes=event_id)
    payload = row.payload.encode() if isinstance(row.payload, str) else row.payload
    return row._replace(event_id=event_id, payload=payload)


def _raw(row: StoredRow, id_bytes: bool, payload_text: bool) -> tuple[Any, ...]:
    """A row as a backend returns it: SQLite's ids as bytes, PostgreSQL's payloads as str."""
    event_id: Any = row.event_id
    if id_bytes and isinstance(event_id, uuid.UUID):
        event_id = event_id.bytes
    payload: Any = row.payload
    if payload_text and isinstance(payload, bytes):
        with suppress(UnicodeDecodeError):
            payload = payload.decode()
    return tuple(row._replace(event_id=event_id, payload=payload))


@settings(max_examples=300)
@given(
    version=st.sampled_from([1, 2]),
    first=st.integers(1, 2**40),
    data=st.data(),
    id_bytes=st.booleans(),
    payload_text=st.booleans(),
)
def test_the_run_accepts_what_the_row_check_accepts(
    version: int, first: int, data: st.DataObject, id_bytes: bool, payload_text: bool
) -> None:
    """The run's leaves are those of the leading rows IntactRows.leaf accepts in Python, at
    consecutive positions up to ``last``; it may end early only at a row that is not in
    the one form the native digest and leaf take (then the row check decides)."""
    rows = [
        _raw(r, id_bytes, payload_text)
        for r in data.draw(
            stored_rows(version, first, data.draw(st.integers(0, 8)), DAMAGE + ODD_VALUES)
        )
    ]
    start = data.draw(st.integers(0, len(rows)))
    last = data.draw(st.integers(first - 1, first + len(rows) + 1))
    index = _index()
    accepted: list[tuple[StoredRow, bytes]] = []
    with pure_python():
        reference = IntactRows(ORIGIN, ALG, version, index)
        position = first + start
        for raw in rows[start:]:
            row = _as_stored(raw)
            if position > last or row is None or row.position != position:
                break
            if row.event_id == NAMED:  # the run leaves these to the row check and its caller
                break
            leaf = reference.leaf(row)
            if leaf is None:
                break
            accepted.append((row, leaf))
            position += 1
    leaves = IntactRows(ORIGIN, ALG, version, index).run(rows, start, first + start, last)
    count = len(leaves) // 32
    assert leaves == b"".join(leaf for _, leaf in accepted[:count])
    if count < len(accepted):
        assert _outside_native_forms(accepted[count][0], version)


def _outside_native_forms(row: StoredRow, version: int) -> bool:
    """Whether the native digest or leaf declines a row (text not canonical, a date or
    timestamp in another spelling)."""
    digest, leaf = native.payload_digest_sha256, native.envelope_leaf_sha256
    assert digest is not None
    assert leaf is not None
    assert row.payload is not None
    if version == 2 and digest(row.salt or b"", row.payload) is None:
        return True
    members = (row.actor, row.event_id, "sha256", row.occurred_on, ORIGIN, row.payload_digest)
    rest = (row.position, row.recorded_at, row.schema_version, row.stream, row.stream_version)
    return leaf(*members, *rest, row.type, version) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "arguments",
    [
        ((), 0, 1, 9, ORIGIN, 2, REDACTED_PREFIX, None),  # rows not a list
        ([], -1, 1, 9, ORIGIN, 2, REDACTED_PREFIX, None),  # a negative start
        ([], 1, 1, 9, ORIGIN, 2, REDACTED_PREFIX, None),  # a start past the rows
        ([], 0, 0, 9, ORIGIN, 2, REDACTED_PREFIX, None),  # position 0
        ([], 0, 1, 9, "", 2, REDACTED_PREFIX, None),  # no origin
        ([], 0, 1, 9, ORIGIN, 3, REDACTED_PREFIX, None),  # an unknown leaf format
        ([], 0, 1, 9, ORIGIN, 2, b"", None),  # no redaction mark
        ([], 0, 1, 9, ORIGIN, 2, REDACTED_PREFIX, ["id"]),  # targets not a set
        ([], 0, 2**64, 9, ORIGIN, 2, REDACTED_PREFIX, None),  # beyond 64 bits
    ],
)
def test_the_run_declines_arguments_it_does_not_handle(arguments: tuple[Any, ...]) -> None:
    """None, which the caller reads as an empty run."""
    assert RUN is not None
    assert RUN(*arguments) is None


def test_a_row_that_is_not_a_row_ends_the_run() -> None:
    """A tuple of another length, or anything else, is left to the row check."""
    assert RUN is not None
    for row in [(1,) * 13, [1] * 14, None]:
        assert RUN([row], 0, 1, 9, ORIGIN, 2, REDACTED_PREFIX, None) == b""


@settings(max_examples=150, deadline=None)
@given(
    version=st.sampled_from([1, 2]),
    blocks=st.integers(0, 3),
    data=st.data(),
)
def test_a_walk_with_the_run_is_the_walk_without(
    version: int, blocks: int, data: st.DataObject
) -> None:
    """Problems, markers, level-8 hashes and subtree hashes agree, whatever the damage,
    gaps, duplicates, seals due and batch sizes."""
    first = 256 * blocks + 1
    count = data.draw(st.integers(0, 600))
    rows = (
        data.draw(stored_rows(version, first, count))
        if count <= 40
        else _intact(version, first, count)
    )
    for _ in range(data.draw(st.integers(0, 3))):  # drop, repeat or swap rows
        if not rows:
            break
        at = data.draw(st.integers(0, len(rows) - 1))
        how = data.draw(st.sampled_from(["drop", "repeat", "swap"]))
        if how == "drop":
            del rows[at]
        elif how == "repeat":
            rows.insert(at, rows[at])
        elif at + 1 < len(rows):
            rows[at], rows[at + 1] = rows[at + 1], rows[at]
    last = first + count - 1 + data.draw(st.integers(0, 2))
    seals = sorted(data.draw(st.sets(st.integers(first - 1, last), max_size=3)))
    size = data.draw(st.integers(1, 700))
    id_bytes = data.draw(st.booleans())
    defer_redacted = data.draw(st.booleans())

    def walk() -> Any:
        return walk_range(
            _raw_batches(rows, size, id_bytes),
            first=first,
            last=last,
            origin=ORIGIN,
            alg=ALG,
            leaf_version=version,
            index=_index(),
            reader=None,
            seal_sizes=seals,
            max_problems=50,
            defer_redacted=defer_redacted,
        )

    with pure_python():
        expected = walk()
    assert walk() == expected


def _raw_batches(rows: list[StoredRow], size: int, id_bytes: bool) -> Iterator[RowBatch]:
    for batch in batched(rows, size):
        yield RowBatch([_raw(r, id_bytes, False) for r in batch.rows], _stored)


def _stored(raw: tuple[Any, ...]) -> StoredRow:
    row = _as_stored(raw)
    assert row is not None
    return row


_INTACT: dict[tuple[int, int, int], list[StoredRow]] = {}


def _intact(version: int, first: int, count: int) -> list[StoredRow]:
    """Many intact rows (enough to complete level-8 nodes), built once per shape."""
    key = (version, first, count)
    if key not in _INTACT:
        rows = []
        for position in range(first, first + count):
            payload = canonical_bytes({"n": position})
            salt = position.to_bytes(16, "big")
            digest = (
                digest_of_payload_text(ALG, salt, payload) if version == 2 else ALG(salt + payload)
            )
            members: dict[str, Any] = {
                "position": position,
                "stream": "s",
                "stream_version": position,
                "event_id": uuid.UUID(int=position),
                "type": "t",
                "schema_version": 1,
                "actor": "a",
                "payload_digest": digest,
            }
            leaf = ALG.leaf(
                envelope_bytes(
                    origin=ORIGIN,
                    occurred_on=date(2023, 1, 1),
                    recorded_at=datetime(2023, 1, 1, tzinfo=UTC),
                    hash_name="sha256",
                    version=version,
                    **members,
                )
            )
            rows.append(
                StoredRow(
                    **members,
                    occurred_on="2023-01-01",
                    recorded_at="2023-01-01T00:00:00.000000Z",
                    payload=payload,
                    salt=salt,
                    leaf_hash=leaf,
                )
            )
        _INTACT[key] = rows
    return list(_INTACT[key])


@given(
    size=st.integers(0, 2**40),
    leaves=st.lists(st.binary(min_size=32, max_size=32), max_size=600),
)
def test_packed_leaves_fold_as_one_by_one(size: int, leaves: list[bytes]) -> None:
    """Frontier.extend_packed completes the nodes, and ends at the hashes, of appending
    each leaf in turn, native or not."""
    hashes = [bytes([i]) * 32 for i in range(size.bit_count())]
    one_by_one = Frontier(ALG, size, hashes)
    expected = [node for leaf in leaves for node in one_by_one.append(leaf)]
    packed = Frontier(ALG, size, hashes)
    assert packed.extend_packed(b"".join(leaves)) == expected
    assert (packed.size, packed.hashes) == (one_by_one.size, one_by_one.hashes)
    with pure_python():
        python = Frontier(ALG, size, hashes)
        assert python.extend_packed(b"".join(leaves)) == expected
    assert python.hashes == one_by_one.hashes
