"""Evidence bundles: one zip an office publishes beside a sealed report, checkable offline.

A bundle (format ``civicledger-evidence/2``, laid out in docs/audit.md) holds the
report's JSON, the signed seal the report embeds, the verifier key, the keys of the
seal's cosigners, every leaf envelope up to the seal, and for every figure the
disclosures of exactly the payload fields its indicator reads, for every event of
its types in its period, counted or not, with the reason each did not count.
``examples/verify_evidence.py`` checks it with the standard library alone (and
still reads format /1, which carried no cosigners' keys).

Personal fields are never disclosed: a figure whose indicator reads one is marked
as checked only up to the envelopes (which events there were), and says why.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.cosign import checked_cosignatures
from civicledger.audit.keys import PublicKeys, Verifier, as_verifiers
from civicledger.errors import ValidationError, VerificationError
from civicledger.events import Event, RecordedEvent, default_registry, is_personal, to_dict
from civicledger.followups import FIGURE_IDS
from civicledger.projections import Figure, Indicator, IndicatorSet, Period
from civicledger.projections.fields import ENVELOPE_FIELDS
from civicledger.projections.filters import Filter
from civicledger.projections.measures import CountDistinct, Latest, Ratio, Sum
from civicledger.projections.toml import loads as load_indicators
from civicledger.projections.whynot import why_not
from civicledger.reports.render.json import FORMAT as REPORT_FORMAT
from civicledger.reports.verify import verify_report

__all__ = [
    "EVIDENCE_FORMAT",
    "EvidenceSummary",
    "LedgerPart",
    "fields_read",
    "write_evidence",
    "write_ledger_part",
]

EVIDENCE_FORMAT = "civicledger-evidence/2"
"""The ``format`` of a bundle's manifest.json; bumped if the layout changes (/2: the
seal is the one the report embeds, and its cosignatures are listed with their keys)."""

COSIGNER_KEYS = "cosigners/"
"""The folder of a bundle's cosigner key files, one per key, shared by every seal."""

AMENDING_TYPES = ("event_corrected", "event_retracted", "event_redacted")
"""Events that amend others; the bundle discloses whom each one targets."""

Disclosed = tuple[int, tuple[str, ...]]
"""One line of a disclosure file: an event's position and the fields disclosed."""

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry no clock: same input, same bytes


class Disclosing(Protocol):
    """A disclosure as the bundle needs it (``civicledger.merkle.disclosure.Disclosure``)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        ...


class Enveloping(Protocol):
    """The audit operations a bundle needs (``civicledger.Ledger.audit`` has them)."""

    def envelopes(self, tree_size: int) -> Iterator[bytes]:
        """The canonical envelopes of positions 1..tree_size."""
        ...

    def disclose_positions(
        self, requests: Iterable[tuple[int, Sequence[str]]]
    ) -> Sequence[Disclosing]:
        """The disclosures of some payload fields of many events, by position."""
        ...


class EvidenceSource(Protocol):
    """What writing a bundle needs from a ledger (``civicledger.Ledger`` has it all)."""

    @property
    def origin(self) -> str:
        """The ledger's origin."""
        ...

    def read(
        self,
        *,
        types: Sequence[str] | None = None,
        to_position: int | None = None,
        effective: bool = False,
    ) -> Iterator[RecordedEvent]:
        """Stream recorded events in position order."""
        ...

    def indicators(self, indicator_set: IndicatorSet, *, period: Any, as_of: Any = None) -> Any:
        """Compute every figure of a set for a period."""
        ...

    @property
    def audit(self) -> Enveloping:
        """The ledger's audit operations."""
        ...


