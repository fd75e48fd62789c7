"""Check a published report against the ledger: its seal, its template and every figure.

A report's JSON carries what a verifier needs: the seal's checkpoint, the
template's and the indicator set's text with their SHA-256, and every figure
with its lineage. :func:`verify_report` checks the digests, checks that the
ledger's Merkle root at the sealed tree size is the sealed root, rebuilds the
report from the embedded template as of the seal, and compares every figure
(value and lineage) and then the whole document.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

from civicledger.errors import CivicLedgerError, SealMismatchError, ValidationError
from civicledger.projections import Period
from civicledger.reports.gather import build_from_ledger
from civicledger.reports.render.json import FORMAT, render_json
from civicledger.reports.template import load_template_text

__all__ = [
    "NOT_THE_SEALED_LEDGER",
    "ReportCheck",
    "check_stated_seal",
    "compare_figures",
    "first_difference",
    "verify_report",
]


@attrs.frozen
class ReportCheck:
    """The outcome of :func:`verify_report`.

    Attributes:
        ok: True when nothing differs.
        problems: every difference found, one sentence each.
        figures_checked: how many figures were compared.
        position: the ledger position the report was checked as of.
        ledger_changed: the ledger no longer matches the report's seal, so the
            report could not be checked (the problems say where the ledger differs).
        ledgers: for a report over a set of ledgers, how many it was checked against
            (each at the seal the report states; ``position`` is then 0); else 0.
    """

    ok: bool
    problems: tuple[str, ...]
    figures_checked: int
    position: int
    ledger_changed: bool = False
    ledgers: int = 0

    def __str__(self) -> str:
        if self.ok and self.ledgers:
            head = (
                f"report verified: {self.figures_checked} figures across {self.ledgers} "
                "ledgers, each as of the seal the report states"
            )
        elif self.ok:
            head = f"report verified: {self.figures_checked} figures as of position {self.position}"
        elif self.ledger_changed:
            head = "report NOT checked: the ledger no longer matches the seal the report states:"
        else:
            head = f"report does NOT verify ({len(self.problems)} problems):"
        return "\n".join([head, *(f"- {p}" for p in self.problems)])


@attrs.frozen
class _SealedAt:
    """The seal as the report states it, in the shape ``ledger.report`` accepts."""

    tree_size: int
    root_hash: bytes
    text: str


def _load(report_json: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(report_json, Mapping):
        return dict(report_json)
    try:
        data = json.loads(report_json)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValidationError(f"the report is not valid JSON: {e}", field="report") from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, _FORMAT_1):
        raise ValidationError(
            f"the report is not a civicledger report (format must be {FORMAT!r} or {_FORMAT_1!r})",
            field="format",
        )
    return data


_FORMAT_1 = "civicledger-report/1"
"""The first version of the report JSON: without ``excluded_events``; still verified."""


def _as_version_1(data: dict[str, Any]) -> dict[str, Any]:
    """A rebuilt report in the first version's shape, to compare with a published one."""

    def strip(lineage: Any) -> Any:
        if not isinstance(lineage, dict):
            return lineage
        return {
            k: strip(v) if k in ("numerator", "denominator") else v
            for k, v in lineage.items()
            if k != "excluded_events"
        }

    figures = [{**f, "lineage": strip(f["lineage"])} for f in data["figures"]]
    return {**data, "format": _FORMAT_1, "figures": figures}


