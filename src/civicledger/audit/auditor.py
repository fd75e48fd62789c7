"""The audit operations on a store: seal, list seals, prove, raw proofs, verify.

``civicledger.Ledger`` delegates its audit methods here, one line each. This
module reads the store's rows, so ``civicledger.audit`` itself does not import
it: the offline verifier (seals, proofs, keys) loads no store. The rows and the
seal table come from the store (:class:`civicledger.store.parts.BackendParts`),
whatever its backend.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.consistency import make_consistency_proof, verify_consistency_proof
from civicledger.audit.cosign import (
    COSIGNATURE_SIZE,
    Cosignature,
    StoredCosignature,
    with_cosignatures,
)
from civicledger.audit.disclose import disclose, disclose_positions
from civicledger.audit.keys import PublicKeys, Signer, as_verifiers
from civicledger.audit.problems import Problem, ProblemKind
from civicledger.audit.proof import make_proof
from civicledger.audit.verify import (
    MAX_PROBLEMS,
    StoredSeal,
    VerificationReport,
    Walker,
    check_workers,
    verify_ledger,
)
from civicledger.errors import (
    DamagedRowError,
    SealMismatchError,
    StoreError,
    ValidationError,
    VerificationError,
)
from civicledger.events.redaction import REDACTION_EVENT_TYPE
from civicledger.events.text import format_timestamp
from civicledger.merkle.disclosure import Disclosure
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.merkle.proofs import consistency_proof, inclusion_proof
from civicledger.merkle.tree import Frontier
from civicledger.merkle.verify import verify_inclusion
from civicledger.store.base import Clock, EventStore, utc_now
from civicledger.store.parts import SealTable
from civicledger.store.rows import RowSource, StoredRow
from civicledger.types import Position, parse_event_id

_LAST_POSITION = 2**63 - 1  # the largest position the SQL column holds


class StoreSeals:
    """The seals of a ledger and their cosignatures, kept in the seal table its store
    supplies."""

    def __init__(self, table: SealTable) -> None:
        """Keep seals in ``table`` (:meth:`EventStore.seal_table`)."""
        self._table = table

    def add(self, seal: Seal) -> None:
        """Store a seal (append-only: a SQL table's triggers forbid changing it later).

        Raises:
            StoreError: the database failed.
        """
        assert seal.sealed_at is not None  # seals made here always carry their time
        self._table.append(
            tree_size=seal.tree_size,
            root_hash=seal.root_hash,
            sealed_at=format_timestamp(seal.sealed_at),
            text=seal.text,
        )

    def stored(self) -> Iterator[StoredSeal]:
        """Yield the stored seals, oldest first.

        Raises:
            StoreError: the database failed.
        """
        for number, row in enumerate(self._table.rows(), start=1):
            yield StoredSeal(number, row.tree_size, row.root_hash, row.text, row.sealed_at)

    def add_cosignature(self, seal_number: int, cosignature: Cosignature) -> None:
        """Store a cosignature of the seal with that number (one append).

        Raises:
            StoreError: the database failed.
        """
        self._table.append_cosignature(
            seal_id=self._seal_ids()[seal_number - 1],
            signer=cosignature.signer,
            cosigned_at=format_timestamp(cosignature.cosigned_at),
            verifier=cosignature.verifier.to_text(),
            signature=cosignature.line,
        )

    def stored_cosignatures(self) -> Iterator[StoredCosignature]:
        """Yield the stored cosignatures, oldest first, each naming its seal by number.

        Raises:
            StoreError: the database failed.
        """
        numbers = {seal_id: number for number, seal_id in enumerate(self._seal_ids(), start=1)}
        for number, row in enumerate(self._table.cosignature_rows(), start=1):
            yield StoredCosignature(
                number,
                numbers.get(row.seal_id),
                row.signer,
                row.cosigned_at,
                row.verifier,
                row.signature,
            )

    def _seal_ids(self) -> list[int]:
        return [row.id for row in self._table.rows()]


class Auditor:
    """Seals, proofs and verification for one store."""

    def __init__(
        self,
        store: EventStore,
        *,
        clock: Clock | None = None,
        seal_storage: SealTable | None = None,
        rows: RowSource | None = None,
    ) -> None:
        """Audit ``store``.

        Args:
            store: the ledger's store (memory or SQL).
            clock: gives ``sealed_at``; the process clock in UTC when None.
            seal_storage: where seals go; the store's seal table when None.
            rows: how raw rows are read; the store's row source when None.
        """
        self._store = store
        self._alg: HashAlgorithm = hash_algorithm(store.hash_algorithm)
        self._clock = clock or utc_now
        self._rows = rows if rows is not None else store.row_source()
        self._seals = StoreSeals(seal_storage if seal_storage is not None else store.seal_table())

    # -- seals --------------------------------------------------------------------

    def seal(self, signer: Signer | str | None = None) -> Seal:
        """Seal the ledger's current head: write, store and return a checkpoint.

        Args:
            signer: a key (or signer key text) to sign the checkpoint with; unsigned
                when None.

        Returns:
            The seal.

        Raises:
            ValidationError: the signer key text is malformed.
            StoreError: the database failed.
            CivicLedgerError: signing needs the ``cryptography`` package.
        """
        if self._store.is_replica:
            raise StoreError(
                f"ledger {self._store.ledger_name!r} is a replica of {self._store.origin!r}: "
                "its seals are the sender's, delivered by sync; seal the sending ledger"
            )
        signers = [] if signer is None else [_signer(signer)]
        # The frontier and its size come from one read of the ledger's row, so the
        # root is the root of exactly that many events even while others append.
        frontier = self._store.frontier()
        seal = Seal.create(
            origin=self._store.origin,
            tree_size=frontier.size,
            root_hash=frontier.root(),
            sealed_at=self._clock(),
            hash_name=self._alg.name,
            signers=signers,
        )
        self._seals.add(seal)
        return seal

    def seals(self) -> list[Seal]:
        """The ledger's seals, oldest first.

        Returns:
            Every stored seal.

        Raises:
            StoreError: the database failed, or a stored seal cannot be read
                (``verify()`` reports which).
        """
        result = []
        for stored in self._seals.stored():
            try:
                result.append(Seal.parse(stored.text))
            except ValidationError as e:
                raise StoreError(
                    f"stored seal {stored.number} cannot be read ({e.message}); run verify()"
                ) from e
        return result

    def cosign(self, seal: Seal | str, signer: Signer | str) -> Cosignature:
        """Countersign one of the ledger's stored seals with another key, and store that.

        The seal is found among the stored ones by its checkpoint (its signature
        lines may differ). A replica's seals may be countersigned: that is how the
        office receiving a ledger says it saw each seal.

        Args:
            seal: a stored seal of this ledger (or its text).
            signer: the cosigner's key (or signer key text).

        Returns:
            The stored cosignature.

        Raises:
            ValidationError: the seal is malformed, another ledger's or not stored
                here, the key text is malformed, or the key already countersigned it.
            StoreError: the database failed.
            CivicLedgerError: signing needs the ``cryptography`` package.
        """
        the_seal = Seal.parse(seal) if isinstance(seal, str) else seal
        self._same_ledger(the_seal)
        key = _signer(signer)
        number, stored_seal = self._stored_seal(the_seal)
        if self._holds(number, key.verifier().to_text()):
            raise ValidationError(
                f"key {key.name} ({key.key_id:08x}) has already countersigned seal {number} "
                f"(at size {stored_seal.tree_size})",
                field="signer",
            )
        cosignature = Cosignature.make(stored_seal, key, self._clock())
        self._seals.add_cosignature(number, cosignature)
        return cosignature

    def store_cosignature(self, cosignature: Cosignature) -> bool:
        """Keep a cosignature made elsewhere (push delivers the sender's) unless it is held.

        Args:
            cosignature: a cosignature of one of this ledger's stored seals.

        Returns:
            Whether it was new.

        Raises:
            ValidationError: its seal is another ledger's or not stored here.
            VerificationError: it does not verify; nothing is stored.
            StoreError: the database failed.
            CivicLedgerError: checking it needs the ``cryptography`` package.
        """
        self._same_ledger(cosignature.seal)
        number, _ = self._stored_seal(cosignature.seal)
        if self._holds(number, cosignature.verifier.to_text()):
            return False
        cosignature.check()
        self._seals.add_cosignature(number, cosignature)
        return True

    def _stored_seal(self, seal: Seal) -> tuple[int, Seal]:
        """The number and stored text of the seal with this checkpoint."""
        for stored in self._seals.stored():
            if stored.text.startswith(seal.body) and Seal.parse(stored.text).body == seal.body:
                return stored.number, Seal.parse(stored.text)
        raise ValidationError(
            f"the seal of {seal.origin} at size {seal.tree_size} is not among this "
            "ledger's stored seals; cosign a seal the ledger made (or received by push)",
            field="seal",
        )

    def _holds(self, seal_number: int, verifier: str) -> bool:
        """Whether the key (verifier text) has a stored cosignature of that seal."""
        return any(
            row.seal_number == seal_number and row.verifier == verifier
            for row in self._seals.stored_cosignatures()
        )

    def cosignatures(self) -> list[Cosignature]:
        """The stored cosignatures of the ledger's seals, oldest first.

        Returns:
            Every stored cosignature, each with the seal it countersigns.

        Raises:
            StoreError: the database failed, or a stored cosignature cannot be read
                (``verify()`` reports which).
        """
        seals = {s.number: s.text for s in self._seals.stored()}
        result = []
        for row in self._seals.stored_cosignatures():
            text = seals.get(row.seal_number) if row.seal_number is not None else None
            try:
                if text is None:
                    raise ValidationError("it names no stored seal")
                result.append(Cosignature.parse(Seal.parse(text), row.verifier, row.signature))
            except ValidationError as e:
                raise StoreError(
                    f"stored cosignature {row.number} cannot be read ({e.message}); run verify()"
                ) from e
        return result

    def cosigned(self, seal: Seal) -> Seal:
        """The seal with the lines of every stored cosignature of it after its own
        signatures (render a report as of it to name its cosigners)."""
        return with_cosignatures(seal, [c for c in self.cosignatures() if c.seal.body == seal.body])

    def check_cosigned(self, seal: Seal) -> None:
        """Refuse a seal text carrying a cosignature line this ledger does not store.

        A report rendered as of a cosigned seal names its cosigners; each line must be
        one ``cosign`` stored (and ``verify()`` checks), not one pasted into the text.

        Raises:
            ValidationError: a cosignature line is not among the stored ones; the
                message names its signer.
            StoreError: the database failed.
        """
        stored = {c.line for c in self.cosignatures() if c.seal.body == seal.body}
        for line in seal.signatures:
            if len(line.signature) == COSIGNATURE_SIZE and line.line().rstrip("\n") not in stored:
                raise ValidationError(
                    f"the seal carries a cosignature by {line.name} (key id {line.key_id:08x}) "
                    "that this ledger does not store; store one with `civicledger cosign`",
                    field="seal",
                )

    # -- proofs -------------------------------------------------------------------

    def inclusion_proof(self, position: Position, tree_size: int | None = None) -> list[bytes]:
        """The RFC 9162 inclusion proof of the event at ``position`` in the tree of ``tree_size``.

        Args:
            position: the event's position (its leaf index is ``position - 1``).
            tree_size: the tree size; the current head when None.

        Returns:
            The proof hashes, the leaf's sibling first.

        Raises:
            ValidationError: the position or size is out of range.
            VerificationError: the stored tree is incomplete.
            StoreError: the database failed.
        """
        size = self._size(tree_size, "tree_size")
        _check_int("position", position)
        if not 1 <= position <= size:
            raise ValidationError(
                f"position {position} is not in a tree of size {size} (positions 1 to {size})",
                field="position",
            )
        return inclusion_proof(self._alg, self._store.node_reader(), position - 1, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof that the tree of ``new_size`` extends ``old_size``.

        Args:
            old_size: the older tree size (at least 1).
            new_size: the newer tree size; the current head when None.

        Returns:
            The proof hashes (empty when the sizes are equal).

        Raises:
            ValidationError: the sizes are out of range.
            VerificationError: the stored tree is incomplete.
            StoreError: the database failed.
        """
        size = self._size(new_size, "new_size")
        _check_int("old_size", old_size)
        return consistency_proof(self._alg, self._store.node_reader(), old_size, size)

    def prove(self, event_id: uuid.UUID | str, seal: Seal | str) -> str:
        """A tlog-proof@v1 text that an event is included under a seal.

        The proof carries the event's canonical envelope as its extra data, so
        ``verify_proof(text)`` can check it with nothing else. Before returning,
        the proof is checked against the seal, so a damaged ledger cannot hand
        out a proof that fails later.

        Args:
            event_id: the event's id (a UUID or its text).
            seal: a seal of this ledger (or its text) covering the event.

        Returns:
            The proof text.

        Raises:
            ValidationError: the id is malformed or unknown, the seal is for another
                ledger, or the event was recorded after the seal.
            VerificationError: the stored rows do not match the seal (run verify()).
            StoreError: the database failed.
        """
        the_seal = Seal.parse(seal) if isinstance(seal, str) else seal
        self._same_ledger(the_seal)
        the_id = parse_event_id(event_id)
        position = self._rows.position_of(the_id)
        if position is None:
            raise ValidationError(
                f"no event with id {the_id} in ledger {self._store.origin}",
                field="event_id",
                event_id=str(the_id),
            )
        if position > the_seal.tree_size:
            raise ValidationError(
                f"event {the_id} is at position {position}, after the seal's {the_seal.tree_size} "
                "events; make a newer seal to prove it",
                field="seal",
                event_id=str(the_id),
            )
        envelope, stored_leaf = self._envelope(position)
        leaf = self._alg.leaf(envelope)
        if leaf != stored_leaf:
            raise VerificationError(
                f"cannot prove event {the_id}: the row at position {position} no longer "
                "hashes to its stored leaf, so it was changed; run verify()"
            )
        hashes = inclusion_proof(
            self._alg, self._store.node_reader(), position - 1, the_seal.tree_size
        )
        try:
            verify_inclusion(
                self._alg, position - 1, the_seal.tree_size, leaf, hashes, the_seal.root_hash
            )
        except VerificationError as e:
            raise VerificationError(
                f"cannot prove event {the_id} (position {position}) under the seal of size "
                f"{the_seal.tree_size}: this ledger's tree gives another root ({e}); either "
                "the seal was not made by this ledger or the ledger changed since; run verify()"
            ) from e
        return make_proof(position - 1, hashes, the_seal, envelope)

    def prove_consistency(self, old: Seal | str, new: Seal | str) -> str:
        """A ``civicledger-consistency-proof/1`` text that the newer seal extends the older.

        Both seals must be this ledger's, and the stored tree must give both roots:
        the proof is checked before it is returned, so a changed ledger cannot hand
        out a proof that fails later.

        Args:
            old: the older seal (or its text).
            new: the newer seal (or its text), covering at least as many events.

        Returns:
            The proof text; check it with
            :func:`civicledger.audit.verify_consistency_proof`.

        Raises:
            ValidationError: a seal is malformed or another ledger's, the older one
                covers more events than the newer, or a seal is past the head.
            VerificationError: the stored tree does not give the seals' roots (run verify()).
            StoreError: the database failed.
        """
        older = Seal.parse(old) if isinstance(old, str) else old
        newer = Seal.parse(new) if isinstance(new, str) else new
        for seal in (older, newer):
            self._same_ledger(seal)
        if older.tree_size > newer.tree_size:
            raise ValidationError(
                f"the older seal covers {older.tree_size} events, more than the newer seal's "
                f"{newer.tree_size}; give the older seal first",
                field="old",
            )
        if older.tree_size == 0:
            raise ValidationError(
                "the older seal covers no events; every ledger extends the empty one", field="old"
            )
        size = self._size(newer.tree_size, "tree_size")
        hashes = consistency_proof(self._alg, self._store.node_reader(), older.tree_size, size)
        text = make_consistency_proof(older, newer, hashes)
        try:
            verify_consistency_proof(text)
        except VerificationError as e:
            raise VerificationError(
                f"cannot prove that the seal at size {newer.tree_size} extends the seal at size "
                f"{older.tree_size}: this ledger's tree does not give their roots ({e}); either "
                "a seal was not made by this ledger or the ledger changed since; run verify()"
            ) from e
        return text

    def envelopes(self, tree_size: int | None = None) -> Iterator[bytes]:
        """The canonical envelopes (the bytes each leaf hashes) of positions 1..tree_size.

        Args:
            tree_size: how many; the head when None.

        Yields:
            Each position's envelope, in position order.

        Raises:
            ValidationError: the size is beyond the head.
            VerificationError: a row is missing or damaged (run verify()).
            StoreError: the database failed.
        """
        size = self._size(tree_size, "tree_size")
        expected = 1
        for row in self._rows.rows(1, size):
            if row.position != expected:
                raise VerificationError(f"the row at position {expected} is missing; run verify()")
            yield self._row_envelope(row)
            expected += 1
        if expected <= size:
            raise VerificationError(f"the row at position {expected} is missing; run verify()")

    def disclose(
        self,
        event_id: uuid.UUID | str,
        fields: Sequence[str],
        *,
        include_personal: bool = False,
    ) -> Disclosure:
        """Disclose some payload fields of an event: their values, salts and the other digests.

        Only for leaf format v2 ledgers. The holder checks the values with
        ``Disclosure.verify()`` against the envelope, and the envelope against a
        seal with the event's proof (:meth:`prove`).

        Args:
            event_id: the event's id (a UUID or its text).
            fields: top-level payload field names.
            include_personal: disclose fields declared personal too.

        Returns:
            The disclosure.

        Raises:
            ValidationError: the id is unknown, the ledger is v1, or a field is
                unknown, redacted, or personal and not asked for.
            VerificationError: the stored row was changed (run verify()).
            StoreError: the database failed.
        """
        return disclose(
            self._store,
            self._rows,
            self._alg,
            event_id,
            fields,
            include_personal=include_personal,
        )

    def disclose_positions(
        self,
        requests: Iterable[tuple[Position, Sequence[str]]],
        *,
        include_personal: bool = False,
    ) -> list[Disclosure]:
        """Disclose some payload fields of many events, named by position.

        What :meth:`disclose` gives for each, with the rows read a run of nearby
        positions at a time rather than two queries per event (an evidence bundle
        discloses every event a report counts).

        Args:
            requests: (position, top-level field names) pairs; a position may be
                asked more than once, with other fields.
            include_personal: disclose fields declared personal too.

        Returns:
            One disclosure per request, in the order asked.

        Raises:
            ValidationError: a position is not one of the ledger's, the ledger is v1,
                or a field is unknown, redacted, or personal and not asked for.
            VerificationError: a row is missing or was changed (run verify()).
            StoreError: the database failed.
        """
        return disclose_positions(
            self._store,
            self._rows,
            self._alg,
            requests,
            self._store.head(),
            include_personal=include_personal,
        )

    # -- verification ---------------------------------------------------------------

    def check_seal(self, seal: Seal | str) -> Seal:
        """Refuse unless the stored rows, recomputed, still give the seal's root at its size.

        Every row up to the seal's size is checked as ``verify()`` checks it (payload
        digest, envelope against leaf, stored interior nodes), and the leaves rebuilt
        from the rows are folded into a root. Anything computed "as of" a seal must
        pass this first: otherwise it would present changed data under the seal.

        Args:
            seal: a seal of this ledger (or its text).

        Returns:
            The parsed seal.

        Raises:
            ValidationError: the seal text is malformed, is for another ledger, or
                covers more events than the ledger holds.
            SealMismatchError: the rows no longer give the sealed root; the message
                names the seal and the first differing position.
            StoreError: the database failed.
        """
        the_seal = Seal.parse(seal) if isinstance(seal, str) else seal
        self._same_ledger(the_seal)
        size = the_seal.tree_size
        self._size(size, "tree_size")
        report = verify_ledger(
            origin=self._store.origin,
            alg=self._alg,
            head=size,
            batches=self._rows.row_batches(1, size),
            stored_frontier=None,
            seals=[],
            reader=self._store.node_reader(),
            max_problems=1,
            leaf_version=self._store.leaf_version,
            # A redaction recorded after the seal may erase values under it: that is
            # allowed (the leaves keep their digests), so every recorded one counts.
            redactions=self._rows.payloads_of_type(REDACTION_EVENT_TYPE, self._store.head()),
            registry=self._store.codec.registry,
        )
        if report.ok and report.root_hash == the_seal.root_hash:
            return the_seal
        sealed = (
            f"the seal of {the_seal.origin} at size {size}"
            + (f" (sealed {the_seal.sealed_at.isoformat()})" if the_seal.sealed_at else "")
            + f", root {the_seal.root_hash.hex()}"
        )
        if report.problems:
            first = report.problems[0]
            raise SealMismatchError(
                f"the ledger no longer matches {sealed}: first difference at {first}",
                tree_size=size,
                position=first.position,
            )
        rebuilt = report.root_hash.hex() if report.root_hash else "no root"
        raise SealMismatchError(
            f"the ledger no longer matches {sealed}: every row up to it still hashes to its "
            f"stored leaf, but together they give root {rebuilt}, so stored leaf hashes were "
            "rewritten or the seal was not made by this ledger",
            tree_size=size,
            position=None,
        )

    def verify(
        self,
        public_keys: PublicKeys = None,
        *,
        max_problems: int = MAX_PROBLEMS,
        workers: int | None = None,
    ) -> VerificationReport:
        """Recompute every leaf and root from the stored rows and check every seal.

        Args:
            public_keys: trusted key(s) to check seal signatures with (verifier key
                text or Verifier, or a list); signatures are not checked when None.
            max_problems: problems to keep in the report (the rest are counted).
            workers: processes to verify a SQL ledger file or server with (this one
                included); None uses every core, 1 verifies in this process only.
                Ledgers of fewer than 50,000 events per process use fewer.

        Returns:
            The report: ``.ok``, ``.problems``, a readable ``str()``, and ``.ranges``
            (the split of positions across processes).

        Raises:
            ValidationError: a key text is malformed, or workers is not an int >= 1.
            StoreError: the database failed (damage is reported, not raised).
        """
        verifiers = as_verifiers(public_keys)
        count = check_workers(workers)
        stored: Frontier | str
        try:
            stored = self._store.frontier()
            head = stored.size
        except StoreError as e:
            stored = str(e)
            head = self._store.head()
        report = verify_ledger(
            origin=self._store.origin,
            alg=self._alg,
            head=head,
            batches=self._rows.row_batches(1, head),
            stored_frontier=stored,
            seals=list(self._seals.stored()),
            cosignatures=list(self._seals.stored_cosignatures()),
            reader=self._store.node_reader(),
            verifiers=verifiers,
            max_problems=max_problems,
            leaf_version=self._store.leaf_version,
            redactions=self._rows.payloads_of_type(REDACTION_EVENT_TYPE, head),
            registry=self._store.codec.registry,
            walker=self._walker(head, count),
        )
        # The walk reads positions up to the head; a row inserted after it around the store
        # (no append moved the head) would otherwise go unseen, e.g. in a replica.
        extra = self._derived_problems()
        if (past := self._past_head(head)) is not None:
            extra.insert(0, past)
        if not extra:
            return report
        return attrs.evolve(report, problems=(*report.problems, *extra))

    def _past_head(self, head: int) -> Problem | None:
        """A row stored after the head: the walk reads positions up to the head, so a row
        inserted after it around the store (no append moved the head) would otherwise go
        unseen, e.g. in a replica."""
        try:
            stray = next(iter(self._rows.rows(head + 1, _LAST_POSITION)), None)
        except DamagedRowError as e:  # its id is not even a UUID
            position, what = e.position, "a damaged row"
        else:
            if stray is None:
                return None
            position, what = stray.position, f"a row (event {stray.event_id})"
        return Problem(
            position,
            ProblemKind.PAST_HEAD,
            f"{what} is stored after the head {head}: no append or sync wrote it, so it was "
            "inserted around the store",
        )

    def _derived_problems(self) -> list[Problem]:
        """PostgreSQL's parsed payload column, which figures are computed from, still follows
        the verified payloads (see ``store.sql.derived``); nothing to check elsewhere."""
        target = self._store.sql_target()
        if target is None or target.engine.dialect.name != "postgresql":
            return []
        from civicledger.store.sql.derived import derived_problems

        return [
            Problem(position, ProblemKind.DERIVED, message)
            for position, message in derived_problems(target.engine, target.ledger_id)
        ]

    def _walker(self, head: int, workers: int) -> Walker | None:
        """Split the walk across processes for a SQL ledger (see ``audit.parallel``)."""
        target = self._store.sql_target()
        if workers == 1 or target is None:
            return None
        # Imported only for SQL stores: an in-memory ledger audits without SQLAlchemy.
        from civicledger.audit.parallel import sql_walker

        return sql_walker(self._store, target, self._rows, head, workers)

    # -- helpers ------------------------------------------------------------------

    def _size(self, size: int | None, name: str) -> int:
        head = self._store.head()
        if size is None:
            return head
        _check_int(name, size)
        if size > head:
            raise ValidationError(
                f"{name} {size} is larger than the ledger (head {head})", field=name
            )
        return size

    def _same_ledger(self, seal: Seal) -> None:
        seal.check_ledger(self._store.origin, self._alg.name)

    def _envelope(self, position: int) -> tuple[bytes, bytes]:
        """The canonical envelope rebuilt from the row at ``position``, and its stored leaf."""
        row = next(iter(self._rows.rows(position, position)), None)
        if row is None:
            raise VerificationError(f"the row at position {position} is missing; run verify()")
        return self._row_envelope(row), row.leaf_hash

    def _row_envelope(self, row: StoredRow) -> bytes:
        try:
            return row.envelope(self._store.origin, self._alg.name, self._store.leaf_version)
        except ValidationError as e:
            raise VerificationError(
                f"the row at position {row.position} is damaged ({e.message}); run verify()"
            ) from e


def _signer(signer: Signer | str) -> Signer:
    if isinstance(signer, Signer):
        return signer
    if isinstance(signer, str):
        return Signer.from_text(signer)
    raise ValidationError(
        f"signer must be a Signer or a signer key text, got {signer.__class__.__name__}",
        field="signer",
    )


def _check_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"{name} must be an int, got {value!r}", field=name)
