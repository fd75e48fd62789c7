"""The reference evaluator of civicledger's indicator grammar and phrasing rules, for
examples/verify_evidence.py: standard library only, imports nothing from civicledger.

It recomputes a figure from the disclosed payload values of its events, following
docs/indicators.md (filters, count, sum, count_distinct, latest, ratio, removed_by,
group_by, state) and re-derives the words a figure is printed with, following
docs/phrasing.md (exact, approx, cn, rate). Values arrive as canonical JSON: vocabulary
members as their keys, dates as ISO text, decimals as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from verify_standalone import Invalid

ENVELOPE_FIELDS = ("stream", "type", "actor", "occurred_on", "position")


class Missing:
    """The value of a field an event does not have (distinct from null)."""

    def __repr__(self) -> str:
        return "(missing)"


MISSING = Missing()


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


# A reference a reader checks in one sitting against docs/indicators.md: one measure
# per branch, kept together on purpose.
def evaluate(definition: dict, period: dict, events: list[dict]) -> dict[tuple, list]:  # noqa: C901
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
