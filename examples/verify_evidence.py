"""Check a civicledger evidence bundle offline: every figure of a published report,
recomputed from the values the bundle discloses, against the office's signed seal.

Usage:
    python verify_evidence.py EVIDENCE.zip [--key VERIFIER_KEY]

Standard library only, plus `cryptography` for the seal's signature; it imports
nothing from civicledger, only verify_standalone.py (next to this file) for the
seal and signature checks. The bundle layout (civicledger-evidence/1) and the
recipe are in docs/audit.md; the bytes of leaves and disclosures in docs/hashing.md;
the indicator grammar in docs/indicators.md; the phrasing rules in docs/phrasing.md.

It prints one line per figure of the report: checked, partly checked (and why) or
FAILED (and why). Exit status 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_standalone import Invalid, check_signature, digest, parse_seal

BUNDLE_FORMAT = "civicledger-evidence/1"
DISCLOSURE_FORMAT = "civicledger-disclosure/1"
REPORT_FORMAT = "civicledger-report/2"
ENVELOPE_FIELDS = ("stream", "type", "actor", "occurred_on", "position")


class Missing:
    """The value of a field an event does not have (distinct from null)."""

    def __repr__(self) -> str:
        return "(missing)"


MISSING = Missing()


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
        if self.manifest.get("format") != BUNDLE_FORMAT:
            raise Invalid(f"manifest.json: format must be {BUNDLE_FORMAT!r}")

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
    for number, line in enumerate(envelopes, start=1):
        try:
            envelope = json.loads(line)
        except ValueError:
            raise Invalid(f"envelope {number} is not JSON") from None
        if envelope.get("position") != number:
            raise Invalid(
                f"envelope {number} says position {envelope.get('position')!r}: envelopes are "
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


# -- the indicator grammar (docs/indicators.md) ------------------------------------------

TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<date>\d{4}-\d{2}-\d{2}(?![\w.]))|(?P<number>\d+(?:\.\d+)?(?![\w.]))
    |(?P<op>==|!=|<=|>=|<|>|\+|-|\*)|(?P<punct>[()\[\],])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)""",
    re.VERBOSE,
)
DECIMAL = re.compile(r"-?\d+(\.\d+)?")


class Date(str):
    """A date literal (compared with ISO date strings)."""


