"""Check a civicledger evidence bundle offline: every figure of a published report,
recomputed from the values the bundle discloses, against the office's signed seal.

Usage:
    python verify_evidence.py EVIDENCE.zip [--key VERIFIER_KEY ...] [--cosigner-key KEY ...]

Standard library only, plus `cryptography` for the signatures; it imports nothing
from civicledger, only two files next to it: verify_standalone.py (the seal, its
signature and its cosignatures) and evidence_reference.py (the indicator grammar
and phrasing). The bundle layouts (civicledger-evidence/2 for one ledger,
civicledger-set-evidence/2 for a report over several; /1 of both is still read) and
the recipe are in docs/audit.md; the bytes of leaves and disclosures in
docs/hashing.md; the indicator grammar in docs/indicators.md; the phrasing rules in
docs/phrasing.md.

It prints one line per cosignature of each seal (checked, not checkable for want of
its cosigner's key, or FAILED) and one per figure of the report (for several
ledgers: per figure per ledger, then one per rolled-up figure): checked, partly
checked (and why) or FAILED (and why). Exit status 0 when nothing failed, 1
otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evidence_reference import (
    KINDS,
    evaluate,
    exact_text,
    fields_read,
    number,
    ratio,
    rephrase,
)
from verify_standalone import (
    Invalid,
    check_cosignature,
    check_signature,
    cosignature_key_id,
    digest,
    is_cosignature,
    parse_seal,
    read_key,
)

# /2 lists each seal's cosignatures with their keys and its seal is the report's; /1 did not.
BUNDLE_FORMATS = ("civicledger-evidence/1", "civicledger-evidence/2")
SET_BUNDLE_FORMATS = ("civicledger-set-evidence/1", "civicledger-set-evidence/2")
DISCLOSURE_FORMAT = "civicledger-disclosure/1"
REPORT_FORMAT = "civicledger-report/2"
ROLLUP_FORMAT = "civicledger-rollup-report/1"


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes for JSON without floats (strings, integers, booleans, null, containers)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.encode("utf-8")


# -- the bundle ---------------------------------------------------------------------------


class Bundle:
    """The files of an evidence bundle, read from the zip."""

    def __init__(self, path: Path) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                self.files = {name: archive.read(name) for name in archive.namelist()}
        except (OSError, zipfile.BadZipFile) as e:
            raise Invalid(f"{path} is not a readable zip file: {e}") from None
        self.manifest = self.json("manifest.json")
        formats = BUNDLE_FORMATS + SET_BUNDLE_FORMATS
        if not isinstance(self.manifest, dict) or self.manifest.get("format") not in formats:
            raise Invalid(f"manifest.json: format must be one of {', '.join(formats)}")

    def part(self, manifest: dict) -> Bundle:
        """The same files seen through one ledger's part of a set bundle's manifest."""
        view = object.__new__(Bundle)
        view.files, view.manifest = self.files, manifest
        return view

    def bytes(self, name: str) -> bytes:
        if name not in self.files:
            raise Invalid(f"the bundle has no file {name!r}")
        return self.files[name]

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.bytes(name))
        except ValueError as e:
            raise Invalid(f"{name} is not JSON: {e}") from None

    def lines(self, name: str) -> list[bytes]:
        data = self.bytes(name)
        if data and not data.endswith(b"\n"):
            raise Invalid(f"{name} must end with a newline")
        return data.split(b"\n")[:-1] if data else []


def check_tree(bundle: Bundle, alg: str, size: int, root: bytes) -> list[bytes]:
    """Rebuild the Merkle root from every envelope; return the envelopes, index = position - 1."""
    envelopes = bundle.lines(bundle.manifest["envelopes"])
    if len(envelopes) != size:
        raise Invalid(
            f"the bundle has {len(envelopes)} envelopes but the seal covers {size} events: "
            f"events were {'dropped' if len(envelopes) < size else 'added'}"
        )
    for position, line in enumerate(envelopes, start=1):
        try:
            envelope = json.loads(line)
        except ValueError:
            raise Invalid(f"envelope {position} is not JSON") from None
        if envelope.get("position") != position:
            raise Invalid(
                f"envelope {position} says position {envelope.get('position')!r}: envelopes are "
                "out of order (swapped, dropped or added)"
            )
    if merkle_root(alg, [digest(alg, b"\x00" + e) for e in envelopes]) != root:
        raise Invalid(
            "the envelopes do not rebuild the sealed root: an envelope was changed, or the "
            "seal is not this ledger's"
        )
    return envelopes


def merkle_root(alg: str, leaves: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1: the Merkle tree hash of the leaves."""
    if not leaves:
        return digest(alg, b"")
    level = leaves
    while len(level) > 1:
        paired = [
            digest(alg, b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)
        ]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def check_disclosure(data: Any, envelopes: list[bytes], alg: str) -> tuple[dict[str, Any], dict]:
    """Check one disclosure against its envelope; return (envelope members, disclosed values)."""
    if not isinstance(data, dict) or data.get("format") != DISCLOSURE_FORMAT:
        raise Invalid(f"a disclosure is not in the {DISCLOSURE_FORMAT} form")
    event_id, position = data.get("event_id"), data.get("position")
    where = f"disclosure of event {event_id}"
    if not isinstance(position, int) or not 1 <= position <= len(envelopes):
        raise Invalid(f"{where}: position {position!r} is not under the seal")
    envelope_text = data.get("envelope", "")
    if envelope_text.encode("utf-8") != envelopes[position - 1]:
        raise Invalid(f"{where}: its envelope is not the sealed envelope at position {position}")
    envelope = json.loads(envelope_text)
    if envelope.get("v") != 2 or envelope.get("event_id") != event_id or data.get("hash") != alg:
        raise Invalid(f"{where}: not a v2 envelope of this event and hash")
    digests, values = [], {}
    for item in data.get("disclosed", []):
        salt, name, value = item
        if not re.fullmatch(r"[0-9a-f]{32}", salt) or name in values:
            raise Invalid(f"{where}: field {name!r} has a bad salt or is disclosed twice")
        digests.append(digest(alg, canonical([salt, name, value])).hex())
        values[name] = value
    digests += data.get("withheld", [])
    if digest(alg, canonical(sorted(digests))).hex() != envelope.get("payload_digest"):
        names = ", ".join(sorted(values)) or "no field"
        raise Invalid(
            f"{where} (position {position}): the disclosed values ({names}) do not hash to the "
            "envelope's payload digest: a value, salt or name is not the recorded one"
        )
    return envelope, values


