"""JSON Lines import and export: a ledger's events as one JSON object per line.

Each line is the RFC 8785 canonical JSON of one object with exactly these keys::

    {"actor": "...", "event_id": "<uuid>", "payload": {...}, "schema_version": 1,
     "stream": "org/ORG-01", "type": "organisation_registered"}

``payload`` is the event as the codec encodes it (its business date is
``payload.occurred_on``). Positions and ``recorded_at`` are not part of a line:
the importing ledger assigns its own. ``event_id`` may be omitted or null, in
which case the ledger makes one (and a re-import is then not idempotent).

Import is all or nothing and streams: lines are validated and appended in
batches inside one transaction, so memory stays flat in the file's size; one
bad line rolls the whole file back with a :class:`~civicledger.ValidationError`
that lists every bad line by number.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from civicledger.errors import ValidationError
from civicledger.events import Codec, RecordedEvent, canonical_bytes, default_codec
from civicledger.limits import DEFAULT_LIMITS, Limits, bounded_lines
from civicledger.store.base import EventStore, NewEvent
from civicledger.store.ids import uuid_from_int

LINE_KEYS = frozenset({"stream", "type", "schema_version", "event_id", "actor", "payload"})
"""The keys a line may have; ``event_id`` is the only optional one."""

_REQUIRED_KEYS = LINE_KEYS - {"event_id"}
_SHOWN_PROBLEMS = 20
_BOM = b"\xef\xbb\xbf"


def encode_line(
    *,
    stream: str,
    type_name: str,
    schema_version: int,
    event_id: uuid.UUID,
    actor: str,
    payload: dict[str, Any],
) -> bytes:
    """Encode one line (without its newline) as canonical JSON bytes.

    Args:
        stream: the stream the event belongs to.
        type_name: the stored event type name.
        schema_version: the schema version of ``payload``.
        event_id: the event's id.
        actor: who recorded the event.
        payload: the codec's encoding of the event.

    Returns:
        The canonical UTF-8 bytes of the line object.

    Raises:
        ValidationError: the payload cannot be encoded as canonical JSON.
    """
    return canonical_bytes(
        {
            "stream": stream,
            "type": type_name,
            "schema_version": schema_version,
            "event_id": str(event_id),
            "actor": actor,
            "payload": payload,
        }
    )


def read_jsonl(
    path: str | os.PathLike[str],
    codec: Codec | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> list[NewEvent]:
    """Read and validate every line of a JSON Lines file of events.

    Blank lines are skipped. Every other line must be a JSON object with the keys
    in :data:`LINE_KEYS` whose payload decodes to a valid event of a registered
    type; an ``event_id`` may appear only once in the file. The whole file is held
    in memory: :func:`import_jsonl` streams instead.

    Args:
        path: the file to read (UTF-8).
        codec: decodes payloads; the default codec (with the catalog) when None.
        limits: bounds the length of a line (``jsonl_max_line_bytes``).

    Returns:
        One entry per event line, in file order, ready for ``EventStore.append_batch``.

    Raises:
        ValidationError: one or more lines are bad; ``.problems`` holds one
            ValidationError per bad line, each with its ``line`` number (and the
            ``field`` and ``event_type`` when known), in file order.
        LimitError: a line is longer than the limit (it is not read whole).
        OSError: the file cannot be read.
    """
    entries: list[NewEvent] = []
    problems: list[ValidationError] = []
    first_seen: dict[uuid.UUID, int] = {}
    for number, entry in _valid_lines(path, _codec(codec), problems, limits):
        if entry.event_id is not None:
            earlier = first_seen.setdefault(entry.event_id, number)
            if earlier != number:
                problems.append(
                    ValidationError(
                        f"line {number}: event_id {entry.event_id} already appears on "
                        f"line {earlier}",
                        line=number,
                        field="event_id",
                        event_id=str(entry.event_id),
                    )
                )
                continue
        entries.append(entry)
    if problems:
        raise _file_error(path, problems)
    return entries


IMPORT_BATCH = 2000
"""Lines parsed and appended at a time by :func:`import_jsonl`: its memory, whatever the file."""


class _DryRunDone(Exception):
    """Raised at the end of a dry run so the import's transaction rolls back."""