def _parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """Origin, tree size and root from a C2SP checkpoint's first three lines."""
    lines = text.split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise ValidationError("the report's seal is not a checkpoint", field="as_of.checkpoint")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error as e:
        raise ValidationError(
            f"the seal's root is not base64: {e}", field="as_of.checkpoint"
        ) from e
    return lines[0], int(lines[1]), root


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """The path of the first place two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return first_difference(x, y, f"{path}[{index}]")
        if len(a) != len(b):
            return f"{path} (length {len(a)} in the report, {len(b)} from the ledger)"
    return path or "(document)"


NOT_THE_SEALED_LEDGER = (
    "the ledger no longer matches the report's seal, so the report cannot be checked "
    "against this ledger (the fault is in the ledger, not necessarily in the report)"
)


def check_stated_seal(data: dict[str, Any], ledger: Any, problems: list[str]) -> Any:
    """Check the embedded seal against the ledger; return what to rebuild as of (None: stop)."""
    as_of = data.get("as_of") or {}
    checkpoint = as_of.get("checkpoint")
    position = as_of.get("position")
    if checkpoint is None:
        if not isinstance(position, int):
            raise ValidationError("the report states no as-of position", field="as_of.position")
        return position
    origin, size, root = _parse_checkpoint(checkpoint)
    if size != as_of.get("tree_size") or root.hex() != as_of.get("root_hash"):
        problems.append("the report's as_of does not match its own checkpoint text")
    if origin != ledger.origin:
        problems.append(f"the seal is for ledger {origin!r}, not this ledger ({ledger.origin!r})")
    if problems:
        return None
    if size > ledger.head():
        problems.append(
            f"{NOT_THE_SEALED_LEDGER}: the seal covers {size} events but the ledger has only "
            f"{ledger.head()}"
        )
        return None
    try:
        ledger.check_seal(checkpoint)
    except (SealMismatchError, ValidationError) as e:
        problems.append(f"{NOT_THE_SEALED_LEDGER}: {e}")
        return None
    return _SealedAt(size, root, checkpoint)


def verify_report(report_json: str | bytes | Mapping[str, Any], ledger: Any) -> ReportCheck:
    """Check a report's JSON against a ledger.

    Args:
        report_json: the report as ``report.to_json()`` wrote it (text, bytes or parsed).
        ledger: the ledger it claims to come from (``civicledger.Ledger``).

    Returns:
        A :class:`ReportCheck`; ``ok`` is False with every problem listed when the
        seal, a digest, a figure or any statement differs.

    Raises:
        ValidationError: the input is not a civicledger report's JSON.
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
    as_of = check_stated_seal(data, ledger, problems)
    figures = data.get("figures") or []
    position = (data.get("as_of") or {}).get("position", 0)
    if as_of is None or problems:
        changed = any(p.startswith(NOT_THE_SEALED_LEDGER) for p in problems)
        return ReportCheck(False, tuple(problems), 0, position, ledger_changed=changed)
    period_key = str((data.get("period") or {}).get("key", ""))
    try:
        period = Period.parse(period_key)
        rebuilt_template = load_template_text(
            source, path=template.get("name", "report.toml"), sha256=template.get("sha256")
        )
        report = build_from_ledger(
            ledger, rebuilt_template, indicator_text, period=period, as_of=as_of
        )
        # Through JSON text, so both sides hold the same kinds (lists, not tuples).
        rebuilt = json.loads(render_json(report))
        if data.get("format") == _FORMAT_1:
            rebuilt = _as_version_1(rebuilt)
    except CivicLedgerError as e:
        problems.append(f"the report cannot be rebuilt from the ledger: {e}")
        return ReportCheck(False, tuple(problems), 0, position)
    compare_figures(figures, rebuilt, problems)
    if not problems and rebuilt != data:
        problems.append(f"the report differs from the ledger at {first_difference(data, rebuilt)}")
    return ReportCheck(not problems, tuple(problems), len(rebuilt["figures"]), position)


def compare_figures(figures: Any, rebuilt: dict[str, Any], problems: list[str]) -> None:
    """Compare a report's figures with the rebuilt ones, one problem per differing figure."""
    theirs = {f.get("ref"): f for f in figures if isinstance(f, dict)}
    ours = {f["ref"]: f for f in rebuilt["figures"]}
    for ref in sorted(set(theirs) | set(ours), key=lambda r: (len(str(r)), str(r))):
        stated, computed = theirs.get(ref), ours.get(ref)
        if stated is None or computed is None:
            problems.append(
                f"figure {ref} is {'missing from' if stated is None else 'not in'} the report"
            )
            continue
        name = computed["indicator"]
        if stated.get("value") != computed["value"]:
            problems.append(
                f"figure {ref} ({name}): the report says {stated.get('value')!r}, "
                f"the ledger gives {computed['value']!r}"
            )
        elif stated != computed:
            where = first_difference(stated, computed)
            problems.append(f"figure {ref} ({name}): its lineage differs at {where}")