# -- checking the figures ------------------------------------------------------------------


def spans(node: Any) -> Iterator[dict]:
    """Every number span of the report (sentences and table cells)."""
    if isinstance(node, dict):
        if "num" in node and "rule" in node and "ref" in node:
            yield node
        for value in node.values():
            yield from spans(value)
    elif isinstance(node, list):
        for value in node:
            yield from spans(value)


class Figures:
    """Recomputes the report's figures from the bundle's disclosures."""

    def __init__(self, bundle: Bundle, envelopes: list[bytes], alg: str) -> None:
        self.bundle, self.alg = bundle, alg
        self.envelopes = [json.loads(e) for e in envelopes]
        self.raw = envelopes
        self.retracted, self.corrected = self.amendments()

    def amendments(self) -> tuple[set[str], set[str]]:
        """Ids retracted and ids corrected, from the disclosed targets of amending events."""
        name = self.bundle.manifest.get("amendments")
        targets: dict[str, tuple[str, str]] = {}
        for line in self.bundle.lines(name) if name else []:
            envelope, values = check_disclosure(json.loads(line), self.raw, self.alg)
            if "target_event_id" not in values:
                raise Invalid(f"amendment {envelope['event_id']} does not disclose its target")
            targets[envelope["event_id"]] = (envelope["type"], values["target_event_id"])
        expected = {
            e["event_id"]
            for e in self.envelopes
            if e["type"] in ("event_corrected", "event_retracted", "event_redacted")
        }
        if expected != set(targets):
            raise Invalid("the bundle does not disclose the target of every amending event")
        retracted = {t for kind, t in targets.values() if kind == "event_retracted"}
        live = {i for i, (kind, t) in targets.items() if kind == "event_corrected"} - retracted
        corrected = {targets[i][1] for i in live}
        return retracted, corrected

    def in_window(self, definition: dict, period: dict) -> list[dict]:
        """The sealed envelopes of the indicator's types in its period, not retracted."""
        measure = definition["measure"]
        types = set(definition["source"])
        if isinstance(measure, dict):
            types |= set(measure.get("removed_by", ()))
        start = None if definition.get("state") else period["start"]
        return [
            e
            for e in self.envelopes
            if e["type"] in types
            and e["occurred_on"] <= period["end"]
            and (start is None or e["occurred_on"] >= start)
            and e["event_id"] not in self.retracted
        ]

    def followup(self, entry: dict, lineage: dict) -> str:
        """Check a follow-up roll-up figure (followups.total …) as far as a bundle can: each
        counted event is a sealed, unretracted problem event of the period, named in the
        entry at its position, and the value is the sum of their amounts. Folding every
        problem's events into its status is not re-derived here: return why."""
        definition, period = lineage["definition"], lineage["period"]
        if not definition["id"].startswith("followups."):
            raise Invalid(f"{definition['id']}: the bundle checks it as a follow-up figure")
        by_id = {e["event_id"]: e for e in self.envelopes}
        contributions = lineage["contributions"]
        named = [(e["event_id"], e["position"]) for e in entry.get("events", [])]
        if named != [(c["event_id"], c["position"]) for c in contributions]:
            raise Invalid(f"{definition['id']}: the bundle names other events than it counts")
        for c in contributions:
            envelope = by_id.get(c["event_id"])
            if (
                envelope is None
                or envelope["position"] != c["position"]
                or envelope["type"] not in definition["source"]
                or envelope["occurred_on"] > period["end"]
                or c["event_id"] in self.retracted
            ):
                raise Invalid(
                    f"{definition['id']}: event {c['event_id']} is counted but is not a sealed "
                    "problem event up to its period's end"
                )
        total = sum(number(c["amount"]) for c in contributions)
        if lineage["value"] is None or number(lineage["value"]) != total:
            raise Invalid(
                f"{definition['id']}: the report says {lineage['value']!r}, its events' "
                f"amounts add up to {exact_text(total)!r}"
            )
        return entry.get("why") or "its fold is not re-derived here"

    def plain(self, entry: dict, lineage: dict) -> tuple[Any, str | None]:
        """Check a non-ratio figure; return (recomputed value or None, why only partly)."""
        definition, period = lineage["definition"], lineage["period"]
        if entry.get("check") == "followups":
            return None, self.followup(entry, lineage)
        window = self.in_window(definition, period)
        ids = {e["event_id"] for e in window}
        stated = {c["event_id"] for c in lineage["contributions"]}
        listed = stated | set(lineage.get("excluded_events", []))
        if not ids <= listed or not stated - self.corrected <= ids:
            missing = sorted(ids - listed) or sorted(stated - self.corrected - ids)
            raise Invalid(
                f"{definition['id']}: event {missing[0]} "
                + (
                    "of its types in its period is neither counted nor excluded by the report"
                    if ids - listed
                    else "is counted but is not an event of its types in its period"
                )
            )
        corrected = sorted(ids & self.corrected)
        if entry.get("check") != "values":
            return None, entry.get("why") or "the bundle discloses no values for it"
        if corrected:
            return None, f"event {corrected[0]} was corrected; the replacement is not disclosed"
        read = fields_read(definition)
        events = {e["event_id"]: {"envelope": e, "values": {}} for e in window}
        disclosed: set[str] = set()
        for line in self.bundle.lines(entry["disclosures"]) if entry.get("disclosures") else []:
            envelope, values = check_disclosure(json.loads(line), self.raw, self.alg)
            event_id = envelope["event_id"]
            if event_id not in ids or event_id in disclosed:
                raise Invalid(
                    f"{definition['id']}: the bundle discloses event {event_id} (position "
                    f"{envelope['position']}) again or although it is not an event of its types "
                    "in its period"
                )
            disclosed.add(event_id)
            events[event_id]["values"] = values
        for event_id, event in events.items():
            envelope = event["envelope"]
            lacking = sorted(read[envelope["type"]] - set(event["values"]))
            if lacking:
                raise Invalid(
                    f"{definition['id']}: event {event_id} (position {envelope['position']}) "
                    f"of its period has no disclosure of {', '.join(lacking)}"
                )
        cells = evaluate(definition, period, list(events.values()))
        group = tuple((n, lineage["group"].get(n)) for n in definition.get("group_by", []))
        value, counted = cells.get(group, [None, []])
        if set(counted) != stated:
            differ = sorted(set(counted) ^ stated)[0]
            raise Invalid(
                f"{definition['id']}: event {differ} is "
                + (
                    "counted by the report but not by the disclosed values"
                    if differ in stated
                    else "counted by the disclosed values but not by the report"
                )
            )
        return value, None

    def check(self, entry: dict, lineage: dict) -> tuple[Any, list[str], tuple | None]:
        """Recompute a figure (ratio parts too); return (value, reasons it is partial, parts)."""
        measure = lineage["definition"]["measure"]
        if isinstance(measure, dict) and "ratio" in measure:
            num, why_n, _ = self.check(entry["numerator"], lineage["numerator"])
            den, why_d, _ = self.check(entry["denominator"], lineage["denominator"])
            return ratio(measure, num, den), why_n + why_d, (num, den)
        value, why = self.plain(entry, lineage)
        reasons = [f"{lineage['definition']['id']}: {why}"] if why else []
        if why:  # not recomputed: carry the report's value into a ratio, marked partial
            value = None if lineage["value"] is None else number(lineage["value"])
        return value, reasons, None


