"""The Ledger facade: the composition root most users touch; each method delegates to a layer."""

from __future__ import annotations

import functools
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, overload

from civicledger.errors import ValidationError
from civicledger.events import Codec, Event, RecordedEvent
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.store import Clock, EventStore, MemoryStore, NewEvent, ReadFilter
from civicledger.types import ANY, ExpectedVersion, Position, StreamId

if TYPE_CHECKING:
    import pandas  # the frames extra
    import pyarrow
    from sqlalchemy.engine import URL

    from civicledger.audit import Cosignature, Seal, Signer, VerificationReport
    from civicledger.audit.auditor import Auditor
    from civicledger.audit.keys import PublicKeys
    from civicledger.audit.points import LedgerPoint
    from civicledger.corrections.group import Corrections
    from civicledger.corrections.privacy import PersonalDataHit
    from civicledger.followups import FollowUp, FollowUpRollup
    from civicledger.ledgerset import LedgerSet
    from civicledger.merkle.disclosure import Disclosure
    from civicledger.projections import (
        Comparison,
        Figure,
        FigureList,
        Indicator,
        IndicatorSet,
        Period,
    )
    from civicledger.projections.engine import Pushdown
    from civicledger.projections.figures import AsOf
    from civicledger.projections.series import Series, Step
    from civicledger.reports import Report, Template
    from civicledger.reports.evidence import EvidenceSummary
    from civicledger.revisions import FigureDiff, Revision
    from civicledger.store.parts import ProjectionPositions
    from civicledger.store.sql.privileges import Access
    from civicledger.sync import PushResult
    from civicledger.sync_file import DeliveryResult


