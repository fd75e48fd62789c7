"""What a report is computed from, and what it warns about its own coverage.

:class:`ReportInputs` is gathered from a ledger (or a set of ledgers) by
:mod:`civicledger.reports.gather` and :mod:`civicledger.reports.gather_set`, and
turned into a report by :func:`civicledger.reports.build.build_report`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from civicledger.events import RecordedEvent
from civicledger.followups import FollowUp
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.projections import Figure, Indicator, Period
from civicledger.projections.exclusions import FigureKey
from civicledger.reports.breakdown import Breakdown
from civicledger.reports.model import SealInfo
from civicledger.reports.rows import zh_date

__all__ = ["ReportInputs", "coverage_warnings"]


@attrs.frozen(kw_only=True)
class ReportInputs:
    """Everything a report is computed from.

    Attributes:
        period: the report's period.
        indicators: the indicator set's definitions, by id.
        figures: the figures of the period (every group of every indicator).
        previous: the figures of the same span a year earlier (for ``change`` and charts
            set against the year before); may be empty.
        steps: the figures of the charts' series: each step (month, quarter, week) of
            the period, and each step a year earlier where a chart asks; may be empty.
        records: the recorded events up to the as-of position, in position order
            (the effective view); read once, streaming.
        as_of: the position and seal the report is computed as of.
        known_types: every registered event type name (absence claims must name one).
        explain: renders a figure's derivation as text, or None.
        indicators_source: the indicator set file's text.
        indicators_sha256: its digest.
        limits: what rendering a sentence may spend (time, iterations, sizes).
        excluded: the ids of the events that did not count in each figure (by
            :func:`~civicledger.projections.exclusions.figure_key`), listed in the
            figure's lineage as ``excluded_events``.
        last_date: the last date the ledger speaks for (the latest ``occurred_on`` or
            recording date up to the as-of position), or None for an empty ledger;
            a report whose period ends later warns.
        rules: the outcomes of the indicator set's rules, as data (empty unless asked).
        events: reads the (effective) events of some types up to the as-of
            position, for lists of names; None when names cannot be listed.
        classes: the event classes by type name (personal fields are refused).
        breakdown: in a report over a set of ledgers, its ledgers and each rolled-up
            figure's per-ledger figures (``figures`` are then the rolled-up ones);
            None for a report over one ledger.
        followups: projects the rectification ledger from the problem events read
            (a set report keeps each ledger's problems apart); None: as one ledger.
        followup_figures: the rectification ledger's roll-up figures for the period
            from the problem events read; a set report rolls up each ledger's own
            (each then breaks down by ledger like an indicator). None: as one ledger.
    """

    period: Period
    indicators: Mapping[str, Indicator]
    figures: Sequence[Figure]
    previous: Sequence[Figure] = ()
    steps: Sequence[Figure] = ()
    records: Iterable[RecordedEvent]
    as_of: SealInfo
    known_types: frozenset[str] = frozenset()
    explain: Callable[[Figure], str] | None = None
    indicators_source: str = ""
    indicators_sha256: str = ""
    limits: Limits = DEFAULT_LIMITS
    excluded: Mapping[FigureKey, tuple[str, ...]] = attrs.field(factory=dict)
    events: Callable[[Sequence[str]], Iterable[RecordedEvent]] | None = None
    rules: tuple[dict[str, Any], ...] = ()
    last_date: date | None = None
    classes: Mapping[str, type] = attrs.field(factory=dict)
    breakdown: Breakdown | None = None
    followups: Callable[[Sequence[RecordedEvent], date], list[FollowUp]] | None = None
    followup_figures: Callable[[Sequence[RecordedEvent]], list[Figure]] | None = None


def coverage_warnings(period: Period, last_date: Any) -> tuple[str, ...]:
    """A warning when the ledger speaks for no day after one inside the period.

    Args:
        period: the report's period.
        last_date: the last recorded date (the latest ``occurred_on`` or recording
            date of an event up to the as-of point), or None for an empty ledger.

    Returns:
        One sentence (Chinese, then English) or nothing.
    """
    if last_date is not None and last_date >= period.end:
        return ()
    if last_date is None:
        return (
            f"账本中没有任何事件，{period.label}的数据全部缺失。"
            f" (The ledger records no events: nothing of {period.label_en} is covered.)",
        )
    return (
        f"账本最后记录的日期为{zh_date(last_date.isoformat())}，早于统计期末"
        f"{zh_date(period.end.isoformat())}：此后的事件尚未记录，数字可能不全。"
        f" (The last date the ledger records is {last_date.isoformat()}, before the end of "
        f"{period.label_en} on {period.end.isoformat()}: later events are missing.)",
    )
