"""The sandbox report sentences compile in: environment, short placeholders, static checks.

Sentences are Jinja templates compiled in :class:`ImmutableSandboxedEnvironment`
with :class:`StrictUndefined`, no loader, no default filters or tests, and only
the globals of :data:`GLOBAL_NAMES`. Before compiling, the syntax tree is checked:
attribute or item names starting with ``_`` are refused (so ``''.__class__`` never
reaches the runtime sandbox, which would refuse it too), as are include, import,
extends, macros, call blocks, ``{% set %}`` and ``{% filter %}`` blocks, recursive
loops, and names that are not documented.

Rendering runs under a :class:`RenderBudget` (see ``docs/limits.md``), enforced
inside the sandbox rather than by a timer beside it: arithmetic is intercepted
and the size of its result estimated before it is computed, every loop and
``~`` concatenation goes through the budget (the tree is rewritten to call it),
string methods that multiply their input cannot be called, and each step checks
the clock.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, Final

import attrs
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes, pass_context
from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import TemplateAssertionError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from civicledger.errors import TemplateError
from civicledger.limits import DEFAULT_LIMITS, LimitError, Limits
from civicledger.reports.numbers import FILTERS

__all__ = [
    "BUDGET",
    "GLOBAL_NAMES",
    "Fail",
    "RenderBudget",
    "Sentence",
    "compile_sentence",
    "expand_short",
    "make_environment",
]

Fail = Callable[[str, "int | None", "str | None"], TemplateError]
"""Builds the error for a message, a file line and a name (the loader names the file)."""

GLOBAL_NAMES: Final = frozenset(
    {
        "fig",
        "top",
        "names",
        "year",
        "next_year",
        "period",
        "period_end",
        "span",
        "followup_count",
        "found",
        "f",
        "ledgers",
        "each_ledger",
    }
)
"""Names a sentence may use (``found`` in ``otherwise`` texts, ``f`` in follow-up texts,
``ledgers`` and ``each_ledger`` in a report over a set of ledgers)."""

BUDGET: Final = "_budget"
"""The context name the builder puts a sentence's :class:`RenderBudget` under."""

_LOOP: Final = "_budget_loop"
_CONCAT: Final = "_budget_concat"

# String methods whose result can be far larger than their input (or that format).
_AMPLIFYING_METHODS: Final = frozenset(
    {
        "center",
        "ljust",
        "rjust",
        "zfill",
        "expandtabs",
        "join",
        "replace",
        "translate",
        "format",
        "format_map",
    }
)

# Whole-number digits per bit: log10(2).
_DIGITS_PER_BIT: Final = math.log10(2)


class RenderBudget:
    """What one sentence may spend while it renders: time, iterations, sizes.

    The sandbox calls it at every loop step, intercepted operator, call and
    concatenation; each checks the clock, so a render stops itself at the limit
    and leaves nothing running.
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, *, where: str = "template") -> None:
        """Start a budget now.

        Args:
            limits: the limits to enforce.
            where: names the sentence in errors (file and place in the template).
        """
        self.limits = limits
        self.where = where
        self.deadline = time.monotonic() + limits.template_max_seconds
        self.iterations = 0
        self.output = 0

    def refuse(self, limit: str, what: str) -> LimitError:
        """The error for going beyond ``limit``."""
        return self.limits.refusal(self.where, limit, what)

    def tick(self) -> None:
        """Check the clock."""
        if time.monotonic() > self.deadline:
            raise self.refuse("template_max_seconds", "the render time")

    def loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate, counting every step of every loop of the sentence against one budget."""
        limit = self.limits.template_max_iterations
        for item in iterable:
            self.iterations += 1
            if self.iterations > limit:
                raise self.refuse("template_max_iterations", "the loop iterations")
            self.tick()
            yield item

    def concat(self, *parts: Any) -> str:
        """``a ~ b ~ c``: join as Jinja does, refusing a result beyond the string limit."""
        self.tick()
        texts = [str(p) for p in parts]
        self.check_length(sum(len(t) for t in texts))
        return "".join(texts)

    def emit(self, chunk: str) -> None:
        """Count rendered output."""
        self.output += len(chunk)
        if self.output > self.limits.template_max_output_chars:
            raise self.refuse("template_max_output_chars", "the rendered sentence")
        self.tick()

    def check_length(self, length: int) -> None:
        """Refuse a string or list longer than the limit."""
        if length > self.limits.template_max_string_chars:
            raise self.refuse("template_max_string_chars", f"a string or list of {length} items")

    def check_digits(self, digits: float) -> None:
        """Refuse a number with more decimal digits than the limit."""
        if digits > self.limits.template_max_number_digits:
            raise self.refuse("template_max_number_digits", f"a number of {digits:.0f} digits")

    def binop(self, op: str, left: Any, right: Any) -> None:
        """Check an intercepted operator's operands before it runs."""
        self.tick()
        if op == "%":
            if isinstance(left, str):
                raise TemplateError(
                    f"{self.where}: string formatting with % is not available in report "
                    "templates; use a phrasing filter"
                )
        elif op == "*":
            for sequence, count in ((left, right), (right, left)):
                if _length(sequence) is not None and type(count) is int:
                    self.check_length(len(sequence) * max(count, 0))
                    return
            self.check_digits(_digits(left) + _digits(right))
        elif op == "+":
            lengths = (_length(left), _length(right))
            if lengths[0] is not None and lengths[1] is not None:
                self.check_length(lengths[0] + lengths[1])
            else:
                self.check_digits(max(_digits(left), _digits(right)) + 1)
        elif op == "**":
            self.check_digits(_digits(left) * _exponent(right))


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