def check_phrase(span: dict, value: Any, parts: tuple | None) -> str | None:
    """The printed words of one number, re-derived from the recomputed value (None: rule
    not known here)."""
    rule = span["rule"]
    exact = exact_text(value)
    if rule.startswith("rate:") and parts:
        exact = f"{exact_text(parts[0])}/{exact_text(parts[1])}"
    if span["exact"] != exact:
        raise Invalid(f"the report prints {span['num']!r} for {span['exact']!r}, not {exact!r}")
    derived = rephrase(rule, value, parts)
    if derived is not None and derived != (span["num"], rule):
        raise Invalid(
            f"the report prints {span['num']!r} ({rule}); the value reads {derived[0]!r} "
            f"({derived[1]})"
        )
    return None if derived is None else span["num"]


def check_figure(figures: Figures, entry: dict, figure: dict, report: dict) -> tuple[str, bool]:
    """One line: the figure checked or partly checked (and why), and whether only partly;
    raises when it fails."""
    ref = figure["ref"]
    head = f"{ref} {figure['indicator']}"
    group = figure["lineage"].get("group") or {}
    head += "".join(f"[{k}={v}]" for k, v in group.items())
    head += f" = {figure['value'] or '(not defined)'}"
    value, partial, parts = figures.check(entry, figure["lineage"])
    if partial:
        why = "; ".join(p.removeprefix(f"{figure['indicator']}: ") for p in partial)
        return f"{head}: partly checked — {why} (checked to the envelope level)", True
    if exact_text(value) != figure["value"]:
        raise Invalid(
            f"the report says {figure['value']!r}, the disclosed values give {exact_text(value)!r}"
        )
    phrases = [check_phrase(span, value, parts) for span in spans(report) if span["ref"] == ref]
    if None in phrases:
        return (
            f"{head}: partly checked — value checked; a phrase's rule is not re-derived here",
            True,
        )
    shown = f" ({', '.join(dict.fromkeys(p for p in phrases if p))})" if phrases else ""
    return f"{head}{shown}: checked", False


