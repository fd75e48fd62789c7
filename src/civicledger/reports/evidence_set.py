"""Evidence bundles of a report over several ledgers (``civicledger-set-evidence/2``).

A street's report rolls up its communities' figures; its bundle holds the report's
JSON and, for each ledger, in a folder of its own, what a one-ledger bundle holds
(:mod:`civicledger.reports.evidence`): the seal the report embeds, the verifier key
when given, every leaf envelope up to the seal, the targets of amending events and
the disclosures behind each of the ledger's own figures; and, shared by every seal,
the keys of the cosigners (the street) given to check their countersignatures. A
verifier checks each ledger's seal and cosignatures and figures as in a one-ledger
bundle, then each rolled-up figure against its ledgers' figures. The layout is in
docs/audit.md; ``examples/verify_evidence.py`` checks it with the standard library
alone (and still reads /1, which carried no cosigners' keys).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.keys import PublicKeys, as_verifiers
from civicledger.errors import ValidationError, VerificationError
from civicledger.reports.evidence import (
    EvidenceSource,
    cosigner_lines,
    manifest_bytes,
    report_data,
    write_ledger_part,
    write_zip,
)
from civicledger.reports.render.json import ROLLUP_FORMAT
from civicledger.reports.verify_set import verify_set_report

__all__ = ["SET_EVIDENCE_FORMAT", "SetEvidenceSummary", "write_set_evidence"]

SET_EVIDENCE_FORMAT = "civicledger-set-evidence/2"
"""The ``format`` of a set bundle's manifest.json (/2: each seal's cosignatures are
listed with their keys)."""


class _Member(EvidenceSource, Protocol):
    """A ledger of the set, as a bundle needs it (``civicledger.Ledger``)."""

    @property
    def name(self) -> str:
        """The ledger's name."""
        ...


class _Set(Protocol):
    """The ledgers a set bundle is written from (``civicledger.LedgerSet``)."""

    @property
    def ledgers(self) -> Sequence[Any]:
        """The ledgers."""
        ...


@attrs.frozen
class SetEvidenceSummary:
    """What :func:`write_set_evidence` wrote.

    Attributes:
        path: the bundle.
        ledgers: each ledger's name and the number of envelopes of its seal.
        figures: how many figures of the report the bundle covers (roll-ups included).
        checked_to_envelopes: the refs of figures whose values are not disclosed,
            with why.
        disclosures: how many disclosures it holds.
        cosigners: per ledger, who countersigned its seal, each with whether its
            cosignature was checked by a given key (False: not checkable).
    """

    path: Path
    ledgers: tuple[tuple[str, int], ...]
    figures: int
    checked_to_envelopes: tuple[tuple[str, str], ...]
    disclosures: int
    cosigners: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()

    def __str__(self) -> str:
        envelopes = sum(size for _, size in self.ledgers)
        lines = [
            f"wrote {self.path}: {len(self.ledgers)} ledgers, {self.figures} figures, "
            f"{envelopes} envelopes, {self.disclosures} disclosures"
        ]
        cosigned = dict(self.cosigners)
        for name, size in self.ledgers:
            lines.append(f"  {name}: sealed at size {size}")
            lines += [f"  {name}: seal {line}" for line in cosigner_lines(cosigned.get(name, ()))]
        lines += [
            f"  {ref}: checked to the envelopes only: {why}"
            for ref, why in self.checked_to_envelopes
        ]
        return "\n".join(lines)