def _digits(value: Any) -> float:
    """Decimal digits of a whole number (0 for other values: they stay small or fail)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return 0
    if isinstance(value, Decimal):
        if not value.is_finite() or value == 0:
            return 0
        return max(float(value.adjusted()) + 1, 1)
    return value.bit_length() * _DIGITS_PER_BIT + 1


def _exponent(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return 0
    if value <= 0:
        return 0
    return float(value) if value < 10**18 else float("inf")


class _LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with operators, calls and loops going through the budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget(context).binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget(__context)
        budget.tick()
        # The sandbox hands str.format out wrapped; the wrapper keeps the original.
        method = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(method, "__self__", None)
        name = getattr(method, "__name__", "")
        if isinstance(owner, str | bytes) and name in _AMPLIFYING_METHODS:
            raise TemplateError(
                f"{budget.where}: refused: the string method {name}() is not available in "
                "report templates"
            )
        return super().call(__context, __obj, *args, **kwargs)


def _budget(context: Context) -> RenderBudget:
    budget = context.get(BUDGET)
    if not isinstance(budget, RenderBudget):
        raise TemplateError("a sentence template was rendered outside a report build")
    return budget


class _GuardLoops(NodeTransformer):
    """Rewrite loops and ``~`` so that they run through the render budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _budget_call(_LOOP, [node.iter], node.lineno)  # type: ignore[list-item]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _budget_call(_CONCAT, list(node.nodes), node.lineno)


def _budget_call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.Name(name, "load"), args, [], None, None, lineno=lineno)


def budget_context(budget: RenderBudget) -> dict[str, Any]:
    """The context entries a guarded sentence needs to render."""
    return {BUDGET: budget, _LOOP: budget.loop, _CONCAT: budget.concat}


_SHORT: Final = re.compile(
    r"(?<!\{)\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)\s*((?:\|[^{}|]*)?)\}(?!\})"
)


@attrs.frozen(eq=False)
class Sentence:
    """A compiled sentence template.

    Attributes:
        source: the text as written (short placeholders already expanded).
        line: the template-file line the text starts on.
        compiled: the sandboxed Jinja template.
        figures: the indicator ids it names literally, each with its file line.
        filters: the filter names it uses.
    """

    source: str
    line: int
    compiled: JinjaTemplate
    figures: tuple[tuple[str, int], ...]
    filters: frozenset[str]


def make_environment() -> ImmutableSandboxedEnvironment:
    """Build the sandboxed Jinja environment sentences compile in.

    The phrasing filters are registered as names only here; the builder binds
    their behaviour per render (see :mod:`civicledger.reports.build`).

    Returns:
        An immutable sandbox with strict undefined names and no loader.
    """
    env = _LimitedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    # Only the phrasing filters: the default filter set (format, attr, map …) is
    # dropped so a template has no way to print a raw figure or reach an object.
    env.filters = {name: _filter(name) for name in (*FILTERS, "phrase")}
    env.tests = {}
    env.globals = {}
    return env


def _filter(name: str) -> Callable[..., str]:
    """A filter that hands its value to the collector the builder puts in the context."""

    @pass_context
    def run(context: Context, value: Any, *args: Any) -> str:
        collector = context.get("_collector")
        if collector is None:
            raise TemplateError("a sentence template was rendered outside a report build")
        result: str = collector(name, value, args)
        return result

    return run