def signed_seal(bundle: Bundle, keys: list[str], lines: list[str]) -> Any:
    """The part's seal, checked against one of the keys (or the key it carries)."""
    manifest = bundle.manifest
    seal = parse_seal(bundle.bytes(manifest["seal"]).decode("utf-8"))
    if not keys and manifest.get("public_key"):
        keys = [bundle.bytes(manifest["public_key"]).decode("utf-8")]
        lines.append("key: taken from the bundle; compare it with the key the office publishes")
    if not keys:
        raise Invalid("no verifier key: pass --key (the bundle carries none)")
    failure = None
    for key in keys:
        try:
            signer = check_signature(seal.body, seal.signatures, key)
        except Invalid as e:
            failure = e
            continue
        lines.append(f"seal: {seal.origin} at size {seal.size}, signed by {signer}")
        return seal
    raise Invalid(f"the seal of {seal.origin}: {failure}")


def check_cosignatures(
    bundle: Bundle, seal: Any, given: tuple[str, ...] | list[str]
) -> tuple[list[str], bool]:
    """Check every cosignature line of a seal by the key of its cosigner's name: the keys
    given (--cosigner-key), else those the bundle lists for the seal (format /2). Return
    the lines to print and whether none failed; a cosignature without a key of its
    cosigner's name is not checkable, and said so."""
    cosigned = [(name, sig) for name, sig in seal.signatures if is_cosignature(sig)]
    listed = bundle.manifest.get("cosignatures")  # format /2 only
    keys = list(given)
    if listed is not None:
        if [entry["signer"] for entry in listed] != [name for name, _ in cosigned]:
            raise Invalid("the manifest's cosignatures are not the seal's cosignature lines")
        if not given:
            files = dict.fromkeys(e["public_key"] for e in listed if e["public_key"])
            keys = [bundle.bytes(name).decode("utf-8") for name in files]
    by_name: dict[str, list[str]] = {}
    for key in keys:
        by_name.setdefault(read_key(key)[0], []).append(key)
    lines, ok = [], True
    for name, sig in cosigned:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int.from_bytes(sig[4:12], "big")))
        head = f"cosignature by {name} ({when} UTC) of the seal of {seal.origin}"
        head += f" at size {seal.size}"
        candidates = by_name.get(name, [])
        if not candidates:
            lines.append(f"{head}: not checkable — no key of that name (pass --cosigner-key)")
            continue
        # A key of the cosigner's name that did not make the line is an impostor's or the
        # wrong one: fail, do not skip it as an unknown witness's.
        matching = [k for k in candidates if cosignature_key_id(k) == sig[:4]]
        try:
            check_cosignature(seal.body, sig, (matching or candidates)[0])
        except Invalid as e:
            ok = False
            lines.append(f"{head}: FAILED — {e}")
            continue
        bundled = " (key taken from the bundle; compare it with the one the cosigner publishes)"
        lines.append(f"{head}: checked{'' if given else bundled}")
    return lines, ok