@attrs.frozen
class EvidenceSummary:
    """What :func:`write_evidence` wrote.

    Attributes:
        path: the bundle.
        tree_size: the seal's size (the number of envelopes).
        figures: how many figures the bundle covers.
        checked_to_envelopes: the refs of figures whose values are not disclosed,
            with why.
        disclosures: how many disclosures it holds.
        cosigners: who countersigned the seal, each with whether its cosignature was
            checked by a given key (False: no key of its name was given, so the
            bundle lists it as not checkable).
    """

    path: Path
    tree_size: int
    figures: int
    checked_to_envelopes: tuple[tuple[str, str], ...]
    disclosures: int
    cosigners: tuple[tuple[str, bool], ...] = ()

    def __str__(self) -> str:
        lines = [
            f"wrote {self.path}: {self.figures} figures, {self.tree_size} envelopes, "
            f"{self.disclosures} disclosures"
        ]
        lines += [f"  seal {line}" for line in cosigner_lines(self.cosigners)]
        lines += [
            f"  {ref}: checked to the envelopes only: {why}"
            for ref, why in self.checked_to_envelopes
        ]
        return "\n".join(lines)


def cosigner_lines(cosigners: Sequence[tuple[str, bool]]) -> list[str]:
    """How a summary states a seal's cosignatures: checked, or not checkable and why."""
    return [
        f"cosigned by {name}: "
        + ("checked" if checked else "not checkable, no key of that name given (cosigner_keys)")
        for name, checked in cosigners
    ]


def fields_read(indicator: Indicator) -> dict[str, frozenset[str]]:
    """The top-level payload fields an indicator reads, per event type.

    Opening events (its source types) are read by the filter, the grouping and the
    measure; closing events (``removed_by``) by the closing field of a
    ``count_distinct``, or else by the filter, the grouping and the removed
    expression. Envelope fields (``occurred_on``, ``stream`` …) are in the envelope
    and need no disclosure; ``a.b`` reads the whole top-level field ``a``.

    Args:
        indicator: a plain (non-ratio) indicator.

    Returns:
        For each type it reads, the names of the payload fields.
    """
    measure = indicator.measure
    where: Filter | None = indicator.where
    common = set(where.fields() if where is not None else ()) | set(indicator.group_by)
    opening, closing = set(common), set(common)
    if isinstance(measure, Sum):
        opening |= measure.expression.fields()
        closing |= (measure.removed_expression or measure.expression).fields()
    elif isinstance(measure, CountDistinct):
        opening.add(measure.field)
        closing = {measure.closing_field}
    elif isinstance(measure, Latest):
        opening.add(measure.field)
    read = {t: _top_level(opening) for t in indicator.source}
    for type_name in indicator.closing_types:
        read.setdefault(type_name, _top_level(closing))
    return read


def _top_level(names: Iterable[str]) -> frozenset[str]:
    fields = set()
    for name in names:
        if name in ENVELOPE_FIELDS:
            continue
        parts = name.split(".")
        fields.add(parts[1] if parts[0] == "payload" and len(parts) > 1 else parts[0])
    return frozenset(fields)


def _personal(type_name: str) -> frozenset[str]:
    """The fields a type declares personal (every field when the type is unknown)."""
    registry = default_registry()
    if type_name not in registry.type_names():
        return frozenset({"*"})
    cls: type[Event] = registry.newest(type_name)
    return frozenset(a.name for a in attrs.fields(cls) if is_personal(a))