def compile_sentence(
    env: ImmutableSandboxedEnvironment, text: str, *, line: int, name: str, fail: Fail
) -> Sentence:
    """Expand short placeholders, check and compile one sentence.

    Args:
        env: the environment from :func:`make_environment`.
        text: the sentence as written.
        line: the template-file line it starts on.
        name: where it sits in the template (``"work.items[0].text"``).
        fail: builds the error to raise.

    Returns:
        The compiled sentence.

    Raises:
        TemplateError: a syntax error, an unknown filter or name, or a refused construct.
    """
    expanded = expand_short(text, line=line, name=name, fail=fail)
    try:
        tree = env.parse(expanded)
    except TemplateSyntaxError as e:
        raise fail(
            f"template syntax error in {name}: {e.message}", line + (e.lineno or 1) - 1, name
        ) from None
    figures, filters = _check_tree(tree, line, name, fail)
    guarded = _GuardLoops().visit(tree)
    guarded.set_environment(env)
    try:
        compiled = env.from_string(guarded)  # the checked tree: no second parse
    except (TemplateAssertionError, TemplateSyntaxError) as e:
        raise fail(f"in {name}: {e.message}", line + (e.lineno or 1) - 1, name) from None
    return Sentence(expanded, line, compiled, figures, filters)


def expand_short(text: str, *, line: int, name: str, fail: Fail) -> str:
    """Rewrite ``{a.b|spec}`` into ``{{ fig("a.b") | phrase("spec") }}``.

    Args:
        text: the sentence as written.
        line: its template-file line.
        name: where it sits in the template.
        fail: builds the error to raise.

    Returns:
        The sentence in plain Jinja syntax.

    Raises:
        TemplateError: a spec holds a quote or a backslash.
    """

    def replace(match: re.Match[str]) -> str:
        ident, spec = match.group(1), match.group(2).lstrip("|").strip() or "exact"
        if '"' in spec or "\\" in spec:
            offset = text.count("\n", 0, match.start())
            raise fail(f"bad phrasing spec {spec!r} for {ident!r} in {name}", line + offset, ident)
        return f'{{{{ fig("{ident}") | phrase("{spec}") }}}}'

    return _SHORT.sub(replace, text)


_KIND: Final = {nodes.AssignBlock: "a {% set %} block", nodes.FilterBlock: "a {% filter %} block"}


def _check_tree(
    tree: nodes.Template, line: int, name: str, fail: Fail
) -> tuple[tuple[tuple[str, int], ...], frozenset[str]]:
    """Refuse what a report sentence must never do; collect figures and filters."""
    reached: list[tuple[object, int]] = [(n.attr, n.lineno) for n in tree.find_all(nodes.Getattr)]
    reached += [(getattr(n.arg, "value", None), n.lineno) for n in tree.find_all(nodes.Getitem)]
    for attr, lineno in reached:
        if isinstance(attr, str) and attr.startswith("_"):
            raise fail(
                f"refused: {name} reaches for {attr!r}; names starting with '_' are "
                "not reachable from a report template",
                line + lineno - 1,
                attr,
            )
    for banned in (
        nodes.Include,
        nodes.Import,
        nodes.FromImport,
        nodes.Extends,
        nodes.Macro,
        nodes.CallBlock,
        nodes.AssignBlock,
        nodes.FilterBlock,
    ):
        for statement in tree.find_all(banned):
            kind = _KIND.get(type(statement), type(statement).__name__.lower())
            raise fail(
                f"refused: {name} uses {kind}, which report templates do not allow",
                line + statement.lineno - 1,
                kind,
            )
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise fail(
                f"refused: {name} uses a recursive loop, which report templates do not allow",
                line + loop.lineno - 1,
                "recursive",
            )
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in GLOBAL_NAMES and node.name not in bound:
            raise fail(
                f"unknown name {node.name!r} in {name}; known: {', '.join(sorted(GLOBAL_NAMES))}",
                line + node.lineno - 1,
                node.name,
            )
    figures: list[tuple[str, int]] = []
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in ("fig", "top"):
            if (
                not call.args
                or not isinstance(call.args[0], nodes.Const)
                or not isinstance(call.args[0].value, str)
            ):
                raise fail(
                    f"{call.node.name}() in {name} needs an indicator id in quotes",
                    line + call.lineno - 1,
                    "fig",
                )
            figures.append((call.args[0].value, line + call.lineno - 1))
    filters = frozenset(f.name for f in tree.find_all(nodes.Filter))
    for used in tree.find_all(nodes.Filter):
        if used.name == "phrase":
            spec = used.args[0] if used.args else None
            if not isinstance(spec, nodes.Const) or not isinstance(spec.value, str):
                raise fail(
                    f"phrase() in {name} needs a spec in quotes",
                    line + used.lineno - 1,
                    "phrase",
                )
            filters |= {spec.value.split(":")[0]}
    return tuple(figures), filters
