"""The Python peer: the ``eventsourcing`` library (9.5) doing the same work with its own API.

One aggregate per stream; one domain event class per event type, generated
from our event classes with the same field names, so the peer stores and
decodes the same payloads. Appends go through ``Application.save`` (its mapper,
JSON transcoder and SQLite application recorder); reads go through its
notification log (``select_notifications``) and ``mapper.to_domain_event``, the
path its projections use. This module is the only place that imports
``eventsourcing``; it is in the ``bench`` extra, never a runtime dependency.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import eventsourcing
import eventsourcing.sqlite as es_sqlite
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoding

from civicledger.events import Event, to_dict

VERSION = getattr(eventsourcing, "__version__", None)


class DateAsISO(Transcoding):
    """Dates as ISO text (eventsourcing ships datetime, UUID and Decimal transcodings only)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Encode a date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Decode a date."""
        return date.fromisoformat(data)


class CivicStream(Aggregate):
    """One of our streams as an eventsourcing aggregate."""

    def __init__(self, name: str) -> None:
        self.name = name


_EVENT_CLASSES: dict[type[Event], type[Any]] = {}

PeerItem = tuple[str, type[Any], dict[str, Any]]
"""One pre-built peer input: stream, domain event class, field values."""


def _class_name(cls: type[Event]) -> str:
    # A topic is "module:qualname" and a dot in a qualname means nesting, so dots go.
    return "Peer_" + cls.__event_type__.replace(".", "__")


def _peer_class(cls: type[Event]) -> type[Any]:
    """The peer's domain event class for one of our event types (made once, importable by topic)."""
    made = _EVENT_CLASSES.get(cls)
    if made is None:
        name = _class_name(cls)
        annotations = {f.name: Any for f in attrs.fields(cls)}
        made = type(
            name,
            (CivicStream.Event,),
            {"__annotations__": annotations, "__module__": __name__, "__qualname__": name},
        )
        setattr(sys.modules[__name__], name, made)
        _EVENT_CLASSES[cls] = made
    return made


def __getattr__(name: str) -> Any:
    """Make a peer event class on first lookup, so a database written by another process
    decodes here (eventsourcing resolves each stored topic to ``benchmarks.peer:<name>``)."""
    if name.startswith("Peer_"):
        import civicledger.catalog  # noqa: F401 - registers the catalog's event types
        from civicledger.events import default_registry

        for cls in default_registry().classes.values():
            if _class_name(cls) == name:
                return _peer_class(cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def peer_fields(event: Event) -> dict[str, Any]:
    """The event's fields as the peer stores them: our encoded values, dates as dates."""
    data = to_dict(event)
    data["occurred_on"] = event.occurred_on
    return data


class CivicApp(Application[uuid.UUID]):
    """The peer application over SQLite."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add dates to eventsourcing's default transcodings."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def _postgres_env(url: str) -> dict[str, str]:
    """eventsourcing's settings for the server and database of an SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.database or "postgres",
        "POSTGRES_HOST": parsed.host or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_PASSWORD": parsed.password or "",
    }


@contextlib.contextmanager
def _synchronous(level: str) -> Iterator[None]:
    """Make every SQLite connection the peer opens use ``PRAGMA synchronous = level``.

    eventsourcing sets WAL but leaves ``synchronous`` at SQLite's default (FULL);
    this wraps its connection factory for the NORMAL runs.
    """
    original = es_sqlite.SQLiteConnectionPool._create_connection

    def create(self: es_sqlite.SQLiteConnectionPool) -> es_sqlite.SQLiteConnection:
        connection = original(self)
        connection._sqlite_conn.execute(f"PRAGMA synchronous = {level}")
        return connection

    es_sqlite.SQLiteConnectionPool._create_connection = create  # type: ignore[method-assign]
    try:
        yield
    finally:
        es_sqlite.SQLiteConnectionPool._create_connection = original  # type: ignore[method-assign]


class PeerLedger:
    """An eventsourcing application on a SQLite file or a PostgreSQL database, fed our workload."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        synchronous: str = "FULL",
        postgres_url: str | None = None,
    ) -> None:
        """Open the peer on a SQLite file, or on PostgreSQL when ``postgres_url`` is given."""
        if postgres_url is not None:
            self.app = CivicApp(env=_postgres_env(postgres_url))
        else:
            with _synchronous(synchronous):
                self.app = CivicApp(
                    env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
                )
                # Open the pool's connection now, under the requested setting.
                self.app.recorder.max_notification_id()
        self._aggregates: dict[str, CivicStream] = {}

    def prepare(self, events: Sequence[tuple[str, Event]]) -> list[PeerItem]:
        """Pre-build the peer's inputs (outside timing), as the floor's rows are pre-built."""
        return [(stream, _peer_class(type(e)), peer_fields(e)) for stream, e in events]

    def _aggregate(self, stream: str) -> CivicStream:
        aggregate = self._aggregates.get(stream)
        if aggregate is None:
            aggregate = CivicStream(stream)
            self._aggregates[stream] = aggregate
        return aggregate

    def save(self, items: Sequence[PeerItem]) -> None:
        """Trigger each event on its stream's aggregate and save them all in one call."""
        touched: dict[str, CivicStream] = {}
        for stream, cls, data in items:
            aggregate = self._aggregate(stream)
            aggregate.trigger_event(cls, **data)
            touched[stream] = aggregate
        self.app.save(*touched.values())

    def read_decoded(self, page: int = 1000) -> Iterator[Any]:
        """Read the notification log from the start and map each to its domain event."""
        recorder = self.app.recorder
        to_domain_event = self.app.mapper.to_domain_event
        start = 1
        while True:
            notifications = recorder.select_notifications(start, page)
            if not notifications:
                return
            for notification in notifications:
                yield to_domain_event(notification)
            start = notifications[-1].id + 1

    def close(self) -> None:
        """Close the application's connections."""
        self.app.close()