def import_jsonl(
    store: EventStore,
    path: str | os.PathLike[str],
    codec: Codec | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    dry_run: bool = False,
) -> int:
    """Validate a JSON Lines file and append all its events in one transaction, streaming.

    The file is read once, :data:`IMPORT_BATCH` lines at a time: each batch is
    validated and appended inside one transaction (``EventStore.append_batches``),
    so memory stays flat however long the file is. A bad line stops the appending;
    the rest of the file is still read so that every bad line is reported, and the
    transaction is rolled back: nothing is appended unless every line is valid.
    Lines whose event id is already stored with the same content are retries and
    take no new position, so importing the same file twice appends its events once.

    Args:
        store: the event store to append to.
        path: the JSON Lines file.
        codec: decodes payloads; the default codec (with the catalog) when None.
        limits: bounds the length of a line (``jsonl_max_line_bytes``).
        dry_run: do everything (validation, and the checks against stored events on
            a SQL store) but roll back at the end.

    Returns:
        How many events were newly appended (with ``dry_run``: how many lines
        hold a valid event).

    Raises:
        ValidationError: one or more lines are bad (see :func:`read_jsonl`), or an
            event id appears twice in the file; nothing is appended.
        ConcurrencyError: not raised for lines from :func:`export_jsonl` (they
            expect any version); listed because the append may raise it.
        DuplicateEventError: an event id is already stored with other content;
            nothing is appended.
        LimitError: a line is longer than the limit; nothing is appended.
        StoreError: the database failed; nothing is appended.
        OSError: the file cannot be read.
    """
    problems: list[ValidationError] = []
    valid = 0

    def batches() -> Iterator[list[NewEvent]]:
        nonlocal valid
        batch: list[NewEvent] = []
        for _, entry in _valid_lines(path, _codec(codec), problems, limits):
            valid += 1
            if problems:
                continue  # keep reading to report every bad line; append no more
            batch.append(entry)
            if len(batch) >= IMPORT_BATCH:
                yield batch
                batch = []
        if problems:
            raise _file_error(path, problems)
        if batch:
            yield batch
        if dry_run:
            raise _DryRunDone

    try:
        appended = store.append_batches(batches())
    except _DryRunDone:
        return valid
    except ValidationError as e:
        if e.field == "event_id" and not e.problems and e.line is None:
            raise ValidationError(
                f"{path}: {e.message}", field=e.field, event_id=e.event_id
            ) from None
        raise
    return appended