def write_evidence(
    ledger: EvidenceSource,
    report_json: str,
    seal: Seal | str,
    path: str | Path,
    public_key: str | None = None,
    cosigner_keys: PublicKeys = (),
) -> EvidenceSummary:
    """Write the evidence bundle of a sealed report.

    The bundle's seal is the one the report embeds (with the cosignature lines the
    report names); it must be a text of ``seal``.

    Args:
        ledger: the ledger the report was computed from.
        report_json: the published report's JSON text (kept byte for byte).
        seal: the seal the report was computed as of (its signed text or a Seal).
        path: the zip file to write (replaced if it exists).
        public_key: the office's verifier key text, put in the bundle and checked
            against the seal's signature; None leaves it out (the auditor brings it).
        cosigner_keys: verifier keys of cosigners the caller trusts (texts or
            Verifiers); each cosignature of the seal by a key of one's name is checked
            and the key put in the bundle; one whose cosigner has no key here is
            listed as not checkable.

    Returns:
        What was written.

    Raises:
        ValidationError: the report is not a sealed civicledger-report/2 JSON of this
            seal, or a key does not parse.
        VerificationError: the report does not verify against the ledger, the
            ledger no longer matches the seal, the key did not sign the seal, or a
            cosignature is not by the given key of its name or does not verify.
    """
    the_seal = Seal.parse(seal) if isinstance(seal, str) else seal
    data = _sealed_report(report_json, the_seal)
    the_seal = Seal.parse(data["as_of"]["checkpoint"])
    if public_key is not None:
        the_seal.verify(public_key.strip())
    check = verify_report(data, ledger)
    if not check.ok:
        raise VerificationError(
            "the report does not verify against this ledger, so its evidence would not check: "
            + "; ".join(check.problems)
        )
    files: dict[str, bytes] = {"report.json": report_json.encode("utf-8")}
    indicators = (data.get("indicators") or {}).get("source", "")
    part = write_ledger_part(
        ledger,
        data["figures"],
        the_seal,
        indicators,
        str(data["period"]["key"]),
        "",
        files,
        as_verifiers(cosigner_keys),
    )
    manifest = {
        "format": EVIDENCE_FORMAT,
        "origin": part.manifest["origin"],
        "hash": part.manifest["hash"],
        "tree_size": part.manifest["tree_size"],
        "report": "report.json",
        "seal": part.manifest["seal"],
        "public_key": "public-key.txt" if public_key is not None else None,
        "envelopes": part.manifest["envelopes"],
        "amendments": part.manifest["amendments"],
        "cosignatures": part.manifest["cosignatures"],
        "figures": part.manifest["figures"],
    }
    if public_key is not None:
        files["public-key.txt"] = public_key.strip().encode("utf-8") + b"\n"
    files["manifest.json"] = manifest_bytes(manifest)
    target = Path(path)
    write_zip(target, files)
    return EvidenceSummary(
        target,
        the_seal.tree_size,
        len(data["figures"]),
        part.partial,
        part.disclosures,
        part.cosigners,
    )


@attrs.frozen
class LedgerPart:
    """One ledger's share of a bundle: its manifest entries and what was written.

    Attributes:
        manifest: origin, hash, tree size, the names of its seal, envelopes and
            amendments files, its seal's cosignatures, and one entry per figure.
        partial: the refs of figures checked to the envelopes only, with why.
        disclosures: how many disclosures it holds.
        cosigners: each cosigner of the seal, and whether its cosignature was checked.
    """

    manifest: dict[str, Any]
    partial: tuple[tuple[str, str], ...]
    disclosures: int
    cosigners: tuple[tuple[str, bool], ...]


