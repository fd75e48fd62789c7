"""Gather a report's inputs from a ledger and build it: the body of ``Ledger.report``.

The ledger is used through a small protocol (read, head, indicators, explain),
so this module does not import the facade and the layers keep pointing one way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any, Protocol

from civicledger.errors import TemplateError, ValidationError
from civicledger.events import RecordedEvent, default_registry
from civicledger.limits import DEFAULT_LIMITS
from civicledger.projections import Figure, IndicatorSet, Period
from civicledger.projections.toml import loads as load_indicators
from civicledger.reports.build import ReportInputs, build_report
from civicledger.reports.model import Report, SealInfo
from civicledger.reports.template import Template

__all__ = ["LedgerSource", "build_from_ledger", "report_from_ledger", "seal_info"]


class LedgerSource(Protocol):
    """What building a report needs from a ledger (``civicledger.Ledger`` has it all)."""

    def read(
        self, *, to_position: int | None = None, occurred_between: tuple[date, date] | None = None
    ) -> Iterator[RecordedEvent]:
        """Stream recorded events in position order."""

    def head(self) -> int:
        """The position of the last recorded event."""

    def indicators(
        self, indicator_set: IndicatorSet, *, year: int, as_of: Any = None
    ) -> list[Figure]:
        """Compute every indicator of a set for a year."""


def seal_info(as_of: Any, head: int) -> SealInfo:
    """Describe what a report is computed as of.

    Args:
        as_of: None (the ledger's head now), a position, or a seal (anything with
            ``tree_size``, ``text`` and ``root_hash``).
        head: the ledger's head position.

    Returns:
        The position, and the seal's checkpoint and root when sealed.

    Raises:
        ValidationError: the position or seal lies beyond the ledger's head.
    """
    if as_of is None:
        return SealInfo(head, None, None, None)
    if isinstance(as_of, int) and not isinstance(as_of, bool):
        if not 0 <= as_of <= head:
            raise ValidationError(
                f"as_of position {as_of} is not within the ledger (head {head})", field="as_of"
            )
        return SealInfo(as_of, None, None, None)
    size = getattr(as_of, "tree_size", None)
    text = getattr(as_of, "text", None)
    root = getattr(as_of, "root_hash", None)
    if not isinstance(size, int) or not isinstance(text, str):
        raise ValidationError(
            f"as_of must be None, a position or a seal, got {type(as_of).__name__}", field="as_of"
        )
    if size > head:
        raise ValidationError(
            f"the seal covers {size} events but the ledger has {head}", field="as_of"
        )
    root_hex = root.hex() if isinstance(root, bytes) else str(root) if root is not None else None
    return SealInfo(size, size, root_hex, text)


def _indicator_text(template: Template) -> str:
    """The text of the template's indicator set file ("" when it names none)."""
    if template.indicators is None:
        return ""
    try:
        return template.indicators.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError(
            f"{template.name}: cannot read the indicator set {template.indicators}: {e}",
            path=template.path,
            field="report.indicators",
        ) from e


def report_from_ledger(
    ledger: LedgerSource, template: Template, *, year: int = 2023, as_of: Any = None
) -> Report:
    """Compute a report for a year from a ledger, as of now, a position or a seal.

    Args:
        ledger: a ``civicledger.Ledger`` (or anything with the same read, head,
            indicators and explain methods).
        template: a loaded template.
        year: the report's year.
        as_of: None, a position, or a seal: only events up to it are read.

    Returns:
        The report.

    Raises:
        TemplateError: the template or its indicator set cannot be used.
        ValidationError: ``as_of`` is beyond the ledger.
        ProjectionError: an absence claim is contradicted by the ledger.
    """
    return build_from_ledger(ledger, template, _indicator_text(template), year=year, as_of=as_of)


def build_from_ledger(
    ledger: LedgerSource, template: Template, indicators_text: str, *, year: int, as_of: Any
) -> Report:
    """Compute a report with the indicator set given as text (the verifier's way in).

    Args:
        ledger: as for :func:`report_from_ledger`.
        template: a loaded template.
        indicators_text: the indicator set's TOML ("" for none).
        year: the report's year.
        as_of: None, a position, or a seal.

    Returns:
        The report.

    Raises:
        TemplateError: as for :func:`report_from_ledger`.
        ValidationError: the indicator set is invalid or ``as_of`` is beyond the ledger.
        ProjectionError: an absence claim is contradicted by the ledger.
    """
    period = Period.year(year)
    info = seal_info(as_of, ledger.head())
    # Pin "now" to a position so figures and events are read from one prefix.
    pinned = info.position if as_of is None else as_of
    source = indicators_text
    indicator_set = (
        load_indicators(source, source=str(template.indicators)) if source else IndicatorSet(())
    )
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest() if source else ""
    figures = (
        ledger.indicators(indicator_set, year=year, as_of=pinned) if len(indicator_set) else []
    )
    uses_change = any("change" in s.filters for s in template.sentences())
    previous = ledger.indicators(indicator_set, year=year - 1, as_of=pinned) if uses_change else []
    explain = getattr(ledger, "explain", None)
    inputs = ReportInputs(
        period=period,
        indicators={i.id: i for i in indicator_set},
        figures=figures,
        previous=previous,
        records=ledger.read(to_position=info.position) if info.position else iter(()),
        as_of=info,
        known_types=frozenset(default_registry().type_names()),
        explain=(lambda f: str(explain(f))) if callable(explain) else None,
        indicators_source=source,
        indicators_sha256=digest,
        limits=getattr(ledger, "limits", DEFAULT_LIMITS),
    )
    return build_report(template, inputs)