def _valid_lines(
    path: str | os.PathLike[str],
    codec: Codec,
    problems: list[ValidationError],
    limits: Limits,
) -> Iterator[tuple[int, NewEvent]]:
    """Yield (line number, entry) for each event line; add each bad line to ``problems``."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(bounded_lines(handle, limits, where=str(path)), start=1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]  # written by some Windows editors; not data
            if not raw.strip():
                continue
            try:
                entry = _parse_line(raw, codec)
            except ValidationError as e:
                problems.append(_at_line(e, number))
                continue
            yield number, entry


def export_jsonl(
    store: EventStore, path: str | os.PathLike[str], codec: Codec | None = None
) -> int:
    """Write every event of a store, in position order, as a JSON Lines file.

    The file is what :func:`import_jsonl` reads; exporting, importing into an
    empty ledger and exporting again gives identical bytes. Payloads are written
    in their newest schema version (the store upcasts them on read). The file is
    written to a temporary name and renamed, so a failure leaves no partial file.

    Args:
        store: the event store to read.
        path: the file to write (replaced if it exists).
        codec: encodes payloads; the default codec (with the catalog) when None.

    Returns:
        How many events were written.

    Raises:
        StoreError: reading the store failed.
        ValidationError: an event was redacted (nothing is written).
        OSError: the file cannot be written.
    """
    codec = _codec(codec)
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    count = 0
    try:
        with open(partial, "wb") as handle:
            for line in _export_lines(store.read(), codec):
                handle.write(line)
                count += 1
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _export_lines(records: Iterable[RecordedEvent], codec: Codec) -> Iterator[bytes]:
    for record in records:
        payload = record.payload
        if not hasattr(type(payload), "__schema_version__"):
            # A redacted payload: a line re-records the event in full, which
            # what is left of it cannot be.
            raise ValidationError(
                f"event {record.event_id} at position {record.position} was redacted "
                f"({', '.join(record.redacted_fields)}), so it cannot be exported as JSON Lines "
                "for re-import; share the ledger with "
                "civicledger.corrections.privacy.export_shareable instead",
                event_id=str(record.event_id),
                event_type=record.type,
            )
        yield (
            encode_line(
                stream=record.stream,
                type_name=record.type,
                schema_version=type(payload).__schema_version__,
                event_id=record.event_id,
                actor=record.actor,
                payload=codec.to_dict(payload),
            )
            + b"\n"
        )


def _codec(codec: Codec | None) -> Codec:
    """The given codec, or the default one with the civic catalog registered in it."""
    if codec is not None:
        return codec
    # The catalog registers its types on import; a file of catalog events must
    # import without the caller having imported it first.
    import civicledger.catalog  # noqa: F401

    return default_codec()


def _parse_line(raw: bytes, codec: Codec) -> NewEvent:
    """Turn one line into an entry, or raise a ValidationError saying what is wrong."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"malformed JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ValidationError(f"expected a JSON object, got {_json_kind(obj)}")
    keys = obj.keys()
    if keys != LINE_KEYS and keys != _REQUIRED_KEYS:  # the usual lines skip the set arithmetic
        missing = sorted(_REQUIRED_KEYS - keys)
        if missing:
            raise ValidationError(f"missing key(s) {', '.join(missing)}", field=missing[0])
        extra = sorted(keys - LINE_KEYS)
        if extra:
            allowed = ", ".join(sorted(LINE_KEYS))
            raise ValidationError(
                f"unknown key(s) {', '.join(extra)}; a line has only {allowed}", field=extra[0]
            )
    type_name, stream, actor, version = (
        obj["type"],
        obj["stream"],
        obj["actor"],
        obj["schema_version"],
    )
    if not isinstance(type_name, str) or not type_name:
        raise ValidationError(f"type must be a non-empty string, got {type_name!r}", field="type")
    if not isinstance(stream, str) or not stream.strip():
        raise ValidationError(
            f"stream must be a non-empty string, got {stream!r}",
            field="stream",
            event_type=type_name,
        )
    if not isinstance(actor, str):
        raise ValidationError(f"actor must be a string, got {actor!r}", field="actor")
    if type(version) is not int:
        raise ValidationError(
            f"schema_version must be an integer, got {version!r}", field="schema_version"
        )
    event_id = _event_id(obj.get("event_id"))
    event = codec.from_dict(type_name, version, obj["payload"])
    return NewEvent(stream=stream, event=event, actor=actor, event_id=event_id)


def _event_id(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    if isinstance(value, str):
        digits = value.replace("-", "")
        if len(digits) == 32:
            # What uuid.UUID does with the usual form, without its argument dispatch
            # (half of its cost, on every line); anything int() refuses here (braces,
            # a URN prefix) takes the constructor below, which decides.
            try:
                return uuid_from_int(int(digits, 16))
            except ValueError:
                pass
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValidationError(
        f"event_id must be a UUID string or null, got {value!r}", field="event_id"
    )


def _at_line(error: ValidationError, number: int) -> ValidationError:
    """Re-issue a problem with its line number in the message and in ``.line``."""
    # Keep the subclass (UnknownEventTypeError) so callers can tell the kinds apart.
    return type(error)(
        f"line {number}: {error.message}",
        line=number,
        field=error.field,
        event_type=error.event_type,
        event_id=error.event_id,
    )


def _file_error(path: str | os.PathLike[str], problems: list[ValidationError]) -> ValidationError:
    shown = "\n".join(f"  {p.message}" for p in problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    if more > 0:
        shown += f"\n  ... and {more} more (see .problems)"
    return ValidationError(
        f"{os.fspath(path)}: {len(problems)} bad line(s); nothing was imported. "
        f"Fix them and import the whole file again:\n{shown}",
        problems=problems,
    )


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
