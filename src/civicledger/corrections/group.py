"""The corrections group of a ledger (``ledger.corrections``): amend, retract, erase, find.

Each call records an amending event in the ledger (or, for ``personal_data``, reads
it); the functions in :mod:`civicledger.corrections.service` and
:mod:`civicledger.corrections.privacy` do the work on the ledger's store.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from civicledger.corrections.fold import read_effective
from civicledger.corrections.privacy import PersonalDataHit, personal_data
from civicledger.corrections.service import correct, redact, retract
from civicledger.events import Event, RecordedEvent
from civicledger.store import EventStore, ReadFilter

__all__ = ["Corrections"]


class Corrections:
    """Corrections, retractions, redactions and the personal-data search of one store."""

    def __init__(self, store: EventStore) -> None:
        """Bind the group to a store (``ledger.corrections`` makes it for its own)."""
        self._store = store

    def correct(
        self, event_id: uuid.UUID | str, replacement: Event, *, reason: str, actor: str
    ) -> RecordedEvent:
        """Record that an event was wrong and what it should have been (same type); the
        latest correction wins; see :func:`.service.correct`."""
        return correct(self._store, event_id, replacement, reason=reason, actor=actor)

    def retract(self, event_id: uuid.UUID | str, *, reason: str, actor: str) -> RecordedEvent:
        """Record that an event (or a correction) no longer counts; see :func:`.service.retract`."""
        return retract(self._store, event_id, reason=reason, actor=actor)

    def redact(
        self,
        event_id: uuid.UUID | str,
        *,
        fields: Sequence[str] | None = None,
        reason: str,
        actor: str,
    ) -> RecordedEvent:
        """Record a redaction and erase those personal values (all when ``fields`` is None)
        from storage, keeping every proof valid; see :func:`.service.redact`."""
        return redact(self._store, event_id, fields=fields, reason=reason, actor=actor)

    def personal_data(self, subject: str, *, contains: bool = False) -> list[PersonalDataHit]:
        """Every event whose personal fields name ``subject`` (corrections included); see
        :func:`.privacy.personal_data`."""
        return personal_data(self._store, subject, contains=contains)

    def read(self, where: ReadFilter | None = None) -> Iterator[RecordedEvent]:
        """The effective view of the records a filter selects: retracted events and the
        amending events absent, corrected payloads in place (``ledger.read(where,
        effective=True)``)."""
        wanted = where or ReadFilter()
        return read_effective(
            self._store,
            stream=wanted.stream,
            stream_prefix=wanted.stream_prefix,
            types=None if wanted.types is None else sorted(wanted.types),
            from_position=wanted.from_position,
            to_position=wanted.to_position,
            occurred_between=wanted.occurred_between,
        )