def write_ledger_part(
    ledger: EvidenceSource,
    figures: Sequence[Mapping[str, Any]],
    seal: Seal,
    indicators: str,
    period: str,
    prefix: str,
    files: dict[str, bytes],
    cosigner_keys: Sequence[Verifier] = (),
) -> LedgerPart:
    """Add one ledger's seal, envelopes, amendments, figure disclosures and the keys of
    its seal's cosigners to ``files``.

    Args:
        ledger: the ledger, which must match the seal.
        figures: the report's figures of this ledger (each with ``ref`` and ``lineage``).
        seal: the seal they were computed as of, as the report embeds it.
        indicators: the report's indicator set (TOML source).
        period: the report's period key.
        prefix: the folder in the zip (``""`` or ``"ledgers/1/"``).
        files: the zip's files, added to.
        cosigner_keys: the cosigners' keys the caller trusts.

    Returns:
        The part.

    Raises:
        VerificationError: a cosignature of the seal is not by the given key of its
            name, or does not verify.
    """
    cosignatures = _cosignature_entries(seal, cosigner_keys, files)
    size = seal.tree_size
    computed = _figures(ledger, indicators, period, figures, seal)
    files[f"{prefix}seal.txt"] = seal.text.encode("utf-8")
    files[f"{prefix}envelopes.jsonl"] = b"".join(e + b"\n" for e in ledger.audit.envelopes(size))
    amending: list[Disclosed] = [
        (r.position, ("target_event_id",))
        for r in ledger.read(types=list(AMENDING_TYPES), to_position=size)
    ]
    # Every disclosure file is listed first, by the positions and fields it discloses,
    # and then all are disclosed in one pass over the rows: the figures of a report
    # read the same events (a year's figure and its months').
    wanted: dict[str, list[Disclosed]] = {f"{prefix}amendments.jsonl": amending}
    named: dict[int, tuple[str, Figure]] = {}  # by the figure's index in the report
    for i, figure_data in enumerate(figures):
        if figure_data["indicator"] not in FIGURE_IDS:
            lineage = figure_data["lineage"]
            key = (figure_data["indicator"], str(figure_data["period"]), _group(lineage))
            named[i] = (f"{prefix}figures/{figure_data['ref']}", computed[key])
    leaves = [leaf for name, figure in named.values() for leaf in _leaves(figure, name)]
    leaf_entries = _leaf_entries(ledger, leaves, size, wanted)
    entries = []
    partial: list[tuple[str, str]] = []
    for i, figure_data in enumerate(figures):
        ref = figure_data["ref"]
        if i in named:
            entry = _assembled(*named[i], leaf_entries)
        else:
            entry = _followup_entry(figure_data["lineage"])
        entries.append({"ref": ref, **entry})
        partial += [(ref, why) for why in _why_partial(entry)]
    _write_disclosures(ledger, wanted, files)
    count = sum(len(asked) for asked in wanted.values())
    manifest = {
        "origin": seal.origin,
        "hash": seal.hash_name,
        "tree_size": size,
        "seal": f"{prefix}seal.txt",
        "envelopes": f"{prefix}envelopes.jsonl",
        "amendments": f"{prefix}amendments.jsonl",
        "cosignatures": cosignatures,
        "figures": entries,
    }
    cosigners = tuple((c["signer"], c["public_key"] is not None) for c in cosignatures)
    return LedgerPart(manifest, tuple(partial), count, cosigners)