class Parser:
    """Filters and sum expressions, as indicators print them; results are small closures."""

    def __init__(self, text: str) -> None:
        self.tokens, at = [], 0
        while at < len(text):
            match = TOKEN.match(text, at)
            if match is None:
                raise Invalid(f"cannot read {text!r} at column {at + 1}")
            if match.lastgroup != "ws":
                self.tokens.append((match.lastgroup, match.group()))
            at = match.end()
        self.tokens.append(("end", ""))
        self.at = 0

    def peek(self, text: str) -> bool:
        return self.tokens[self.at][1] == text and self.tokens[self.at][0] != "string"

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.tokens[self.at - 1]

    def expect(self, text: str) -> None:
        if not self.peek(text):
            raise Invalid(f"expected {text!r}, found {self.tokens[self.at][1]!r}")
        self.take()

    def done(self) -> None:
        if self.tokens[self.at][0] != "end":
            raise Invalid(f"unexpected {self.tokens[self.at][1]!r}")

    def filter(self) -> Callable[[dict], bool]:
        parts = [self.conjunction()]
        while self.peek("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda e, ps=parts: any(p(e) for p in ps)

    def conjunction(self) -> Callable[[dict], bool]:
        parts = [self.negation()]
        while self.peek("and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else lambda e, ps=parts: all(p(e) for p in ps)

    def negation(self) -> Callable[[dict], bool]:
        if self.peek("not"):
            self.take()
            inner = self.negation()
            return lambda e: not inner(e)
        if self.peek("("):
            self.take()
            inner = self.filter()
            self.expect(")")
            return inner
        field = self.take()[1]
        if self.peek("not") or self.peek("in"):
            negated = self.peek("not")
            if negated:
                self.take()
            self.expect("in")
            self.expect("[")
            values = [self.literal()]
            while self.peek(","):
                self.take()
                values.append(self.literal())
            self.expect("]")
            test = lambda e: any(compare("==", read(e, field), v) for v in values)  # noqa: E731
            return (lambda e: not test(e)) if negated else test
        op = self.take()[1]
        value = self.literal()
        return lambda e: compare(op, read(e, field), value)

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "string":  # printed as JSON strings; single quotes only by hand
            return json.loads(text) if text[0] == '"' else text[1:-1]
        if kind == "date":
            return Date(text)
        if kind == "number":
            return Decimal(text) if "." in text else int(text)
        words = {"true": True, "false": False, "null": None}
        if kind == "name" and text in words:
            return words[text]
        raise Invalid(f"expected a value, found {text!r}")

    def arith(self) -> Callable[[dict], Any]:
        left = self.term()
        while self.peek("+") or self.peek("-"):
            op, right, first = self.take()[1], self.term(), left
            left = lambda e, a=first, b=right, o=op: combine(o, a(e), b(e))  # noqa: E731
        return left

    def term(self) -> Callable[[dict], Any]:
        left = self.factor()
        while self.peek("*"):
            self.take()
            right, first = self.factor(), left
            left = lambda e, a=first, b=right: combine("*", a(e), b(e))  # noqa: E731
        return left

    def factor(self) -> Callable[[dict], Any]:
        if self.peek("("):
            self.take()
            inner = self.arith()
            self.expect(")")
            return inner
        kind, text = self.take()
        if kind == "number":
            value = Decimal(text) if "." in text else int(text)
            return lambda e: value
        return lambda e: number(read(e, text))


def parse(text: str, kind: str) -> Callable[[dict], Any]:
    parser = Parser(text)
    result = parser.filter() if kind == "filter" else parser.arith()
    parser.done()
    return result


def read(event: dict, name: str) -> Any:
    """A field of an event ({"envelope": ..., "values": ...}): envelope field or payload path."""
    if name in ENVELOPE_FIELDS:
        return event["envelope"][name]
    parts = name.split(".")
    if parts[0] == "payload" and len(parts) > 1:
        parts = parts[1:]
    value: Any = event["values"]
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def number(value: Any) -> Any:
    """A value as a number for arithmetic: an integer, or a Decimal written as text."""
    if isinstance(value, bool) or value is None:
        return MISSING
    if isinstance(value, int):
        return value
    if isinstance(value, str) and DECIMAL.fullmatch(value):
        return Decimal(value)
    return MISSING


def combine(op: str, a: Any, b: Any) -> Any:
    if a is MISSING or b is MISSING:
        return MISSING
    return a + b if op == "+" else a - b if op == "-" else a * b


def compare(op: str, actual: Any, expected: Any) -> bool:
    """The filter language's comparison: other kinds are never equal and never ordered."""
    if actual is MISSING:
        return False
    if isinstance(expected, int | Decimal) and not isinstance(expected, bool):
        actual = number(actual) if isinstance(actual, str) else actual
    same = (
        expected is None
        or actual is None
        or (isinstance(expected, bool) and isinstance(actual, bool))
        or (
            not isinstance(expected, bool)
            and not isinstance(actual, bool)
            and (
                (isinstance(expected, int | Decimal) and isinstance(actual, int | Decimal))
                or (isinstance(expected, str) and isinstance(actual, str))
            )
        )
    )
    if op == "==":
        return same and actual == expected
    if op == "!=":
        return not (same and actual == expected)
    if not same or actual is None or expected is None or isinstance(actual, bool):
        return False
    return {"<": actual < expected, "<=": actual <= expected, ">": actual > expected}.get(
        op, actual >= expected
    )


def group_text(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return value if isinstance(value, str) else str(value)


def keys(value: Any) -> list[str]:
    if value is MISSING or value is None:
        return []
    if isinstance(value, list):
        return [group_text(v) for v in value if v is not None]
    return [group_text(value)]


def evaluate(definition: dict, period: dict, events: list[dict]) -> dict[tuple, list]:
    """Recompute a (non-ratio) indicator from its events' disclosed values, as the ledger does.

    Returns, per group (a tuple of (field, text) pairs), [value, ids of contributing
    events]; a latest figure without an event has value None.
    """
    measure = definition["measure"]
    kind = "count" if measure == "count" else next(k for k in KINDS if k in measure)
    options = measure if isinstance(measure, dict) else {}
    removed_by, source = set(options.get("removed_by", ())), set(definition["source"])
    test = parse(definition["where"], "filter") if definition.get("where") else lambda e: True
    group_by = definition.get("group_by", [])
    start = None if definition.get("state") else period["start"]
    amount = parse(options["sum"], "arith") if kind == "sum" else None
    removed_text = options.get("removed_expression")
    removed_amount = parse(removed_text, "arith") if removed_text else amount
    cells: dict[tuple, list] = {}
    opened: dict[str, tuple] = {}  # distinct values still open (with removed_by), by group
    seen: set[tuple] = set()  # (group, value) already counted (without removed_by)
    latest: dict[tuple, tuple] = {}

    def add(cell: tuple, event_id: str, change: Any) -> None:
        entry = cells.setdefault(cell, [0, []])
        entry[0] += change
        if event_id not in entry[1]:
            entry[1].append(event_id)

    for event in sorted(events, key=lambda e: e["envelope"]["position"]):
        envelope = event["envelope"]
        event_id, day = envelope["event_id"], envelope["occurred_on"]
        if day > period["end"] or (start is not None and day < start):
            continue
        closing = envelope["type"] in removed_by and envelope["type"] not in source
        if envelope["type"] not in source and not closing:
            continue
        if closing and kind == "count_distinct":
            field = options.get("removed_field") or options["count_distinct"]
            for key in keys(read(event, field)):
                if key in opened:
                    add(opened.pop(key), event_id, -1)
            continue
        if not test(event):
            continue
        cell = tuple((n, group_text(read(event, n))) for n in group_by)
        if kind == "count":
            add(cell, event_id, -1 if closing else 1)
        elif kind == "sum":
            value = (removed_amount if closing else amount)(event)  # type: ignore[misc]
            if value is not MISSING:
                add(cell, event_id, -value if closing else value)
        elif kind == "count_distinct":
            for key in keys(read(event, options["count_distinct"])):
                if removed_by and key not in opened:
                    opened[key] = cell
                elif removed_by or (cell, key) in seen:
                    continue
                seen.add((cell, key))
                add(cell, event_id, 1)
        else:
            raw = read(event, options["latest"])
            value = int(raw) if isinstance(raw, bool) else number(raw)
            rank = (day, envelope["position"])
            if value is not MISSING and (cell not in latest or rank >= latest[cell]):
                latest[cell] = rank
                cells[cell] = [value, [event_id]]
    if not cells and not group_by:
        cells[()] = [None if kind == "latest" else 0, []]
    return cells


KINDS = ("count", "count_distinct", "sum", "latest", "ratio")
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})


def names(text: str | None) -> set[str]:
    """The field names a filter or expression reads."""
    if not text:
        return set()
    tokens = Parser(text).tokens
    return {t for kind, t in tokens if kind == "name" and t not in KEYWORDS}


def fields_read(definition: dict) -> dict[str, set[str]]:
    """The top-level payload fields an indicator reads, per event type (docs/audit.md)."""
    measure = definition["measure"]
    options = measure if isinstance(measure, dict) else {}
    common = names(definition.get("where")) | set(definition.get("group_by", []))
    opening, closing = set(common), set(common)
    if "sum" in options:
        opening |= names(options["sum"])
        closing |= names(options.get("removed_expression") or options["sum"])
    elif "count_distinct" in options:
        opening.add(options["count_distinct"])
        closing = {options.get("removed_field") or options["count_distinct"]}
    elif "latest" in options:
        opening.add(options["latest"])

    def top(fields: set[str]) -> set[str]:
        parts = [f.split(".") for f in fields if f not in ENVELOPE_FIELDS]
        return {p[1] if p[0] == "payload" and len(p) > 1 else p[0] for p in parts}

    read = {t: top(opening) for t in definition["source"]}
    for type_name in options.get("removed_by", ()):
        read.setdefault(type_name, top(closing))
    return read


def exact_text(value: Any) -> str:
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def ratio(measure: dict, numerator: Any, denominator: Any) -> Any:
    if numerator is None or denominator is None or denominator == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(numerator) * measure.get("factor", 100) / Decimal(denominator)
        return exact.quantize(Decimal(1).scaleb(-measure.get("decimals", 2)), ROUND_HALF_UP)


# -- phrasing (docs/phrasing.md), for the rules a figure is printed with --------------------

DIGITS = "零一二三四五六七八九"


def plain(value: Any) -> str:
    return exact_text(value)


def lossless_scaled(q: Fraction) -> str | None:
    for unit, size in (("亿", 10**8), ("万", 10**4)):
        if abs(q) >= size and (q / size * 100).denominator == 1:
            units = int(q / size * 100)
            whole, frac = divmod(units, 100)
            return f"{whole}" + (f".{frac:02d}".rstrip("0") if frac else "") + unit
    return None


def approximate(value: Any, style: str, precision: int | None) -> tuple[str, str]:
    if value < 10:
        return plain(value), f"exact:below-10:approx:{style}"
    p = precision or 10 ** (len(str(int(value))) - 2)
    rule, q = f"approx:{style}:precision={p}", Fraction(value)
    if style == "约":
        stated = int((q / p + Fraction(1, 2)) // 1) * p
    elif style == "近":
        stated = -int((-q / p) // 1) * p
    else:
        stated = int((q / p) // 1) * p
    reason = "round" if stated == q else "too-small" if stated == 0 else None
    if style == "近" and reason is None and stated - q > Fraction(p, 2):
        reason = "not-near"
    if reason:
        return lossless_scaled(q) or plain(value), f"exact:{reason}:{rule}"
    text = lossless_scaled(Fraction(stated)) or str(stated)
    if style != "余":
        return style + text, rule
    if text[-1] in "万亿":
        mantissa, unit = text[:-1], text[-1]
        if len(mantissa) < 2 or "." in mantissa:
            return mantissa + unit + "余", rule
        return mantissa + "余" + unit, rule
    return text + "余", rule


def numeral(n: int) -> str:
    def below_10000(n: int) -> str:
        parts, gap = [], False
        for place, mark in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = n // place % 10
            if d == 0:
                gap = bool(parts)
            else:
                parts += ["零"] if gap else []
                gap = False
                parts.append(DIGITS[d] + mark)
        return "".join(parts)

    if n == 0:
        return "零"
    high, low = divmod(n, 10**4)
    text = below_10000(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + below_10000(low)
    return text[1:] if text.startswith("一十") else text


def percent(num: Any, den: Any, decimals: int) -> tuple[str, str]:
    pct = Fraction(num) * 100 / Fraction(den)
    units = int(pct * 10**decimals + Fraction(1, 2))  # pct >= 0: half up

    def fixed(u: int) -> str:
        digits = str(u).rjust(decimals + 1, "0")
        return digits[:-decimals] + "." + digits[-decimals:] if decimals else digits

    if units == 0 and pct != 0:
        return f"不足{fixed(1)}%", ":under-smallest"
    if units == 100 * 10**decimals and pct < 100:
        return fixed(units - 1) + "%", ":held-below-100"
    return fixed(units) + "%", ""


def rephrase(rule: str, value: Any, parts: tuple[Any, Any] | None) -> tuple[str, str] | None:
    """(text, rule) re-derived from a span's rule and the recomputed value; None: unknown rule."""
    base, _, classifier = rule.partition("+")
    words = base.split(":")
    if base == "exact":
        return plain(value) + classifier, rule
    if "approx" in words:
        at = words.index("approx")
        style = words[at + 1]
        precision = next((int(w[10:]) for w in words if w.startswith("precision=")), None)
        if words[0] == "exact" and words[1] == "below-10":
            precision = None
        text, derived = approximate(value, style, precision)
        return text + classifier, derived + (f"+{classifier}" if classifier else "")
    if words[0] == "cn" and isinstance(value, int):
        word = words[1] if len(words) > 1 else ""
        return ("两" if value == 2 and word else numeral(value)) + word, rule
    if words[0] == "rate" and parts is not None:
        verb = {"bare": ""}.get(words[1], words[1])
        decimals = int(words[2].removeprefix("decimals="))
        text, note = percent(parts[0], parts[1], decimals)
        derived = f"rate:{words[1]}:decimals={decimals}:round-half-up{note}"
        return (verb if text[0].isdigit() else "") + text, derived
    return None


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

    def plain(self, entry: dict, lineage: dict) -> tuple[Any, str | None]:
        """Check a non-ratio figure; return (recomputed value or None, why only partly)."""
        definition, period = lineage["definition"], lineage["period"]
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


def check_figure(figures: Figures, entry: dict, figure: dict, report: dict) -> str:
    """One line: the figure checked, partly checked or FAILED, and why."""
    ref = figure["ref"]
    head = f"{ref} {figure['indicator']}"
    group = figure["lineage"].get("group") or {}
    head += "".join(f"[{k}={v}]" for k, v in group.items())
    head += f" = {figure['value'] or '(not defined)'}"
    value, partial, parts = figures.check(entry, figure["lineage"])
    if partial:
        why = "; ".join(p.removeprefix(f"{figure['indicator']}: ") for p in partial)
        return f"{head}: partly checked — {why} (checked to the envelope level)"
    if exact_text(value) != figure["value"]:
        raise Invalid(
            f"the report says {figure['value']!r}, the disclosed values give {exact_text(value)!r}"
        )
    phrases = [check_phrase(span, value, parts) for span in spans(report) if span["ref"] == ref]
    if None in phrases:
        return f"{head}: partly checked — value checked; a phrase's rule is not re-derived here"
    shown = f" ({', '.join(dict.fromkeys(p for p in phrases if p))})" if phrases else ""
    return f"{head}{shown}: checked"


def verify(path: Path, key_text: str | None) -> tuple[list[str], bool]:
    """Check a bundle; return the lines to print and whether everything passed."""
    bundle = Bundle(path)
    manifest = bundle.manifest
    seal = parse_seal(bundle.bytes(manifest["seal"]).decode("utf-8"))
    lines: list[str] = []
    if key_text is None and manifest.get("public_key"):
        key_text = bundle.bytes(manifest["public_key"]).decode("utf-8")
        lines.append("key: taken from the bundle; compare it with the key the office publishes")
    if key_text is None:
        raise Invalid("no verifier key: pass --key (the bundle carries none)")
    signer = check_signature(seal.body, seal.signatures, key_text)
    lines.append(f"seal: {seal.origin} at size {seal.size}, signed by {signer}")
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
    envelopes = check_tree(bundle, seal.hash, seal.size, seal.root)
    lines.append(f"envelopes: all {seal.size} rebuild the sealed root")
    figures = Figures(bundle, envelopes, seal.hash)
    entries = {e["ref"]: e for e in manifest["figures"]}
    ok = True
    for figure in report["figures"]:
        try:
            if figure["ref"] not in entries:
                raise Invalid("the bundle has no evidence for it")
            lines.append(check_figure(figures, entries[figure["ref"]], figure, report))
        except (Invalid, KeyError, TypeError, ValueError) as e:
            ok = False
            lines.append(f"{figure['ref']} {figure['indicator']}: FAILED — {e}")
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a civicledger evidence bundle offline.")
    parser.add_argument("bundle", type=Path, help="the evidence .zip")
    parser.add_argument("--key", help="the office's verifier key text, or a file holding it")
    args = parser.parse_args(argv)
    key = args.key
    if key is not None and Path(key).is_file():
        key = Path(key).read_text(encoding="utf-8")
    try:
        lines, ok = verify(args.bundle, key)
    except (Invalid, KeyError, TypeError, ValueError) as e:
        print(f"FAILED: {e}")
        return 1
    print("\n".join(lines))
    print("OK: every figure checked or partly checked" if ok else "FAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
