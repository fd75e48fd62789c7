"""Check a published report over a set of ledgers against those ledgers.

:func:`verify_set_report` does for a ``civicledger-rollup-report/1`` document what
:func:`~civicledger.reports.verify.verify_report` does for one ledger's report:
it checks the embedded digests, checks every ledger against the seal the report
states for it, rebuilds the report from the embedded template as of those seals
and compares every figure (each rolled-up figure and each ledger's own), then the
whole document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from civicledger.errors import CivicLedgerError, ValidationError
from civicledger.projections import Period
from civicledger.reports.gather_set import SetMember, build_from_set
from civicledger.reports.render.json import ROLLUP_FORMAT, render_json
from civicledger.reports.template import load_template_text
from civicledger.reports.verify import (
    NOT_THE_SEALED_LEDGER,
    ReportCheck,
    check_stated_seal,
    compare_figures,
    first_difference,
)

__all__ = ["verify_set_report"]


class _Set(Protocol):
    """The ledgers a set report is checked against (``civicledger.LedgerSet``)."""

    @property
    def ledgers(self) -> Sequence[SetMember]:
        """The ledgers."""


def _load(report_json: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(report_json, Mapping):
        data: Any = dict(report_json)
    else:
        try:
            data = json.loads(report_json)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValidationError(f"the report is not valid JSON: {e}", field="report") from None
    if not isinstance(data, dict) or data.get("format") != ROLLUP_FORMAT:
        raise ValidationError(
            f"the report is not a report over a set of ledgers (format must be "
            f"{ROLLUP_FORMAT!r}; check one ledger's report with verify_report)",
            field="format",
        )
    return data


def verify_set_report(report_json: str | bytes | Mapping[str, Any], ledgers: _Set) -> ReportCheck:
    """Check a set report's JSON against the ledgers it was rendered from.

    Args:
        report_json: the report as ``report.to_json()`` wrote it (text, bytes or parsed).
        ledgers: a set holding every ledger the report names (``civicledger.LedgerSet``;
            it may hold more).

    Returns:
        A :class:`~civicledger.reports.ReportCheck` (its ``position`` is 0: each
        ledger's is in the report); every problem names its ledger or figure.

    Raises:
        ValidationError: the input is not a set report's JSON.
    """
    data = _load(report_json)
    problems: list[str] = []
    template = data.get("template") or {}
    indicators = data.get("indicators") or {}
    source, indicator_text = template.get("source", ""), indicators.get("source", "")
    if hashlib.sha256(source.encode("utf-8")).hexdigest() != template.get("sha256"):
        problems.append("the embedded template does not match its SHA-256")
    if indicator_text and (
        hashlib.sha256(indicator_text.encode("utf-8")).hexdigest() != indicators.get("sha256")
    ):
        problems.append("the embedded indicator set does not match its SHA-256")
    by_name = {ledger.name: ledger for ledger in ledgers.ledgers}
    points: list[tuple[SetMember, object]] = []
    for stated in data.get("ledgers") or []:
        name = stated.get("name") if isinstance(stated, dict) else None
        ledger = by_name.get(str(name))
        if ledger is None:
            problems.append(f"ledger {name!r} of the report is not in the set checked against")
            continue
        found: list[str] = []
        point = check_stated_seal({"as_of": stated}, ledger, found)
        problems.extend(f"ledger {name!r}: {p}" for p in found)
        points.append((ledger, point))
    if not points and not problems:
        problems.append("the report names no ledger")
    if problems:
        changed = any(NOT_THE_SEALED_LEDGER in p for p in problems)
        return ReportCheck(False, tuple(problems), 0, 0, ledger_changed=changed)
    distinct = data.get("distinct")
    try:
        if distinct not in ("ledger", "key"):
            raise ValidationError(f"the report's distinct is {distinct!r}, not 'ledger' or 'key'")
        period = Period.parse(str((data.get("period") or {}).get("key", "")))
        rebuilt_template = load_template_text(
            source, path=template.get("name", "report.toml"), sha256=template.get("sha256")
        )
        report = build_from_set(
            points, rebuilt_template, indicator_text, period=period, distinct=distinct
        )
        rebuilt = json.loads(render_json(report))
    except CivicLedgerError as e:
        problems.append(f"the report cannot be rebuilt from the ledgers: {e}")
        return ReportCheck(False, tuple(problems), 0, 0)
    compare_figures(data.get("figures") or [], rebuilt, problems)
    if not problems and rebuilt != data:
        problems.append(f"the report differs from the ledgers at {first_difference(data, rebuilt)}")
    return ReportCheck(
        not problems, tuple(problems), len(rebuilt["figures"]), 0, ledgers=len(points)
    )
