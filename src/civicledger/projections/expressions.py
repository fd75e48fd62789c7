"""The small expression language of indicators: filters and sum expressions.

Filters::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := FIELD OP literal | FIELD ["not"] "in" "[" literal ("," literal)* "]"
                | FIELD ["not"] ("startswith" | "contains") literal
                | FIELD ["not"] "between" literal "and" literal
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    literal    := "text" | 'text' | 12 | 12.50 | 2023-05-01 | true | false | null
                | period.start | period.end | period.last_month_start | period.year_start

Sum expressions (what a ``sum`` measure adds up per event)::

    arith  := term (("+" | "-") term)*
    term   := factor ("*" factor)*
    factor := FIELD | INTEGER | DECIMAL | "(" arith ")"

Derived figures (arithmetic over other figures, :func:`parse_derived`) also
divide and call the two named forms offices use::

    term   := factor (("*" | "/") factor)*
    factor := ... | ("share" | "growth") "(" arith "," arith ")"

Field names are dotted identifiers (see :mod:`civicledger.projections.fields`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import attrs

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent
from civicledger.projections.fields import (
    MISSING,
    Getter,
    getter,
    valid_field_name,
)
from civicledger.projections.filters import (
    OPERATORS,
    And,
    Compare,
    Filter,
    In,
    Not,
    Or,
    PeriodBound,
    Scalar,
    format_value,
)
from civicledger.projections.matching import Between, Contains, StartsWith

__all__ = [
    "NAMED_FORMS",
    "Arith",
    "BinOp",
    "Const",
    "FieldRef",
    "Named",
    "Quotient",
    "parse_arith",
    "parse_derived",
    "parse_filter",
]

NAMED_FORMS = ("share", "growth")
"""The named forms of derived figures: ``share(a, b)`` = a ÷ b × 100, ``growth(a, b)`` =
(a − b) ÷ b × 100."""

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w.]))
  | (?P<number>\d+(?:\.\d+)?(?![\w.]))
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/)
  | (?P<punct>[()\[\],])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_MATCH_WORDS = ("startswith", "contains", "between")
"""Words after a field name that start a partial match (see :mod:`.matching`)."""
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "/": "/"}


@attrs.frozen
class _Token:
    kind: str
    text: str
    column: int


def _tokens(text: str, what: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _error(text, position, what, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _error(text: str, position: int, what: str, message: str) -> ValidationError:
    return ValidationError(f"{what} {text!r}, column {position + 1}: {message}", field=what)


def _unquote(token: str) -> str:
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u":
                out.append(_unicode_escape(body[i + 2 : i + 6]))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unicode_escape(digits: str) -> str:
    """The character of a ``\\uXXXX`` escape; a Unicode scalar value, never a surrogate."""
    if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError(f"\\u must be followed by four hex digits, not {digits!r}")
    code = int(digits, 16)
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"\\u{digits} is a surrogate, not a character")
    return chr(code)


class _Parser:
    def __init__(self, text: str, what: str, *, derived: bool = False) -> None:
        if not isinstance(text, str):
            raise ValidationError(f"{what} must be text, got {text!r}", field=what)
        for position, character in enumerate(text):
            if 0xD800 <= ord(character) <= 0xDFFF:
                raise _error(text, position, what, "a lone surrogate is not a character")
        self.text = text
        self.what = what
        self.derived = derived  # division and the named forms: derived figures only
        self.tokens = _tokens(text, what)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def fail(self, message: str, token: _Token | None = None) -> ValidationError:
        token = token or self.current
        return _error(self.text, token.column - 1, self.what, message)

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def is_word(self, word: str) -> bool:
        return self.current.kind == "name" and self.current.text == word

    def expect(self, text: str) -> None:
        if self.current.text != text or self.current.kind == "string":
            shown = self.current.text or "the end"
            raise self.fail(f"expected {text!r}, found {shown!r}")
        self.take()

    def finish(self) -> None:
        if self.current.kind != "end":
            raise self.fail(f"unexpected {self.current.text!r}")

    # filters

    def filter(self) -> Filter:
        clauses = [self.conjunction()]
        while self.is_word("or"):
            self.take()
            clauses.append(self.conjunction())
        return clauses[0] if len(clauses) == 1 else Or(tuple(clauses))

    def conjunction(self) -> Filter:
        clauses = [self.negation()]
        while self.is_word("and"):
            self.take()
            clauses.append(self.negation())
        return clauses[0] if len(clauses) == 1 else And(tuple(clauses))

    def negation(self) -> Filter:
        if self.is_word("not"):
            self.take()
            return Not(self.negation())
        if self.current.text == "(" and self.current.kind == "punct":
            self.take()
            inner = self.filter()
            self.expect(")")
            return inner
        return self.comparison()

    def field_name(self) -> str:
        token = self.current
        if token.kind != "name" or token.text in _KEYWORDS:
            raise self.fail(f"expected a field name, found {token.text or 'the end'!r}")
        self.take()
        return token.text

    def comparison(self) -> Filter:
        name = self.field_name()
        negated = False
        if self.is_word("not"):
            self.take()
            negated = True
            if not any(self.is_word(w) for w in ("in", *_MATCH_WORDS)):
                raise self.fail("expected 'in', 'startswith', 'contains' or 'between' after 'not'")
        if any(self.is_word(w) for w in _MATCH_WORDS):
            matched = self.match(name)
            return Not(matched) if negated else matched
        if self.is_word("in"):
            self.take()
            values = self.literal_list()
            membership = In(name, values)
            return Not(membership) if negated else membership
        token = self.current
        if token.kind != "op" or token.text not in OPERATORS:
            raise self.fail(f"expected a comparison after {name!r}, found {token.text!r}")
        self.take()
        value_token = self.current
        value = self.literal()
        try:
            return Compare(name, token.text, value)
        except ValidationError as e:
            raise self.fail(e.message, value_token) from None

    def match(self, name: str) -> Filter:
        """The rest of ``name startswith "x"``, ``name contains x``, ``name between a and b``."""
        word = self.take().text
        value_token = self.current
        try:
            if word == "between":
                low = self.literal()
                if not self.is_word("and"):
                    raise self.fail("expected 'and' between the bounds of 'between'")
                self.take()
                return Between(name, low, self.literal())
            value = self.literal()
            if word == "startswith":
                return StartsWith(name, value)
            return Contains(name, value)
        except ValidationError as e:
            if e.message.startswith(self.what):
                raise
            raise self.fail(e.message, value_token) from None

    def literal_list(self) -> tuple[Scalar, ...]:
        self.expect("[")
        values = [self.literal()]
        while self.current.text == ",":
            self.take()
            values.append(self.literal())
        self.expect("]")
        return tuple(values)

    def literal(self) -> Scalar:
        token = self.take()
        if token.kind == "op" and token.text == "-" and self.current.kind == "number":
            number = self.take().text
            return -Decimal(number) if "." in number else -int(number)
        if token.kind == "string":
            try:
                return _unquote(token.text)
            except ValueError as e:
                raise self.fail(str(e), token) from None
        if token.kind == "number":
            return Decimal(token.text) if "." in token.text else int(token.text)
        if token.kind == "date":
            try:
                return date.fromisoformat(token.text)
            except ValueError:
                raise self.fail(f"{token.text} is not a calendar date", token) from None
        if token.kind == "name" and token.text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.text]
        if token.kind == "name" and token.text.startswith("period."):
            try:
                return PeriodBound(token.text)
            except ValidationError as e:
                raise self.fail(e.message, token) from None
        raise self.fail(f"expected a value, found {token.text or 'the end'!r}", token)

    # sum expressions

    def arith(self) -> Arith:
        node = self.term()
        while self.current.kind == "op" and self.current.text in ("+", "-"):
            op = self.take().text
            node = BinOp(op, node, self.term())  # type: ignore[arg-type]
        return node

    def term(self) -> Arith:
        node = self.factor()
        while self.current.kind == "op" and self.current.text in ("*", "/"):
            token = self.take()
            if token.text == "*":
                node = BinOp("*", node, self.factor())
            elif self.derived:
                node = Quotient(node, self.factor())
            else:
                raise self.fail("'/' divides figures only in a derived figure", token)
        return node

    def factor(self) -> Arith:
        token = self.current
        if token.kind == "punct" and token.text == "(":
            self.take()
            inner = self.arith()
            self.expect(")")
            return inner
        if token.kind == "number":
            self.take()
            return Const(Decimal(token.text) if "." in token.text else int(token.text))
        name = self.field_name()
        if self.current.kind == "punct" and self.current.text == "(":
            return self.named(name, token)
        return FieldRef(name)

    def named(self, name: str, token: _Token) -> Arith:
        """The rest of ``share(a, b)`` or ``growth(a, b)``."""
        if not self.derived or name not in NAMED_FORMS:
            known = ", ".join(NAMED_FORMS) if self.derived else "none here"
            raise self.fail(f"unknown form {name!r} (known: {known})", token)
        self.expect("(")
        left = self.arith()
        self.expect(",")
        right = self.arith()
        self.expect(")")
        return Named(name, left, right)  # type: ignore[arg-type]


def parse_filter(text: str) -> Filter:
    """Read a filter from its printed form.

    Args:
        text: e.g. ``'program == "reemployment" and attendees >= 10'``.

    Returns:
        The filter; ``str()`` of it prints an equivalent text.

    Raises:
        ValidationError: the text is not a filter; the message gives the column.
    """
    parser = _Parser(text, "filter")
    result = parser.filter()
    parser.finish()
    return result


def parse_derived(text: str) -> Arith:
    """Read a derived figure's expression: ``"a - b"``, ``"a / b * 100"``, ``"share(a, b)"``.

    Raises:
        ValidationError: the text is not an expression; the message gives the column.
    """
    parser = _Parser(text, "expression", derived=True)
    result = parser.arith()
    parser.finish()
    return result


def parse_arith(text: str) -> Arith:
    """Read a sum expression such as ``"participants * hours"`` or ``"joined - left"``.

    Raises:
        ValidationError: the text is not an expression; the message gives the column.
    """
    parser = _Parser(text, "expression")
    result = parser.arith()
    parser.finish()
    return result


class Arith:
    """Base of sum expressions: a per-event number computed from its fields."""

    __slots__ = ()

    def evaluator(self) -> Getter:
        """A function from a recorded event to its value (MISSING if a field is absent)."""
        raise NotImplementedError

    def fields(self) -> frozenset[str]:
        """Every field the expression reads."""
        raise NotImplementedError

    def precedence(self) -> int:
        """Binding strength for printing (higher binds tighter)."""
        return 3


def _number(value: Any) -> Any:
    if value is MISSING or value is None:
        return MISSING
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return MISSING
    return value


@attrs.frozen
class FieldRef(Arith):
    """A numeric field of the event."""

    name: str = attrs.field(validator=valid_field_name)

    def evaluator(self) -> Getter:
        read = getter(self.name)
        return lambda r: _number(read(r))

    def fields(self) -> frozenset[str]:
        return frozenset({self.name})

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Const(Arith):
    """A constant (integer or Decimal)."""

    value: int | Decimal

    def evaluator(self) -> Getter:
        value = self.value
        return lambda _r: value

    def fields(self) -> frozenset[str]:
        return frozenset()

    def __str__(self) -> str:
        return format_value(self.value)


@attrs.frozen
class BinOp(Arith):
    """``left op right`` with op one of ``+``, ``-``, ``*``."""

    op: Literal["+", "-", "*"]
    left: Arith
    right: Arith

    def evaluator(self) -> Getter:
        left, right, op = self.left.evaluator(), self.right.evaluator(), self.op

        def evaluate(record: RecordedEvent) -> Any:
            a, b = left(record), right(record)
            if a is MISSING or b is MISSING:
                return MISSING
            return a + b if op == "+" else a - b if op == "-" else a * b

        return evaluate

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()

    def precedence(self) -> int:
        return 2 if self.op == "*" else 1

    def __str__(self) -> str:
        mine = self.precedence()
        left = str(self.left) if self.left.precedence() >= mine else f"({self.left})"
        # The right side needs brackets at equal precedence too: a - (b - c).
        right = str(self.right) if self.right.precedence() > mine else f"({self.right})"
        return f"{left} {self.op} {right}"


class _OverFigures(Arith):
    """Base of the nodes only derived figures have: they divide figures, not event fields."""

    __slots__ = ()
    left: Arith
    right: Arith

    def evaluator(self) -> Getter:
        raise ValidationError(f"{self} divides figures; it is not a per-event expression")

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()


@attrs.frozen
class Quotient(_OverFigures):
    """``left / right``: exact division of figures (derived figures only)."""

    left: Arith
    right: Arith

    def precedence(self) -> int:
        return 2

    def __str__(self) -> str:
        left = str(self.left) if self.left.precedence() >= 2 else f"({self.left})"
        right = str(self.right) if self.right.precedence() > 2 else f"({self.right})"
        return f"{left} / {right}"


@attrs.frozen
class Named(_OverFigures):
    """``share(left, right)`` (left ÷ right × 100) or ``growth(left, right)``
    ((left − right) ÷ right × 100), in percent (derived figures only)."""

    form: Literal["share", "growth"]
    left: Arith
    right: Arith

    def __str__(self) -> str:
        return f"{self.form}({self.left}, {self.right})"


def iter_clauses(where: Filter) -> Iterator[Filter]:
    """Every clause of a filter, depth first (the filter itself first)."""
    yield where
    if isinstance(where, And | Or):
        for clause in where.clauses:
            yield from iter_clauses(clause)
    elif isinstance(where, Not):
        yield from iter_clauses(where.clause)