class Ledger:
    """An append-only, tamper-evident ledger of civic events.

    Open one with :meth:`open` (SQLite or PostgreSQL) or :meth:`in_memory`, and
    use it as a context manager::

        with Ledger.open("sqlite:///community.db", ledger="community-x") as ledger:
            ledger.append("meeting/2023-03", [meeting], actor="clerk")
            for record in ledger.read(types=["meeting_held"]):
                ...

    Every method is a line or two over a layer (``ledger.store`` is the
    :class:`~civicledger.store.EventStore`), so the layers stay usable alone.
    Calls that belong together are also groups: ``ledger.audit`` (seals, proofs,
    verification) and ``ledger.corrections`` (correct, retract, redact).
    """

    def __init__(self, store: EventStore, *, limits: Limits | None = None) -> None:
        """Wrap a store; most callers use :meth:`open` or :meth:`in_memory` instead.

        Args:
            store: the event store the ledger records into.
            limits: bounds on the files and templates the ledger reads (the store
                bounds recorded dates by its own limits).
        """
        # The amending event types must be readable in every ledger; a store
        # with its own registry registers them with register_correction_types.
        import civicledger.corrections.events  # noqa: F401

        self._store = store
        self._limits = limits or DEFAULT_LIMITS

    @classmethod
    def open(
        cls,
        url: str | URL,
        ledger: str = "default",
        *,
        origin: str | None = None,
        hash_algorithm: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
        synchronous: str = "NORMAL",
        busy_timeout: float = 30.0,
        create: bool = True,
        limits: Limits | None = None,
    ) -> Ledger:
        """Open a ledger in a SQL database, creating the tables and the ledger on first use.

        Args:
            url: ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/dbname``.
            ledger: the ledger's name; one database holds many ledgers.
            origin: a new ledger's globally unique origin (e.g.
                ``"records.example.org/community-x"``); generated when None.
            hash_algorithm: ``"sha256"`` (the default for a new ledger) or ``"sm3"``.
            clock: gives ``recorded_at`` (aware UTC datetimes); the process clock when None.
            codec: decodes payloads; the default codec (default registry) when None.
            synchronous: SQLite's ``synchronous`` pragma; ``FULL`` survives power cuts.
            busy_timeout: seconds a SQLite writer waits for another writer.
            create: create the ledger when it does not exist; when False a missing
                ledger raises LedgerNotFoundError, so a mistyped name creates nothing.
            limits: bounds on outside input and recorded dates (``docs/limits.md``);
                the defaults (:data:`~civicledger.limits.DEFAULT_LIMITS`) when None.

        Returns:
            The open ledger.

        Raises:
            SchemaMismatchError: the database has another civicledger schema version.
            ValidationError: a name, origin or algorithm is not acceptable.
            StoreError: the database cannot be opened or is not a civicledger database.
        """
        # Imported here so that `import civicledger` does not load SQLAlchemy.
        from civicledger.store.sql import SqlStore

        _load_default_vocabulary(codec)

        return cls(
            SqlStore.open(
                url,
                ledger,
                origin=origin,
                hash_algorithm=hash_algorithm,
                clock=clock,
                codec=codec,
                synchronous=synchronous,
                busy_timeout=busy_timeout,
                create=create,
                limits=limits or DEFAULT_LIMITS,
            ),
            limits=limits,
        )

    @classmethod
    def open_many(
        cls,
        url: str | URL,
        names: Sequence[str] | None = None,
        *,
        prefix: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
        limits: Limits | None = None,
    ) -> LedgerSet:
        """Open existing ledgers of one database as one source, whose figures roll up.

        Args:
            url: as for :meth:`open`.
            names: the ledgers, in this order (e.g. ``["street-x/hehua", "street-x/lianhua"]``).
            prefix: instead of ``names``, every ledger whose name starts with this text,
                sorted by name (e.g. ``"street-x/"``).
            clock: as for :meth:`open`.
            codec: as for :meth:`open`.
            limits: as for :meth:`open`.

        Returns:
            The :class:`~civicledger.ledgerset.LedgerSet`; see ``docs/rollups.md``.

        Raises:
            ValidationError: neither or both of ``names`` and ``prefix``, or a name twice.
            LedgerNotFoundError: a named ledger does not exist, or no name has the prefix;
                nothing is created.
            StoreError: the database cannot be opened.
        """
        from civicledger.ledgerset import LedgerSet

        return LedgerSet.open(url, names, prefix=prefix, clock=clock, codec=codec, limits=limits)

    @classmethod
    def in_memory(
        cls,
        ledger: str = "default",
        *,
        origin: str | None = None,
        hash_algorithm: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
        limits: Limits | None = None,
    ) -> Ledger:
        """Open an empty ledger held in process memory (for tests and scratch work).

        Args:
            ledger: the ledger's name.
            origin: its origin; generated when None.
            hash_algorithm: ``"sha256"`` (default) or ``"sm3"``.
            clock: gives ``recorded_at``; the process clock when None.
            codec: decodes payloads; the default codec when None.
            limits: bounds on outside input and recorded dates (``docs/limits.md``);
                the defaults (:data:`~civicledger.limits.DEFAULT_LIMITS`) when None.

        Returns:
            The ledger.

        Raises:
            ValidationError: a name, origin or algorithm is not acceptable.
        """
        _load_default_vocabulary(codec)
        return cls(
            MemoryStore(
                ledger_name=ledger,
                origin=origin,
                hash_algorithm=hash_algorithm,
                clock=clock,
                codec=codec,
                limits=limits or DEFAULT_LIMITS,
            ),
            limits=limits,
        )

    @property
    def store(self) -> EventStore:
        """The underlying event store."""
        return self._store

    @property
    def limits(self) -> Limits:
        """The bounds on outside input this ledger was opened with."""
        return self._limits

    @property
    def name(self) -> str:
        """The ledger's name."""
        return self._store.ledger_name

    @property
    def origin(self) -> str:
        """The ledger's globally unique origin."""
        return self._store.origin

    @property
    def hash_algorithm(self) -> str:
        """The ledger's hash algorithm name."""
        return self._store.hash_algorithm

    def close(self) -> None:
        """Release the ledger's connections; it cannot be used afterwards."""
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- recording and reading ---------------------------------------

    def append(
        self,
        stream: StreamId,
        events: Sequence[Event],
        *,
        expected_version: ExpectedVersion = ANY,
        actor: str,
        event_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[RecordedEvent]:
        """Append events to one stream, all or nothing; see :meth:`EventStore.append`."""
        return self._store.append(
            stream, events, expected_version=expected_version, actor=actor, event_ids=event_ids
        )

    def append_batch(self, entries: Sequence[NewEvent]) -> list[RecordedEvent]:
        """Append to many streams in one transaction; see :meth:`EventStore.append_batch`."""
        return self._store.append_batch(entries)

    def read(
        self,
        where: ReadFilter | None = None,
        /,
        *,
        stream: StreamId | None = None,
        stream_prefix: str | None = None,
        types: Sequence[str] | None = None,
        from_position: Position = 1,
        to_position: Position | None = None,
        occurred_between: tuple[date, date] | None = None,
        effective: bool = False,
    ) -> Iterator[RecordedEvent]:
        """Stream recorded events in position order; see :meth:`EventStore.read`.

        ``where`` is a :class:`~civicledger.store.ReadFilter`; the keywords are its
        fields, for one-off reads. With ``effective=True``, the corrected view:
        retracted events and the amending events are absent, corrected payloads
        stand in place, and each record lists its amendments; see
        :func:`.corrections.read_effective`.
        """
        wanted = ReadFilter.of(
            where,
            stream=stream,
            stream_prefix=stream_prefix,
            types=types,
            from_position=from_position,
            to_position=to_position,
            occurred_between=occurred_between,
        )
        if effective:
            return self.corrections.read(wanted)
        return self._store.read_where(wanted)

    def read_stream(self, stream: StreamId, from_version: int = 1) -> Iterator[RecordedEvent]:
        """Stream one stream's events in version order; see :meth:`EventStore.read_stream`."""
        return self._store.read_stream(stream, from_version)

    def head(self) -> Position:
        """The position of the last recorded event (0 when empty)."""
        return self._store.head()

    def subscribe(
        self,
        from_position: Position = 1,
        *,
        poll_interval: float = 0.5,
        stop: threading.Event | None = None,
        timeout: float | None = None,
    ) -> Iterator[RecordedEvent]:
        """Follow the ledger from a position; see :meth:`EventStore.subscribe`."""
        return self._store.subscribe(
            from_position, poll_interval=poll_interval, stop=stop, timeout=timeout
        )

    # -- corrections, retractions, redactions, personal data -------------------

    @functools.cached_property
    def corrections(self) -> Corrections:
        """Corrections, retractions, redactions and the personal-data search of this ledger,
        in one group; the one-line calls below delegate to it; see
        :class:`.corrections.group.Corrections`."""
        from civicledger.corrections.group import Corrections

        return Corrections(self._store)

    def correct(
        self, event_id: uuid.UUID | str, replacement: Event, *, reason: str, actor: str
    ) -> RecordedEvent:
        """Record that an event was wrong and what it should have been (same type); the
        latest correction wins; see :meth:`.corrections.group.Corrections.correct`."""
        return self.corrections.correct(event_id, replacement, reason=reason, actor=actor)

    def retract(self, event_id: uuid.UUID | str, *, reason: str, actor: str) -> RecordedEvent:
        """Record that an event (or a correction) no longer counts; see
        :meth:`.corrections.group.Corrections.retract`."""
        return self.corrections.retract(event_id, reason=reason, actor=actor)

    def redact(
        self,
        event_id: uuid.UUID | str,
        *,
        fields: Sequence[str] | None = None,
        reason: str,
        actor: str,
    ) -> RecordedEvent:
        """Record a redaction and erase those personal values (all when ``fields`` is None)
        from storage, keeping every proof valid; see
        :meth:`.corrections.group.Corrections.redact`."""
        return self.corrections.redact(event_id, fields=fields, reason=reason, actor=actor)

    def personal_data(self, subject: str, *, contains: bool = False) -> list[PersonalDataHit]:
        """Every event whose personal fields name ``subject`` (corrections included); see
        :meth:`.corrections.group.Corrections.personal_data`."""
        return self.corrections.personal_data(subject, contains=contains)

    def diff(self, published: Figure, current: Figure) -> FigureDiff:
        """Why a figure changed since it was published: the late, corrected, retracted and
        redacted events behind the difference; see :func:`.revisions.diff`."""
        from civicledger.revisions import diff

        return diff(self._store, published, current)

    def revise(self, published: Sequence[Figure], seal: Seal | str) -> Revision:
        """Recompute published figures at a newer seal: each marked revised or unchanged,
        with the proof that the new seal extends the old; see
        :func:`.revisions.revise`."""
        from civicledger.revisions import revise

        return revise(self, published, seal)

    # -- JSON Lines import and export -------------------------------------------

    def import_jsonl(
        self, path: str | Path, codec: Codec | None = None, *, dry_run: bool = False
    ) -> int:
        """Validate a JSON Lines file and append all its events atomically, streaming (memory
        flat in the file's size); see :func:`.jsonl.import_jsonl`.

        Args:
            path: the file; nothing is appended unless every line is valid.
            codec: decodes payloads; pass the codec the ledger was opened with, if any.
            dry_run: check everything, then roll back.

        Returns:
            How many events were newly appended (already stored event ids are skipped);
            with ``dry_run``, how many lines hold a valid event.

        Raises:
            ValidationError: any line is bad; ``problems`` lists every bad line by
                number; nothing is appended.
            DuplicateEventError: an event id is stored with other content; nothing is appended.
        """
        from civicledger.jsonl import import_jsonl

        return import_jsonl(self._store, path, codec, limits=self._limits, dry_run=dry_run)

    def export_jsonl(self, path: str | Path, codec: Codec | None = None) -> int:
        """Write every event, in order, as JSON Lines that :meth:`import_jsonl` reads.

        Args:
            path: the file to write (replaced if it exists).
            codec: encodes payloads; pass the codec the ledger was opened with, if any.

        Returns:
            How many events were written.
        """
        from civicledger.jsonl import export_jsonl

        return export_jsonl(self._store, path, codec)

    # -- audit: seals, proofs and verification -----------------------------------

    @functools.cached_property
    def audit(self) -> Auditor:
        """Seals, proofs and verification of this ledger, all in one place: the one-line
        calls below and the raw RFC 9162 proofs and envelopes (``ledger.audit.inclusion_proof``);
        see :class:`.audit.auditor.Auditor`. Made on first use; it keeps an in-memory
        ledger's seals."""
        from civicledger.audit.auditor import Auditor

        return Auditor(self._store)

    def seal(self, signer: Signer | str | None = None) -> Seal:
        """Seal the current head as a C2SP checkpoint, store it and return it; see
        :meth:`.audit.auditor.Auditor.seal` (``signer``: a Signer or signer key text)."""
        return self.audit.seal(signer)

    def seals(self) -> list[Seal]:
        """The ledger's stored seals, oldest first; see :meth:`.audit.auditor.Auditor.seals`."""
        return self.audit.seals()

    def cosign(self, seal: Seal | str, signer: Signer | str) -> Cosignature:
        """Countersign one of the ledger's stored seals with another key (C2SP
        ``cosignature/v1``) and store it; see :meth:`.audit.auditor.Auditor.cosign`."""
        return self.audit.cosign(seal, signer)

    def cosignatures(self) -> list[Cosignature]:
        """The stored cosignatures of the ledger's seals, oldest first; see
        :meth:`.audit.auditor.Auditor.cosignatures`."""
        return self.audit.cosignatures()

    def store_cosignature(self, cosignature: Cosignature) -> bool:
        """Keep a cosignature made elsewhere unless held (push delivers the sender's); see
        :meth:`.audit.auditor.Auditor.store_cosignature`."""
        return self.audit.store_cosignature(cosignature)

    def cosigned(self, seal: Seal) -> Seal:
        """The seal with the lines of every stored cosignature of it after its own
        signatures (render a report as of it to name its cosigners); see
        :meth:`.audit.auditor.Auditor.cosigned`."""
        return self.audit.cosigned(seal)

    def check_cosigned(self, seal: Seal) -> None:
        """Refuse a seal text carrying a cosignature line this ledger does not store; see
        :meth:`.audit.auditor.Auditor.check_cosigned`."""
        self.audit.check_cosigned(seal)

    def prove(self, event_id: uuid.UUID | str, seal: Seal | str) -> str:
        """A C2SP tlog-proof text that an event is under a seal; check it with
        :func:`civicledger.audit.verify_proof`; see :meth:`.audit.auditor.Auditor.prove`."""
        return self.audit.prove(event_id, seal)

    def prove_consistency(self, old: Seal | str, new: Seal | str) -> str:
        """A ``civicledger-consistency-proof/1`` text that the newer seal extends the older one;
        check it with :func:`civicledger.audit.verify_consistency_proof`; see
        :meth:`.audit.auditor.Auditor.prove_consistency`."""
        return self.audit.prove_consistency(old, new)

    def envelopes(self, tree_size: int | None = None) -> Iterator[bytes]:
        """Deprecated: use ``ledger.audit.envelopes(tree_size)``."""
        _moved("envelopes", "ledger.audit.envelopes(tree_size)")
        return self.audit.envelopes(tree_size)

    def disclose(
        self, event_id: uuid.UUID | str, fields: Sequence[str], *, include_personal: bool = False
    ) -> Disclosure:
        """Disclose some payload fields of an event (leaf format v2): check them with
        ``Disclosure.verify()``; personal fields only with ``include_personal=True``; see
        :meth:`.audit.auditor.Auditor.disclose`."""
        return self.audit.disclose(event_id, fields, include_personal=include_personal)

    def inclusion_proof(self, position: Position, tree_size: int | None = None) -> list[bytes]:
        """Deprecated: use ``ledger.audit.inclusion_proof(position, tree_size)``."""
        _moved("inclusion_proof", "ledger.audit.inclusion_proof(position, tree_size)")
        return self.audit.inclusion_proof(position, tree_size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Deprecated: use ``ledger.audit.consistency_proof(old_size, new_size)``."""
        _moved("consistency_proof", "ledger.audit.consistency_proof(old_size, new_size)")
        return self.audit.consistency_proof(old_size, new_size)

    def check_seal(self, seal: Seal | str) -> Seal:
        """Refuse (SealMismatchError, naming the first differing position) unless the stored
        rows still give the seal's root; see :meth:`.audit.auditor.Auditor.check_seal`."""
        return self.audit.check_seal(seal)

    def verify(
        self, public_keys: PublicKeys = None, *, workers: int | None = None
    ) -> VerificationReport:
        """Recompute every leaf and root from stored rows and check every seal (and, given
        keys, their signatures), in ``workers`` processes (default: the cores; 1: this
        process only); see :meth:`.audit.auditor.Auditor.verify`."""
        return self.audit.verify(public_keys, workers=workers)

    # -- sync: delivering to a replica that cannot rewrite history ---------------

    def push(
        self, target_url: str | URL, *, ledger: str | None = None, batch: int = 2000
    ) -> PushResult:
        """Send the events and seals a replica of this ledger in ``target_url`` lacks (creating
        it on first push, named ``ledger`` or this ledger's name); the replica checks every
        row and root and refuses a diverging history; see :func:`.sync.push`."""
        from civicledger.sync import push

        return push(self, target_url, ledger=ledger, batch=batch)

    def deliver(
        self, path: str | Path, *, since: Seal | str | None = None, batch: int = 2000
    ) -> DeliveryResult:
        """Write a delivery file of what a replica holding the seal ``since`` lacks (all
        events when None), for a receiver without a network link; see :func:`.sync_file.deliver`."""
        from civicledger.sync_file import deliver

        return deliver(self, path, since=since, batch=batch)

    @staticmethod
    def receive(
        path: str | Path, target_url: str | URL, *, ledger: str | None = None
    ) -> PushResult:
        """Apply a delivery file to the replica ``ledger`` (the sender's name when None) in
        ``target_url``, creating it from a first delivery, with the checks of a push; see
        :func:`.sync_file.receive`."""
        from civicledger.sync_file import receive

        return receive(path, target_url, ledger=ledger)

    def access(self) -> Access | None:
        """Which PostgreSQL role the ledger runs as and whether it could alter recorded history
        (None on SQLite and in memory); see :func:`civicledger.store.sql.provision`."""
        return self._store.access()

    # -- projections and indicators with lineage ---------------------------------

    def compute(
        self, indicator: Indicator, period: Period | int | str, *, as_of: LedgerPoint | None = None
    ) -> Figure:
        """One ungrouped figure with its lineage; see :func:`.projections.service.compute`
        (``period``: a Period, a year or ``"2023-Q1"``; ``as_of``: a position, seal or time)."""
        from civicledger.projections.service import compute

        as_of = self._own(as_of)
        return compute(self._store, indicator, period, as_of=as_of, pushdown=_pushdown(self._store))

    def indicators(
        self,
        indicator_set: IndicatorSet | str | Path | Sequence[Indicator],
        *,
        period: Period | int | str | None = None,
        year: int | None = None,
        as_of: LedgerPoint | None = None,
        lineage: bool | Literal["lazy"] = True,
    ) -> FigureList:
        """Every figure of an indicator set (or its TOML file) for a period (``"2023-Q4"``,
        ``"2022-01..2022-11"``; ``year=2023`` is the shorthand for a calendar year), in one
        pass over the ledger (``lineage="lazy"``: contributions loaded on first access,
        memory flat); see :func:`.projections.service.indicators`."""
        from civicledger.projections.engine import resolve_as_of

        # One as-of point for the engine's figures and the declared follow-up figures
        # (``followups = "total"`` in the set), so both read the same prefix.
        head = self.head()
        point = resolve_as_of(self._own(as_of), head)
        return indicators_at(
            self._store, indicator_set, period, year, point, head, lineage, _pushdown(self._store)
        )

    def explain(
        self, figure: Figure, why_not: uuid.UUID | str | None = None, language: str = "zh"
    ) -> str:
        """How a figure was derived, or why the event ``why_not`` did not count in it
        (``language``: ``"zh"`` or ``"en"``); see :func:`.projections.service.explain_figure`."""
        from civicledger.projections.service import explain_figure

        return explain_figure(self._store, figure, why_not, language)  # type: ignore[arg-type]

    def compare(
        self,
        indicator: Indicator,
        current: Period | int | str,
        previous: Period | int | str | None = None,
        *,
        against: Literal["year", "period"] = "year",
        as_of: LedgerPoint | None = None,
    ) -> list[Comparison]:
        """同比 (``against="year"``: the same span a year earlier) or 环比 (``"period"``: the
        preceding period of the same kind), or against a named ``previous`` period; one
        comparison per group; see :func:`.projections.compare.compare`."""
        from civicledger.projections.service import compare

        return compare(
            self._store,
            indicator,
            current,
            previous,
            against=against,
            as_of=self._own(as_of),
            pushdown=_pushdown(self._store),
        )

    @overload
    def series(
        self,
        indicator: Indicator,
        period: Period | int | str,
        *,
        by: Step = ...,
        previous_year: bool = ...,
        as_of: LedgerPoint | None = ...,
    ) -> Series: ...

    @overload
    def series(
        self,
        indicator: IndicatorSet | str | Path | Sequence[Indicator],
        period: Period | int | str,
        *,
        by: Step = ...,
        previous_year: bool = ...,
        as_of: LedgerPoint | None = ...,
    ) -> list[Series]: ...

    def series(
        self,
        indicator: Indicator | IndicatorSet | str | Path | Sequence[Indicator],
        period: Period | int | str,
        *,
        by: Step = "month",
        previous_year: bool = False,
        as_of: LedgerPoint | None = None,
    ) -> Series | list[Series]:
        """One figure per month, quarter or ISO week (``by``) of a period, each with its
        lineage, and with ``previous_year=True`` the same steps a year earlier (同比); for
        a set (or its TOML file), one series per indicator; see
        :func:`.projections.service.series`."""
        from civicledger.projections.service import series

        return series(
            self._store,
            indicator,
            period,
            by,
            previous_year=previous_year,
            as_of=self._own(as_of),
            pushdown=_pushdown(self._store),
            max_steps=self._limits.series_max_periods,
        )

    @functools.cached_property
    def projection_positions(self) -> ProjectionPositions:
        """Where projections over this ledger keep their positions: its SQL database, or
        memory for an in-memory ledger; use with :class:`.projections.Runner`."""
        return self._store.projection_positions()

    @property
    def checkpoints(self) -> ProjectionPositions:
        """Deprecated name of :attr:`projection_positions`."""
        from civicledger.deprecation import warn_renamed

        warn_renamed("Ledger.checkpoints", "Ledger.projection_positions")
        return self.projection_positions

    # -- follow-ups: the rectification ledger, 整改台账 ---------------------------

    def followups(
        self, on: date | Period | str | None = None, *, as_of: date | Period | str | None = None
    ) -> list[FollowUp]:
        """The rectification ledger (整改台账) on a date; see :func:`.followups.followups`.

        Args:
            on: the date the rows describe (events dated later do not count), or a
                period (``"2023-01..2023-11"``: on its last day); today by the
                ledger's clock when None (see :meth:`today`).
            as_of: the former name of ``on`` (deprecated: ``as_of`` names a ledger
                point elsewhere).

        Returns:
            One follow-up per problem identified by then, in the order identified.

        Raises:
            ValidationError: ``on`` is text that is not a period, or both ``on`` and
                ``as_of`` are given.
        """
        from civicledger.followups import PROBLEM_TYPES, followups
        from civicledger.projections.service import as_period

        on = _business_date(on, as_of, "followups")
        if on is None:
            day = self.today()
        elif isinstance(on, date):
            day = on
        else:
            day = as_period(on).end
        # The effective view: corrected problems count as corrected, retracted ones not.
        return followups(self.read(types=PROBLEM_TYPES, effective=True), as_of=day)

    def followup_rollup(
        self,
        year: int | None = None,
        on: date | None = None,
        *,
        period: Period | int | str | None = None,
        as_of: date | None = None,
    ) -> FollowUpRollup:
        """Roll-up figures (totals per status, completion and on-time rates, ...) for a period.

        Args:
            year: shorthand for ``period`` as a calendar year.
            on: the date of the state; the period's end when None.
            period: the period; its ledger holds the problems identified by its end
                and not finished before it began.
            as_of: the former name of ``on`` (deprecated).

        Returns:
            The figures, each with its lineage; see :func:`civicledger.followups.rollup`.
        """
        from civicledger.followups import in_scope, rollup
        from civicledger.projections.service import choose_period

        day = _business_date(on, as_of, "followup_rollup")
        chosen = choose_period(period, year)
        rows = self.followups(day if day is not None else chosen.end)
        return rollup(in_scope(rows, chosen), period=chosen)

    def export_followups(
        self,
        path: str | Path,
        *,
        on: date | Period | str | None = None,
        as_of: date | Period | str | None = None,
    ) -> None:
        """Write the rectification ledger as CSV or XLSX (by the file's extension).

        Args:
            path: a ``.csv`` or ``.xlsx`` file, replaced if it exists.
            on: the date (or period, on its last day) the rows describe; today by
                the ledger's clock when None.
            as_of: the former name of ``on`` (deprecated).

        Raises:
            ValidationError: the extension is neither ``.csv`` nor ``.xlsx``.
        """
        from civicledger.followups import write_table

        write_table(Path(path), self.followups(_business_date(on, as_of, "export_followups")))

    def import_followups(self, path: str | Path, *, actor: str) -> list[RecordedEvent]:
        """Record the progress and status changes made in an edited ledger sheet, all or nothing.

        Args:
            path: a ``.csv`` or ``.xlsx`` file laid out as :meth:`export_followups`
                writes it (Chinese headers or English keys).
            actor: who records the changes.

        Returns:
            The recorded events (none when nothing was edited).

        Raises:
            ValidationError: the file cannot be read or any row is bad; every bad
                row is listed in ``problems``; nothing is recorded.
            ConcurrencyError: a problem changed while the file was being checked;
                nothing is recorded.
        """
        from civicledger.followups.importing import import_sheet

        return import_sheet(self._store, Path(path), actor=actor, limits=self._limits)

    # -- DataFrames and Arrow tables (the frames extra) --------------------------

    def events_table(
        self,
        types: Sequence[str] | None = None,
        *,
        occurred_between: tuple[date, date] | None = None,
        effective: bool = False,
    ) -> pyarrow.Table:
        """The events :meth:`read` gives, one row each, every payload field in a typed
        column; see :func:`civicledger.frames.event_table`."""
        from civicledger.frames import event_table

        records = self.read(types=types, occurred_between=occurred_between, effective=effective)
        return event_table(records)

    def events_frame(
        self,
        types: Sequence[str] | None = None,
        *,
        occurred_between: tuple[date, date] | None = None,
        effective: bool = False,
        decimals: Literal["exact", "float"] = "exact",
    ) -> pandas.DataFrame:
        """The rows of :meth:`events_table` as a pandas DataFrame (decimals exact or as
        floats); see :func:`civicledger.frames.event_frame`."""
        from civicledger.frames import to_pandas

        table = self.events_table(types, occurred_between=occurred_between, effective=effective)
        return to_pandas(table, decimals)

    def followups_frame(
        self, on: date | Period | str | None = None, *, as_of: date | Period | str | None = None
    ) -> pandas.DataFrame:
        """The rectification ledger of :meth:`followups` as a typed pandas DataFrame; see
        :func:`civicledger.frames.followup_frame` (``as_of``: the former name of ``on``)."""
        from civicledger.frames import followup_frame

        return followup_frame(self.followups(_business_date(on, as_of, "followups_frame")))

    # -- reports: templates, phrasing, renderers, sealed reports ------------------

    def report(
        self,
        template: Template | str | Path,
        *,
        period: Period | int | str | None = None,
        year: int | None = None,
        as_of: LedgerPoint | None = None,
    ) -> Report:
        """Compute a report for a period (``"2023"``, ``"2023-Q4"``, ``"2023-01..2023-11"``;
        ``year=2023`` is the shorthand) from a template (or its TOML file), as of now, a
        position or a seal (refused when the ledger no longer matches it, see
        :meth:`check_seal`); see :func:`.reports.gather.report_from_ledger`."""
        from civicledger.audit import Seal
        from civicledger.projections.service import choose_period
        from civicledger.reports import load_template, report_from_ledger

        chosen = choose_period(period, year)
        if isinstance(as_of, Seal):
            self.check_seal(as_of)
            self.audit.check_cosigned(as_of)
        loaded = template if not isinstance(template, str | Path) else load_template(template)
        return report_from_ledger(self, loaded, period=chosen, as_of=self._own(as_of))

    def today(self) -> date:
        """Today's date by the ledger's clock (the one that stamps ``recorded_at``), in UTC."""
        return self._store.clock().date()

    def _own(self, as_of: LedgerPoint | None) -> LedgerPoint | None:
        """Refuse a seal of another ledger as an as-of point (its size means nothing here)."""
        from civicledger.audit import Seal

        if isinstance(as_of, Seal):
            as_of.check_ledger(self.origin, self.hash_algorithm)
        return as_of

    def evidence(
        self,
        report: Report | str | Path,
        seal: Seal | str,
        path: str | Path,
        *,
        public_key: str | None = None,
        cosigner_keys: PublicKeys = (),
    ) -> EvidenceSummary:
        """Write the evidence bundle of a sealed report (``report``: a Report, its JSON text,
        or the path of its JSON file), with the keys of the cosigners it checked; see
        :func:`.reports.evidence.write_evidence`."""
        from civicledger.reports.evidence import write_evidence

        text = report.to_json() if not isinstance(report, str | Path) else report
        if isinstance(text, Path):
            text = text.read_text(encoding="utf-8")
        return write_evidence(self, text, seal, path, public_key, cosigner_keys)


def _moved(name: str, new_call: str) -> None:
    """Warn that a raw audit call moved to the ``ledger.audit`` group."""
    warnings.warn(
        f"Ledger.{name} is deprecated; use {new_call}",
        DeprecationWarning,
        stacklevel=3,
    )


def _business_date(
    on: date | Period | str | None, as_of: date | Period | str | None, call: str
) -> date | Period | str | None:
    """``on``, or the deprecated ``as_of`` keyword it replaced (a business date is not a
    ledger point, which is what ``as_of`` means in every other call)."""
    if as_of is None:
        return on
    if on is not None:
        raise ValidationError(
            f"Ledger.{call}: give on= only (as_of= is its former name)", field="as_of"
        )
    warnings.warn(
        f"Ledger.{call}(as_of=...) is deprecated; use Ledger.{call}(on=...): "
        "as_of names a ledger point (position, seal or time) elsewhere",
        DeprecationWarning,
        stacklevel=3,
    )
    return as_of


def _load_default_vocabulary(codec: Codec | None) -> None:
    """Register the civic catalog when the ledger uses the default registry.

    The catalog is the vocabulary of community work; a ledger opened with the
    default codec can then read any catalog event without further imports.
    A caller with its own codec (and registry) decides for itself.
    """
    if codec is None:
        import civicledger.catalog  # noqa: F401  (registers the catalog's types)


# -- SQL pushdown of indicators -----------------------------------------


def indicators_at(
    store: EventStore,
    indicator_set: IndicatorSet | str | Path | Sequence[Indicator],
    period: Period | int | str | None,
    year: int | None,
    point: AsOf,
    head: int,
    lineage: bool | Literal["lazy"],
    pushdown: Pushdown | None,
) -> FigureList:
    """:meth:`Ledger.indicators` of ``store`` at a resolved point, the head read at
    ``head``, with this pushdown: a ledger set passes figures it computed for all its
    ledgers at once.

    The declared follow-up figures (``followups = "total"``) read the same point.
    """
    from civicledger.followups import PROBLEM_TYPES
    from civicledger.followups.declared import DeclaredRollups
    from civicledger.projections.engine import read_effective_at
    from civicledger.projections.service import indicators

    return indicators(
        store,
        indicator_set,
        period=period,
        year=year,
        as_of=point,
        lineage=lineage,
        pushdown=pushdown,
        followup_figures=DeclaredRollups(
            lambda: read_effective_at(store, PROBLEM_TYPES, point), point
        ),
        head=head,
    )


def _pushdown(store: EventStore) -> Pushdown | None:
    """The SQL pushdown for a SQL store (identical figures, computed in the database)."""
    from civicledger.pushdown import pushdown_for

    return pushdown_for(store)