def report_seal(bundle: Bundle, seal: Any, stated: Any) -> Any:
    """The seal the report embeds, whose cosigners it names. A /2 bundle's seal is that
    text byte for byte; a /1 bundle's seal may lack the report's cosignature lines, so the
    report's own text is read, and must be of the same checkpoint."""
    if bundle.manifest["format"] == BUNDLE_FORMATS[0]:
        if not isinstance(stated, str):
            return seal
        embedded = parse_seal(stated)
        if embedded.body != seal.body:
            raise Invalid("the report embeds another checkpoint than the bundle's seal")
        return embedded
    if stated != bundle.bytes(bundle.manifest["seal"]).decode("utf-8"):
        raise Invalid("the bundle's seal is not the seal the report embeds")
    return seal


def check_sources(report: dict) -> None:
    """The embedded template and indicator set match their digests."""
    for part in ("template", "indicators"):
        embedded = report.get(part) or {}
        source = embedded.get("source", "")
        if source and hashlib.sha256(source.encode()).hexdigest() != embedded.get("sha256"):
            raise Invalid(f"the report's embedded {part} does not match its SHA-256")


def verify(
    path: Path, keys: list[str], cosigner_keys: tuple[str, ...] | list[str] = ()
) -> tuple[list[str], bool]:
    """Check a bundle; return the lines to print and whether everything passed."""
    bundle = Bundle(path)
    if bundle.manifest["format"] in SET_BUNDLE_FORMATS:
        return verify_set(bundle, keys, cosigner_keys)
    manifest = bundle.manifest
    lines: list[str] = []
    seal = signed_seal(bundle, keys, lines)
    report = bundle.json(manifest["report"])
    as_of = report.get("as_of") or {}
    if report.get("format") != REPORT_FORMAT:
        raise Invalid(f"the report is not in the {REPORT_FORMAT} format")
    if seal.origin != manifest.get("origin"):
        raise Invalid(
            f"the seal is of ledger {seal.origin}, but the bundle is of {manifest.get('origin')}"
        )
    if (as_of.get("tree_size"), as_of.get("root_hash")) != (seal.size, seal.root.hex()):
        raise Invalid(
            f"the report was computed as of size {as_of.get('tree_size')} root "
            f"{as_of.get('root_hash')}, not as of this seal (size {seal.size} root "
            f"{seal.root.hex()}): the seal is another one, or of another ledger"
        )
    check_sources(report)
    cosigned, ok = check_cosignatures(
        bundle, report_seal(bundle, seal, as_of.get("checkpoint")), cosigner_keys
    )
    lines += cosigned
    envelopes = check_tree(bundle, seal.hash, seal.size, seal.root)
    lines.append(f"envelopes: all {seal.size} rebuild the sealed root")
    figures = Figures(bundle, envelopes, seal.hash)
    entries = {e["ref"]: e for e in manifest["figures"]}
    for figure in report["figures"]:
        try:
            if figure["ref"] not in entries:
                raise Invalid("the bundle has no evidence for it")
            lines.append(check_figure(figures, entries[figure["ref"]], figure, report)[0])
        except MALFORMED as e:
            ok = False
            lines.append(f"{figure['ref']} {figure['indicator']}: FAILED — {describe(e)}")
    return lines, ok