def write_set_evidence(
    ledger_set: _Set,
    report_json: str,
    path: str | Path,
    public_keys: Sequence[str] = (),
    cosigner_keys: PublicKeys = (),
) -> SetEvidenceSummary:
    """Write the evidence bundle of a report over several ledgers, read at their seals.

    Args:
        ledger_set: a set holding every ledger the report names (``civicledger.LedgerSet``).
        report_json: the published report's JSON text (kept byte for byte), a
            ``civicledger-rollup-report/1`` rendered at seals.
        path: the zip file to write (replaced if it exists).
        public_keys: verifier key texts; each ledger's seal must be signed by one of
            them, which goes into its folder. None given: no keys in the bundle (the
            auditor brings them).
        cosigner_keys: verifier keys of cosigners the caller trusts (the street's):
            each cosignature of a ledger's seal by a key of one's name is checked and
            the key put in the bundle; one whose cosigner has no key here is listed
            as not checkable.

    Returns:
        What was written.

    Raises:
        ValidationError: the report is not a set report read at seals, or a key does
            not parse.
        VerificationError: the report does not verify against the ledgers, no given
            key signed a ledger's seal, or a cosignature of a ledger's seal is not by
            the given key of its name or does not verify (the message names the
            ledger).
    """
    data = _sealed_set_report(report_json)
    check = verify_set_report(data, ledger_set)
    if not check.ok:
        raise VerificationError(
            "the report does not verify against these ledgers, so its evidence would not "
            "check: " + "; ".join(check.problems)
        )
    keys = as_verifiers(list(public_keys))
    cosigners = as_verifiers(cosigner_keys)
    by_name = {ledger.name: ledger for ledger in ledger_set.ledgers}
    files: dict[str, bytes] = {"report.json": report_json.encode("utf-8")}
    indicators = (data.get("indicators") or {}).get("source", "")
    period = str(data["period"]["key"])
    parts: list[dict[str, Any]] = []
    partial: list[tuple[str, str]] = []
    sizes: list[tuple[str, int]] = []
    cosigned: list[tuple[str, tuple[tuple[str, bool], ...]]] = []
    count = 0
    for number, stated in enumerate(data["ledgers"], start=1):
        name = stated["name"]
        ledger: _Member = by_name[name]
        seal = Seal.parse(stated["checkpoint"])
        prefix = f"ledgers/{number}/"
        try:
            part = write_ledger_part(
                ledger,
                list(_figures_of(data, name)),
                seal,
                indicators,
                period,
                prefix,
                files,
                cosigners,
            )
        except VerificationError as e:
            raise VerificationError(f"ledger {name!r}: {e}") from None
        key_file = None
        if keys:
            key_file = f"{prefix}public-key.txt"
            files[key_file] = _key_of(name, seal, keys).encode("utf-8") + b"\n"
        parts.append({"name": name, **part.manifest, "public_key": key_file})
        partial += part.partial
        count += part.disclosures
        sizes.append((name, seal.tree_size))
        cosigned.append((name, part.cosigners))
    rollups = [
        {"ref": f["ref"], "indicator": f["indicator"], "parts": list(f["parts"])}
        for f in data["figures"]
        if f.get("parts") is not None
    ]
    manifest = {
        "format": SET_EVIDENCE_FORMAT,
        "report": "report.json",
        "ledgers": parts,
        "rollups": rollups,
    }
    files["manifest.json"] = manifest_bytes(manifest)
    target = Path(path)
    write_zip(target, files)
    return SetEvidenceSummary(
        target, tuple(sizes), len(data["figures"]), tuple(partial), count, tuple(cosigned)
    )


def _sealed_set_report(report_json: str) -> dict[str, Any]:
    data = report_data(
        report_json,
        ROLLUP_FORMAT,
        f"an evidence bundle of several ledgers needs a report in the {ROLLUP_FORMAT} "
        "format (rendered over a set of ledgers); for one ledger's report, give one ledger",
    )
    unsealed = [s.get("name") for s in data.get("ledgers") or [] if not s.get("checkpoint")]
    if unsealed or not data.get("ledgers"):
        raise ValidationError(
            f"the report was not read at a seal of ledger {unsealed[0]!r}; render it with "
            "--seal latest (as_of=LATEST_SEAL) so every figure can be checked against a seal"
            if unsealed
            else "the report names no ledger",
            field="seal",
        )
    return data


def _figures_of(data: Mapping[str, Any], name: str) -> Iterator[Mapping[str, Any]]:
    """The report's figures of one ledger: its share of each roll-up."""
    for figure in data["figures"]:
        if figure.get("ledger") == name:
            yield figure


def _key_of(name: str, seal: Seal, keys: Sequence[Any]) -> str:
    for key in keys:
        try:
            seal.verify([key])
        except VerificationError:
            continue
        return str(key.to_text())
    raise VerificationError(
        f"none of the given keys signed the seal of ledger {name!r} (size {seal.tree_size}); "
        "give its office's verifier key"
    )