def _cosignature_entries(
    seal: Seal, keys: Sequence[Verifier], files: dict[str, bytes]
) -> list[dict[str, Any]]:
    """The manifest entries of a seal's cosignatures, each checked by the given key of its
    cosigner's name, whose key file is added to ``files`` (null when none was given)."""
    entries = []
    for name, when, key in checked_cosignatures(seal, keys):
        key_file = None
        if key is not None:
            key_file = f"{COSIGNER_KEYS}{key.key_id:08x}.txt"
            files[key_file] = key.to_text().encode("utf-8") + b"\n"
        entries.append(
            {
                "signer": name,
                "cosigned_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "public_key": key_file,
            }
        )
    return entries


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """A manifest as the bundle stores it: indented JSON, non-ASCII kept."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()


def report_data(report_json: str, fmt: str, wrong_format: str) -> dict[str, Any]:
    """A bundle's report parsed from its JSON text, refused unless in the format ``fmt``.

    Raises:
        ValidationError: it is not text, not JSON, or not in that format (then with
            the message ``wrong_format``).
    """
    if not isinstance(report_json, str):
        raise ValidationError("the report must be its JSON text", field="report")
    try:
        data = json.loads(report_json)
    except json.JSONDecodeError as e:
        raise ValidationError(
            f"the report is not JSON ({e}); pass its JSON text, or a Path to its file",
            field="report",
        ) from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ValidationError(wrong_format, field="report")
    return data


def _sealed_report(report_json: str, seal: Seal) -> dict[str, Any]:
    data = report_data(
        report_json,
        REPORT_FORMAT,
        f"an evidence bundle needs a report in the {REPORT_FORMAT} format (with the ids of "
        "excluded events); render the report again",
    )
    as_of = data.get("as_of") or {}
    stated = as_of.get("checkpoint")
    if (as_of.get("tree_size"), as_of.get("root_hash")) != (
        seal.tree_size,
        seal.root_hash.hex(),
    ) or not isinstance(stated, str):
        raise ValidationError(
            f"the report was not computed as of this seal (size {seal.tree_size}, root "
            f"{seal.root_hash.hex()}); render it with report --seal",
            field="seal",
        )
    if Seal.parse(stated).body != seal.body:
        raise ValidationError(
            f"the report embeds another checkpoint than this seal's (size {seal.tree_size}); "
            "render it with report --seal",
            field="seal",
        )
    return data


def _group(lineage: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (lineage.get("group") or {}).items())


def _figures(
    ledger: EvidenceSource,
    indicators: str,
    period: str,
    figures: Sequence[Mapping[str, Any]],
    seal: Seal,
) -> dict[tuple[str, str, tuple[tuple[str, str], ...]], Figure]:
    """The report's figures recomputed as Figure objects (for reasons and definitions),
    by indicator, period and group: a chart shows figures of the months (or quarters,
    weeks) of the report's period, or of a year earlier, besides the period's own."""
    indicator_set = load_indicators(indicators, source="the report's indicator set")
    ids_by_period: dict[str, dict[str, None]] = {period: {}}
    for entry in figures:
        if entry["indicator"] in indicator_set:
            ids_by_period.setdefault(str(entry["period"]), {})[entry["indicator"]] = None
    found = {}
    for step, ids in ids_by_period.items():
        chosen = indicator_set.select(list(ids)) if ids else indicator_set
        for figure in ledger.indicators(chosen, period=step, as_of=seal):
            found[(figure.id, step, figure.group)] = figure
    return found


def _window(figure: Figure) -> tuple[date | None, date]:
    period: Period = figure.period
    return (None if figure.indicator.state else period.start), period.end


def _leaves(figure: Figure, name: str) -> Iterator[tuple[str, Figure]]:
    """The figures behind a report's figure that are not ratios (a ratio's numerator and
    denominator, nested), each with the name of its disclosure file."""
    if isinstance(figure.indicator.measure, Ratio):
        assert figure.numerator is not None
        assert figure.denominator is not None
        yield from _leaves(figure.numerator, f"{name}.numerator")
        yield from _leaves(figure.denominator, f"{name}.denominator")
    else:
        yield name, figure


def _assembled(name: str, figure: Figure, leaf_entries: Mapping[str, dict[str, Any]]) -> Any:
    """The manifest entry of a report's figure from its leaves' (a ratio's parts nested)."""
    if isinstance(figure.indicator.measure, Ratio):
        assert figure.numerator is not None
        assert figure.denominator is not None
        return {
            "numerator": _assembled(f"{name}.numerator", figure.numerator, leaf_entries),
            "denominator": _assembled(f"{name}.denominator", figure.denominator, leaf_entries),
        }
    return leaf_entries[name]


def _leaf_entries(
    ledger: EvidenceSource,
    leaves: Sequence[tuple[str, Figure]],
    size: int,
    wanted: dict[str, list[Disclosed]],
) -> dict[str, dict[str, Any]]:
    """The manifest entries of figures that are not ratios, by disclosure file name.

    The figures are taken one set of event types at a time, with one read of the
    ledger for each set: a report's figures share them (a year's figure and its
    months' read the same types), and each read is of every event of those types.
    The records of one set are held at a time: those within its figures' periods.
    """
    by_types: dict[tuple[str, ...], list[tuple[str, Figure]]] = {}
    for name, figure in leaves:
        by_types.setdefault(tuple(sorted(fields_read(figure.indicator))), []).append((name, figure))
    entries = {}
    for types, members in by_types.items():
        windows = [(_window(figure), list[RecordedEvent]()) for _, figure in members]
        for record in ledger.read(types=list(types), to_position=size, effective=True):
            day = record.occurred_on
            for (start, end), events in windows:
                if day <= end and (start is None or day >= start):
                    events.append(record)
        for (name, figure), (_, events) in zip(members, windows, strict=True):
            entries[name] = _entry(figure, events, name, wanted)
    return entries


def _entry(
    figure: Figure,
    events: Sequence[RecordedEvent],
    name: str,
    wanted: dict[str, list[Disclosed]],
) -> dict[str, Any]:
    """The manifest entry of a figure that is not a ratio, from the events of its types in
    its window, listing in ``wanted`` the positions and fields its disclosure file holds."""
    indicator = figure.indicator
    read = fields_read(indicator)
    counted = {c.event_id for c in figure.contributions}
    why = _why_envelopes_only(read, events)
    entry: dict[str, Any] = {
        "indicator": indicator.id,
        "fields": {t: sorted(f) for t, f in sorted(read.items())},
        "check": "envelopes" if why else "values",
        "why": why,
        "disclosures": None,
        "events": [
            {
                "event_id": str(r.event_id),
                "position": r.position,
                "counted": r.event_id in counted,
                "reason": None
                if r.event_id in counted
                else why_not(figure, r.event_id, r).render("en"),
            }
            for r in events
        ],
    }
    if why:
        return entry
    entry["disclosures"] = f"{name}.jsonl"
    wanted[entry["disclosures"]] = [
        (record.position, fields)
        for record in events
        # a type read only through its envelope needs no disclosure
        if (fields := tuple(sorted(read[record.type])))
    ]
    return entry


def _write_disclosures(
    ledger: EvidenceSource, wanted: Mapping[str, Sequence[Disclosed]], files: dict[str, bytes]
) -> None:
    """Disclose what each file lists (each event and field set once) and add the files."""
    asked = list(dict.fromkeys(d for listed in wanted.values() for d in listed))
    lines = dict(zip(asked, map(_line, ledger.audit.disclose_positions(asked)), strict=True))
    for name, listed in wanted.items():
        files[name] = b"".join(lines[d] for d in listed)


FOLLOWUP_CHECK = "followups"
"""The ``check`` of a follow-up roll-up figure's entry: its events are named, not disclosed."""

_FOLLOWUP_WHY = (
    "a follow-up roll-up is folded from the problem events (docs/followups.md); the bundle "
    "names the events it counts, which check against the seal, but not the fold"
)


def _followup_entry(lineage: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest entry of a follow-up roll-up figure (``followups.total`` …), from the
    report's (already verified) lineage: each counted event with its position.

    Its value comes from folding every problem's events into a status, which a bundle
    cannot disclose field by field; an auditor checks each counted event against the
    envelopes and the value against the events' amounts.
    """
    if lineage.get("numerator") is not None and lineage.get("denominator") is not None:
        return {
            "numerator": _followup_entry(lineage["numerator"]),
            "denominator": _followup_entry(lineage["denominator"]),
        }
    return {
        "indicator": lineage["indicator"],
        "fields": {},
        "check": FOLLOWUP_CHECK,
        "why": _FOLLOWUP_WHY,
        "disclosures": None,
        "events": [
            {
                "event_id": c["event_id"],
                "position": c["position"],
                "counted": True,
                "reason": None,
            }
            for c in lineage.get("contributions") or ()
        ],
    }


def _why_envelopes_only(
    read: Mapping[str, frozenset[str]], events: Sequence[RecordedEvent]
) -> str | None:
    """Why a figure's values cannot be disclosed, or None when they can."""
    for type_name, fields in sorted(read.items()):
        personal = (
            sorted(fields & _personal(type_name))
            if "*" not in _personal(type_name)
            else sorted(fields)
        )
        if personal:
            return (
                f"it reads {', '.join(personal)} of {type_name}, declared personal, which an "
                "evidence bundle never discloses"
            )
    for record in events:
        corrected = [a for a in record.corrections if a.kind == "corrected"]
        if corrected:
            return (
                f"event {record.event_id} was corrected by event {corrected[-1].event_id}; the "
                "replacement payload is held in one field declared personal"
            )
        gone = set(record.redacted_fields) & read[record.type]
        if gone:
            named = ", ".join(sorted(gone))
            return f"the field(s) {named} of event {record.event_id} were redacted"
        absent = read[record.type] - set(to_dict(record.payload))
        if absent:
            return f"event {record.event_id} has no field {', '.join(sorted(absent))}"
    return None


def _why_partial(entry: Mapping[str, Any]) -> Iterator[str]:
    if entry.get("why"):
        yield str(entry["why"])
    for part in ("numerator", "denominator"):
        if part in entry:
            yield from _why_partial(entry[part])


def _line(disclosure: Disclosing) -> bytes:
    data = disclosure.to_json()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def write_zip(path: Path, files: Mapping[str, bytes]) -> None:
    """Write the files as a zip whose bytes depend only on them (no clock, fixed order)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
