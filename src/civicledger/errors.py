"""The exceptions civicledger raises: one root, a few families.

Every error a caller can see is a :class:`CivicLedgerError`. Driver and library
errors are translated at the boundary (``raise ... from e``), so callers never
need to catch ``sqlalchemy.exc`` or ``cattrs`` exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence


class CivicLedgerError(Exception):
    """Raised when civicledger cannot do what was asked; the root of every error here."""


class ValidationError(CivicLedgerError, ValueError):
    """Raised when a value, an event or an input file is not valid.

    Attributes:
        event_type: the stored type name of the event concerned, if any.
        field: the field concerned (dotted for nested values), if any.
        line: the 1-based line number in an input file, if any.
        event_id: the id of the event concerned, if any.
        problems: for whole-file validation, every problem found, each itself a
            ValidationError with its own line and field.
    """

    def __init__(
        self,
        message: str,
        *,
        event_type: str | None = None,
        field: str | None = None,
        line: int | None = None,
        event_id: str | None = None,
        problems: Sequence[ValidationError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.event_type = event_type
        self.field = field
        self.line = line
        self.event_id = event_id
        self.problems = tuple(problems)


class UnknownEventTypeError(ValidationError):
    """Raised when an event type name (or name and version) is not registered."""


class EventDefinitionError(CivicLedgerError, TypeError):
    """Raised when an event class cannot be registered: bad annotation, name clash."""


class StoreError(CivicLedgerError):
    """Raised when the event store fails; subclasses say why."""


class ConcurrencyError(StoreError):
    """Raised when an append's expected version does not match the stream's version."""


class DuplicateEventError(StoreError):
    """Raised when an event id is already stored with different content."""


class LedgerNotFoundError(StoreError):
    """Raised when a ledger is opened by name without creating it, and no such ledger exists."""


class HistoryMismatchError(StoreError):
    """Raised when a delivery to a replica differs from the history the replica holds.

    Nothing of the delivery is written.

    Attributes:
        position: the first position where the histories differ, or None when the
            receiver cannot tell (only the roots differ).
    """

    def __init__(self, message: str, *, position: int | None) -> None:
        super().__init__(message)
        self.position = position


class DamagedRowError(StoreError):
    """Raised when a stored event row holds a value no event can have (an event id that
    is not a UUID, a date that is not a date), so it cannot be read: the database was
    changed around the store. ``verify()`` reports such a row at its position instead.

    Attributes:
        position: the row's position.
    """

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(message)
        self.position = position


class SchemaMismatchError(StoreError):
    """Raised when a database was written by an incompatible civicledger schema version."""


class ProjectionError(CivicLedgerError):
    """Raised when a projection, indicator or report cannot be computed."""


class VerificationError(CivicLedgerError):
    """Raised when a proof, seal, signature or stored record does not verify."""


class SealMismatchError(VerificationError):
    """Raised when the ledger's stored rows no longer give a seal's root at its size.

    The seal is not at fault: the events it covers were changed since (or the
    seal was made by another ledger), so nothing can be computed "as of" it.

    Attributes:
        tree_size: the seal's tree size.
        position: the first position whose row differs from what it was, or None
            when the rows are self-consistent and only the root differs.
    """

    def __init__(self, message: str, *, tree_size: int, position: int | None) -> None:
        super().__init__(message)
        self.tree_size = tree_size
        self.position = position


# --- reports ---------------------------------------------------------------------


class TemplateError(ValidationError):
    """Raised when a report template cannot be loaded or rendered: bad TOML, a
    sentence with a syntax error, an unknown indicator, filter or name, or an
    attempt to reach Python internals.

    Attributes:
        path: the template file concerned, if known (``line`` and ``field``, from
            ValidationError, give the line and the name at fault).
    """

    def __init__(
        self,
        message: str,
        *,
        path: object = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, line=line, field=field)
        self.path = path


# --- corrections, retractions and redactions -------------------------------------


class CorrectionError(ValidationError):
    """Raised when a correction, retraction or redaction is refused: its target does
    not exist, is already retracted, is itself a redaction, or the replacement is of
    another type; ``event_id`` names the target."""
