"""A set of ledgers read as one source: a street's figures from its communities' ledgers.

:class:`LedgerSet` computes each figure in every ledger (each one pass, with the
SQL pushdown where the ledger has it) and combines them with
:func:`civicledger.projections.rollup.roll_up`; see ``docs/rollups.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, cast

import attrs

from civicledger.errors import ProjectionError, ValidationError
from civicledger.events import Codec
from civicledger.ledger import Ledger, _load_default_vocabulary, indicators_at
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.store import Clock

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from civicledger.audit.keys import PublicKeys
    from civicledger.audit.points import LedgerPoint
    from civicledger.followups import FollowUp
    from civicledger.projections import FigureList, Indicator, IndicatorSet, Period
    from civicledger.projections.compare import Basis
    from civicledger.projections.engine import Pushdown
    from civicledger.projections.rollup import DistinctMode, RollupComparison, RollupFigure
    from civicledger.reports import Report, Template
    from civicledger.reports.evidence_set import SetEvidenceSummary

LATEST_SEAL = "latest-seal"
"""``as_of=LATEST_SEAL``: read every ledger at its latest seal."""


@attrs.frozen
class LedgerFollowUp:
    """One row of a set's rectification ledger (整改台账): a follow-up and its ledger.

    Attributes:
        ledger: the name of the ledger the problem was recorded in.
        followup: the follow-up as that ledger projects it.
    """

    ledger: str
    followup: FollowUp


class LedgerSet:
    """Several ledgers read as one source; each figure is rolled up across them.

    Open one with :meth:`Ledger.open_many` (ledgers of one database, by name or by
    name prefix) or build one from open ledgers, and use it as a context manager::

        with Ledger.open_many("sqlite:///street.db", prefix="street-x/") as street:
            for rollup in street.indicators("indicators.toml", period="2023"):
                print(rollup, rollup.by_ledger())
    """

    def __init__(self, ledgers: Sequence[Ledger]) -> None:
        """Read these ledgers as one source (closing the set closes them).

        Raises:
            ValidationError: no ledgers, something else than a Ledger, or two
                ledgers with the same name or origin.
        """
        if isinstance(ledgers, Ledger) or not isinstance(ledgers, Sequence) or not ledgers:
            raise ValidationError(
                f"a ledger set needs a non-empty list of ledgers, got {ledgers!r}",
                field="ledgers",
            )
        for i, ledger in enumerate(ledgers):
            if not isinstance(ledger, Ledger):
                raise ValidationError(
                    f"ledgers[{i}] is a {type(ledger).__name__}, not a Ledger", field="ledgers"
                )
        for attribute in ("name", "origin"):
            seen: set[str] = set()
            for ledger in ledgers:
                value = getattr(ledger, attribute)
                if value in seen:
                    raise ValidationError(
                        f"two ledgers of the set have the {attribute} {value!r}; a roll-up "
                        "must tell its ledgers apart",
                        field="ledgers",
                    )
                seen.add(value)
        self._ledgers = tuple(ledgers)

    @classmethod
    def open(
        cls,
        url: str | URL,
        names: Sequence[str] | None = None,
        *,
        prefix: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
        limits: Limits | None = None,
    ) -> LedgerSet:
        """Open existing ledgers of one database as a set; see :meth:`Ledger.open_many`."""
        from civicledger.store.sql import SqlStore

        _load_default_vocabulary(codec)
        stores = SqlStore.open_many(
            url,
            names,
            prefix=prefix,
            clock=clock,
            codec=codec,
            limits=limits or DEFAULT_LIMITS,
        )
        return cls([Ledger(store, limits=limits) for store in stores])

    # -- the ledgers --------------------------------------------------------------------

    @property
    def ledgers(self) -> tuple[Ledger, ...]:
        """The ledgers, in the set's order."""
        return self._ledgers

    @property
    def names(self) -> tuple[str, ...]:
        """The ledgers' names, in the set's order."""
        return tuple(ledger.name for ledger in self._ledgers)

    def __len__(self) -> int:
        return len(self._ledgers)

    def __iter__(self) -> Iterator[Ledger]:
        return iter(self._ledgers)

    def __getitem__(self, name: str) -> Ledger:
        for ledger in self._ledgers:
            if ledger.name == name:
                return ledger
        raise KeyError(f"no ledger {name!r} in this set (it has: {', '.join(self.names)})")

    def close(self) -> None:
        """Close every ledger of the set."""
        for ledger in self._ledgers:
            ledger.close()

    def __enter__(self) -> LedgerSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- figures across the ledgers --------------------------------------------------------

    def compute(
        self,
        indicator: Indicator,
        period: Period | int | str,
        *,
        as_of: object = None,
        distinct: DistinctMode = "ledger",
    ) -> RollupFigure:
        """One ungrouped indicator rolled up across the ledgers.

        Args:
            indicator: the indicator (ungrouped; use :meth:`indicators` for groups).
            period: a Period, a year or its text (``"2023-Q4"``).
            as_of: None (each ledger's head), :data:`LATEST_SEAL` (each ledger's latest
                seal) or a mapping from ledger name to a position or seal (ledgers not
                named: their head).
            distinct: how ``count_distinct`` treats one key in two ledgers:
                ``"ledger"`` (counted in each) or ``"key"`` (once).

        Returns:
            The roll-up, with each ledger's figure in ``parts``.

        Raises:
            ProjectionError: the indicator is grouped, or a computation fails.
            ValidationError: ``as_of`` names a ledger not in the set, or a ledger has no seal.
        """
        from civicledger.projections.rollup import roll_up

        (rollup,) = roll_up(
            [
                (ledger.name, ledger.origin, [ledger.compute(indicator, period, as_of=point)])
                for ledger, point in self._points(as_of)
            ],
            distinct=distinct,
        )
        return rollup

    def indicators(
        self,
        indicator_set: IndicatorSet | str | Path | Sequence[Indicator],
        *,
        period: Period | int | str | None = None,
        year: int | None = None,
        as_of: object = None,
        lineage: bool | Literal["lazy"] = True,
        distinct: DistinctMode = "ledger",
    ) -> list[RollupFigure]:
        """Every figure of an indicator set, rolled up across the ledgers.

        Each ledger is computed as :meth:`Ledger.indicators` computes it (``as_of`` and
        ``distinct`` as for :meth:`compute`); the figures are then combined per
        indicator, period and group (see :mod:`civicledger.projections.rollup`).

        Raises:
            ValidationError: the set, the period or ``as_of`` is invalid.
            ProjectionError: a computation fails.
        """
        from civicledger.projections.rollup import roll_up
        from civicledger.projections.service import as_indicator_set, choose_period

        resolved = as_indicator_set(indicator_set)
        chosen = choose_period(period, year)
        points = self._points(as_of)
        figures = _indicators_together(points, resolved, chosen, lineage)
        return roll_up(
            [
                (ledger.name, ledger.origin, ledger_figures)
                for (ledger, _), ledger_figures in zip(points, figures, strict=True)
            ],
            distinct=distinct,
        )

    def compare(
        self,
        indicator: Indicator,
        current: Period | int | str,
        previous: Period | int | str | None = None,
        *,
        against: Literal["year", "period"] = "year",
        as_of: object = None,
        distinct: DistinctMode = "ledger",
    ) -> list[RollupComparison]:
        """同比 (``against="year"``) or 环比 (``"period"``) of a roll-up, or against a named
        ``previous`` period: both periods rolled up across the ledgers (``as_of`` and
        ``distinct`` as for :meth:`compute`), one comparison per group.

        Raises:
            ProjectionError: a period is malformed, or equal to the other.
            ValidationError: the period has no counterpart of that kind, or ``as_of``
                is invalid.
        """
        from civicledger.projections.compare import earlier_period
        from civicledger.projections.rollup import compare_rollups, roll_up
        from civicledger.projections.service import as_period

        now = as_period(current)
        basis: Basis = against if previous is None else "given"
        before = earlier_period(now, against) if previous is None else as_period(previous)
        if before == now:
            raise ProjectionError(f"{indicator.id}: cannot compare {now.key} with itself")
        points = self._points(as_of)
        rolled = [
            roll_up(
                [
                    (ledger.name, ledger.origin, ledger.indicators([indicator], period=p, as_of=at))
                    for ledger, at in points
                ],
                distinct=distinct,
            )
            for p in (now, before)
        ]
        return compare_rollups(*rolled, periods=(now, before), basis=basis)

    def followups(self, as_of: date | Period | str | None = None) -> list[LedgerFollowUp]:
        """The rectification ledger (整改台账) across the ledgers, each row naming its ledger:
        every ledger's rows (see :meth:`Ledger.followups`, ``as_of`` likewise), ledger by
        ledger in the set's order.

        Raises:
            ValidationError: ``as_of`` is text that is not a period.
        """
        return [
            LedgerFollowUp(ledger.name, row)
            for ledger in self._ledgers
            for row in ledger.followups(as_of)
        ]

    def report(
        self,
        template: Template | str | Path,
        *,
        period: Period | int | str | None = None,
        year: int | None = None,
        as_of: object = None,
        distinct: DistinctMode = "ledger",
    ) -> Report:
        """A report over the set: each figure rolled up across the ledgers, with every
        ledger's own figure available to the template (see ``docs/rollups.md``).

        Args:
            template: a template or its TOML file.
            period: the period (``"2023"``, ``"2023-Q4"``); ``year`` is the shorthand.
            year: the year, instead of ``period``.
            as_of: as for :meth:`compute`; read at seals (:data:`LATEST_SEAL` or a seal
                per ledger), the report embeds every seal and renders again, byte for
                byte, from them.
            distinct: as for :meth:`compute`.

        Returns:
            The report (JSON format ``civicledger-rollup-report/1``).

        Raises:
            TemplateError: the template or its indicator set cannot be used.
            ValidationError: ``as_of`` names a ledger not in the set, a ledger has no
                seal, or a seal is of another ledger (the message names the ledger).
            SealMismatchError: a ledger no longer matches its seal.
        """
        from civicledger.projections.service import choose_period
        from civicledger.reports import load_template
        from civicledger.reports.gather_set import report_from_set

        chosen = choose_period(period, year)
        loaded = template if not isinstance(template, str | Path) else load_template(template)
        # A report states its seals: each ledger must still match the one it is read at.
        points = self._points(as_of, matched=True)
        return report_from_set(points, loaded, period=chosen, distinct=distinct)

    def evidence(
        self,
        report: Report | str | Path,
        path: str | Path,
        *,
        public_keys: Sequence[str] = (),
        cosigner_keys: PublicKeys = (),
    ) -> SetEvidenceSummary:
        """Write the evidence bundle of a set report read at seals (``report``: a Report,
        its JSON text, or the path of its JSON file), one folder per ledger, with the keys
        of the cosigners it checked; see :func:`.reports.evidence_set.write_set_evidence`."""
        from civicledger.reports.evidence_set import write_set_evidence

        text = report.to_json() if not isinstance(report, str | Path) else report
        if isinstance(text, Path):
            text = text.read_text(encoding="utf-8")
        return write_set_evidence(self, text, path, public_keys, cosigner_keys)

    def explain(self, rollup: RollupFigure, language: str = "zh") -> str:
        """How a roll-up was derived: its combination, each ledger's value and as-of point,
        and each ledger's own explanation down to its events; see
        :func:`.projections.rollup.explain_rollup`."""
        from civicledger.projections.rollup import explain_rollup

        return explain_rollup(rollup, language)  # type: ignore[arg-type]

    def _points(
        self, as_of: object, *, matched: bool = False
    ) -> list[tuple[Ledger, LedgerPoint | None]]:
        """Each ledger with the point it is read at (each ledger refuses a point of another
        kind when it reads at it; ``matched``: each seal is checked against the ledger's
        stored rows too)."""
        if as_of is None:
            return [(ledger, None) for ledger in self._ledgers]
        if as_of == LATEST_SEAL:
            points: list[tuple[Ledger, LedgerPoint | None]] = []
            for ledger in self._ledgers:
                seals = ledger.seals()
                if not seals:
                    raise ValidationError(
                        f"ledger {ledger.name!r} has no seal to read at; seal it first "
                        "(civicledger seal) or read it at its head",
                        field="as_of",
                    )
                # The latest seal with its stored cosignatures: the report names who cosigned.
                points.append((ledger, _checked(ledger, ledger.cosigned(seals[-1]), matched)))
            return points
        if isinstance(as_of, Mapping):
            unknown = sorted(str(n) for n in as_of if n not in self.names)
            if unknown:
                raise ValidationError(
                    f"as_of names ledger(s) {', '.join(unknown)} not in this set "
                    f"(it has: {', '.join(self.names)})",
                    field="as_of",
                )
            return [
                (
                    ledger,
                    _checked(ledger, cast("LedgerPoint | None", as_of.get(ledger.name)), matched),
                )
                for ledger in self._ledgers
            ]
        raise ProjectionError(
            f"a ledger set's as_of is None, {LATEST_SEAL!r} or a mapping from ledger name to "
            f"a position or seal, not {as_of!r}"
        )