def verify_set(
    bundle: Bundle, keys: list[str], cosigner_keys: tuple[str, ...] | list[str]
) -> tuple[list[str], bool]:
    """Check a bundle of a report over several ledgers: each ledger's part as a one-ledger
    bundle, one line per figure per ledger, then each rolled-up figure from its parts."""
    report = bundle.json(bundle.manifest["report"])
    if report.get("format") != ROLLUP_FORMAT:
        raise Invalid(f"the report is not in the {ROLLUP_FORMAT} format")
    check_sources(report)
    parts = {part["name"]: part for part in bundle.manifest["ledgers"]}
    lines: list[str] = []
    status: dict[str, str] = {}  # ref -> "checked", "partly" or "FAILED"
    cosigned_ok = True
    for stated in report["ledgers"]:
        name = stated["name"]
        own = [f for f in report["figures"] if f.get("ledger") == name]
        try:
            if name not in parts:
                raise Invalid("the bundle has no part for this ledger")
            part = bundle.part(parts[name])
            if bundle.bytes(part.manifest["seal"]).decode("utf-8") != stated["checkpoint"]:
                raise Invalid("its seal in the bundle is not the seal the report embeds")
            said: list[str] = []
            seal = signed_seal(part, keys, said)
            if (stated.get("tree_size"), stated.get("root_hash")) != (seal.size, seal.root.hex()):
                raise Invalid("the report states another size or root than its seal")
            cosigned, ok = check_cosignatures(part, seal, cosigner_keys)
            cosigned_ok &= ok
            envelopes = check_tree(part, seal.hash, seal.size, seal.root)
            lines += [f"{name}: {line}" for line in said + cosigned]
            lines.append(f"{name}: envelopes: all {seal.size} rebuild the sealed root")
            figures = Figures(part, envelopes, seal.hash)
        except MALFORMED as e:
            lines.append(f"{name}: FAILED — {describe(e)}")
            status.update((f["ref"], "FAILED") for f in own)
            continue
        entries = {e["ref"]: e for e in part.manifest["figures"]}
        for figure in own:
            try:
                if figure["ref"] not in entries:
                    raise Invalid("the bundle has no evidence for it")
                line, partly = check_figure(figures, entries[figure["ref"]], figure, report)
                lines.append(f"{name}: {line}")
                status[figure["ref"]] = "partly" if partly else "checked"
            except MALFORMED as e:
                lines.append(
                    f"{name}: {figure['ref']} {figure['indicator']}: FAILED — {describe(e)}"
                )
                status[figure["ref"]] = "FAILED"
    by_ref = {f["ref"]: f for f in report["figures"]}
    for figure in report["figures"]:
        if figure.get("parts") is None:
            continue
        head = f"{figure['ref']} {figure['indicator']} = {figure['value'] or '(not defined)'}"
        try:
            parts = [by_ref[r] for r in figure["parts"]]
            line = check_rollup(figure, parts, status, report.get("distinct", "ledger"))
            lines.append(f"{head}: {line}")
            status[figure["ref"]] = "partly" if line.startswith("partly") else "checked"
        except MALFORMED as e:
            lines.append(f"{head}: FAILED — {describe(e)}")
            status[figure["ref"]] = "FAILED"
    return lines, cosigned_ok and "FAILED" not in status.values()


