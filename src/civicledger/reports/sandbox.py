"""The sandbox report sentences compile in: environment, short placeholders, static checks.

Sentences are Jinja templates compiled in :class:`ImmutableSandboxedEnvironment`
with :class:`StrictUndefined`, no loader, no default filters or tests, and only
the globals of :data:`GLOBAL_NAMES`. Before compiling, the syntax tree is checked:
attribute or item names starting with ``_`` are refused (so ``''.__class__`` never
reaches the runtime sandbox, which would refuse it too), as are include, import,
extends, macros and call blocks, and names that are not documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import attrs
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes, pass_context
from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import TemplateAssertionError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from civicledger.errors import TemplateError
from civicledger.reports.numbers import FILTERS

__all__ = [
    "GLOBAL_NAMES",
    "Fail",
    "Sentence",
    "compile_sentence",
    "expand_short",
    "make_environment",
]

Fail = Callable[[str, "int | None", "str | None"], TemplateError]
"""Builds the error for a message, a file line and a name (the loader names the file)."""

GLOBAL_NAMES: Final = frozenset(
    {"fig", "top", "names", "year", "next_year", "period", "followup_count", "found", "f"}
)
"""Names a sentence may use (``found`` in ``otherwise`` texts, ``f`` in follow-up texts)."""

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
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
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
    try:
        compiled = env.from_string(tree)  # the checked tree: no second parse
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
    ):
        for statement in tree.find_all(banned):
            kind = type(statement).__name__.lower()
            raise fail(
                f"refused: {name} uses {kind}, which report templates do not allow",
                line + statement.lineno - 1,
                kind,
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