def _indicators_together(
    points: Sequence[tuple[Ledger, LedgerPoint | None]],
    indicator_set: IndicatorSet,
    period: Period,
    lineage: bool | Literal["lazy"],
) -> list[FigureList]:
    """Each ledger's figures as :meth:`Ledger.indicators` gives them, with the ledgers of one
    SQL database (and codec) computed together by a set-level pushdown: their heads read
    in one query and their figures in about as many queries as one ledger's. A ledger the
    set-level pushdown leaves out (amending events, rows it cannot rebuild) is computed by
    its own pushdown, as alone."""
    from civicledger.projections.declared import check_declared_fields
    from civicledger.projections.engine import bind, event_classes, resolve_as_of
    from civicledger.projections.service import periods_for
    from civicledger.pushdown import SqlPushdown, pushdown_for
    from civicledger.pushdown.set_pushdown import PrecomputedPushdown, SetPushdown

    own = [pushdown_for(ledger.store) for ledger, _ in points]
    groups: dict[tuple[int, int], list[int]] = {}
    for index, pushdown in enumerate(own):
        if pushdown is not None:
            key = (id(pushdown.target.engine), id(pushdown.codec.registry))
            groups.setdefault(key, []).append(index)
    together = [
        (members, SetPushdown([cast("SqlPushdown", own[i]) for i in members]))
        for members in groups.values()
        if len(members) > 1
    ]
    heads: dict[int, int] = {}
    for members, shared in together:
        heads.update(zip(members, shared.heads(), strict=True))
    for index, (ledger, _) in enumerate(points):
        if index not in heads:
            heads[index] = ledger.head()
    # Each seal was checked against its ledger when the points were chosen (_points).
    resolved = [resolve_as_of(point, heads[index]) for index, (_, point) in enumerate(points)]
    pushdowns: list[Pushdown | None] = list(own)
    requests = bind(
        [(i, p) for i in indicator_set if i.followups is None for p in periods_for(i, period)]
    )
    if requests:
        for members, shared in together:
            first = points[members[0]][0]
            # The one-ledger path refuses an undeclared field before any query: so do we.
            check_declared_fields((i for i, _ in requests), event_classes(first.store))
            exact = lineage is True
            shares = shared.compute(requests, [resolved[i] for i in members], lineage=exact)
            for i, share in zip(members, shares, strict=True):
                inner = cast("SqlPushdown", own[i])
                pushdowns[i] = PrecomputedPushdown(inner, requests, resolved[i], exact, share)
    return [
        indicators_at(
            ledger.store,
            indicator_set,
            period,
            None,
            resolved[index],
            heads[index],
            lineage,
            pushdowns[index],
        )
        for index, (ledger, _) in enumerate(points)
    ]


def _checked(ledger: Ledger, point: LedgerPoint | None, matched: bool) -> LedgerPoint | None:
    """A seal given for a ledger, refused (naming the ledger) if it is another ledger's or
    (``matched``) the ledger no longer matches it; a position or None as it is."""
    from civicledger.audit import Seal
    from civicledger.errors import SealMismatchError

    if not isinstance(point, Seal):
        return point
    try:
        point.check_ledger(ledger.origin, ledger.hash_algorithm)
        if matched:
            ledger.check_seal(point)
            ledger.check_cosigned(point)
    except ValidationError as e:
        raise ValidationError(f"ledger {ledger.name!r}: {e.message}", field="as_of") from None
    except SealMismatchError as e:
        raise SealMismatchError(
            f"ledger {ledger.name!r}: {e}", tree_size=e.tree_size, position=e.position
        ) from None
    return point


__all__ = ["LATEST_SEAL", "LedgerFollowUp", "LedgerSet"]