def check_rollup(figure: dict, parts: list[dict], status: dict[str, str], distinct: str) -> str:
    """A rolled-up figure against its ledgers' figures: checked, partly checked, or raise."""
    lineage = figure["lineage"]
    listed = [entry["ref"] for entry in lineage["ledgers"]]
    if listed != [p["ref"] for p in parts]:
        raise Invalid(f"its lineage lists {listed}, its parts are {[p['ref'] for p in parts]}")
    failed = [p["ref"] for p in parts if status.get(p["ref"]) == "FAILED"]
    if failed:
        raise Invalid(f"its ledger's figure {failed[0]} failed")
    combined = lineage.get("combined", "")
    measure = (parts[0]["lineage"].get("definition") or {}).get("measure") if parts else None
    kind = "count" if measure == "count" else next((k for k in KINDS if k in (measure or {})), None)
    # Counts and sums add across ledgers; distinct counts too when keys are per ledger
    # (docs/rollups.md); a rate divides the added numerators by the added denominators.
    if kind in ("count", "sum") or (kind == "count_distinct" and distinct == "ledger"):
        value = sum(number(p["value"]) for p in parts if p["value"])
    elif kind == "ratio":
        num = sum(number(p["lineage"]["numerator"]["value"] or 0) for p in parts)
        den = sum(number(p["lineage"]["denominator"]["value"] or 0) for p in parts)
        value = ratio(measure, num, den)
    else:
        return f"partly checked — its ledgers' figures are checked; {combined!r} is not re-derived"
    if exact_text(value) != (figure["value"] or ""):
        raise Invalid(
            f"the report says {figure['value']!r}, its ledgers' figures give {exact_text(value)!r}"
        )
    partly = [p["ref"] for p in parts if status.get(p["ref"]) != "checked"]
    if partly:
        return f"partly checked — {combined}; {', '.join(partly)} only partly checked"
    return f"checked — {combined} ({' + '.join(p['ref'] for p in parts)})"


MALFORMED = (Invalid, AttributeError, IndexError, KeyError, TypeError, ValueError)
"""What checking a bundle raises: a failed check, or a bundle not shaped as documented."""


def describe(error: Exception) -> str:
    """A failure in words: the check's own message, or what was malformed."""
    if isinstance(error, Invalid):
        return str(error)
    if isinstance(error, KeyError):
        return f"the bundle is malformed: a member {error} is missing"
    return f"the bundle is malformed: {error.__class__.__name__}: {error}"


def read_text(key: str) -> str:
    """A key given on the command line: its text, or the file holding it."""
    return Path(key).read_text(encoding="utf-8") if Path(key).is_file() else key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a civicledger evidence bundle offline.")
    parser.add_argument("bundle", type=Path, help="the evidence .zip")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        help="an office's verifier key text, or a file holding it (repeat for several ledgers)",
    )
    parser.add_argument(
        "--cosigner-key",
        action="append",
        default=[],
        help="a cosigner's (the street's) verifier key text, or a file holding it; given keys "
        "replace those the bundle carries (repeat for several cosigners)",
    )
    args = parser.parse_args(argv)
    keys = [read_text(k) for k in args.key]
    try:
        lines, ok = verify(args.bundle, keys, [read_text(k) for k in args.cosigner_key])
    except MALFORMED as e:
        print(f"FAILED: {describe(e)}")
        return 1
    print("\n".join(lines))
    print("OK: every figure checked or partly checked" if ok else "FAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
