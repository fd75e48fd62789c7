"""Report templates: TOML structure, sandboxed sentence templates, checked at load time.

A template file (see ``docs/reports.md``) declares the title, the indicator set and
the sections; each item is a sentence whose numbers are placeholders, written
either short (``{employment.reemployment_trainees|approx:人}``) or in full Jinja
(``{{ fig("employment.reemployment_trainees") | approx("人") }}``). Sentences
are compiled in Jinja's immutable sandbox with strict undefined names, and
checked before anything is rendered: no attribute or item whose name starts with
``_``, no include/import/extends, only the names and filters documented. Every
error names the file, the line and the name at fault.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from civicledger.errors import TemplateError, ValidationError
from civicledger.projections import Indicator, IndicatorSet
from civicledger.projections.filters import absolute_dates
from civicledger.projections.measures import Ratio
from civicledger.projections.series import STEPS
from civicledger.reports.sandbox import Sentence, compile_sentence, make_environment
from civicledger.reports.units import DEFAULT_UNITS, UnitRegistry

__all__ = [
    "DEFAULT_APPENDIX_LIMIT",
    "ITEM_KINDS",
    "ItemSpec",
    "SectionSpec",
    "Sentence",
    "Template",
    "check_change_filters",
    "check_indicator_ids",
    "load_template",
    "load_template_text",
]

ITEM_KINDS: Final = ("sentence", "note", "absence", "followups", "indicators", "chart")
"""The kinds of item a section may hold."""

FOLLOWUP_SELECTIONS: Final = ("identified", "open", "all")
"""Which follow-ups an item lists: identified in the period, still open at its end, all."""

NUMBERINGS: Final = ("chinese", "plain")
"""Section and item numbering styles."""

DEFAULT_APPENDIX_LIMIT: Final = 1000
"""Contributions an appendix entry lists one by one before it summarises them."""

_KEY_LINE: Final = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_TOML_LINE: Final = re.compile(r"at line (\d+)")

_SECTION_KEYS: Final = frozenset({"key", "heading", "intro", "items", "sections"})
_ITEM_KEYS: Final = {
    "sentence": frozenset({"kind", "numbered", "text"}),
    "note": frozenset({"kind", "numbered", "section", "key", "optional"}),
    "absence": frozenset({"kind", "numbered", "types", "text", "otherwise"}),
    "followups": frozenset(
        {"kind", "numbered", "select", "style", "text", "caption", "category", "heading", "ids"}
    ),
    "indicators": frozenset({"kind", "numbered", "ids", "caption", "by", "heading"}),
    "chart": frozenset(
        {"kind", "numbered", "ids", "caption", "chart", "by", "previous_year", "by_ledger"}
    ),
}

FOLLOWUP_STYLES: Final = ("list", "table", "by_ledger")
"""How a followups item shows the rectification ledger: a sentence per problem, a table
of problems, or (set reports) a table of its roll-up figures with a row per ledger."""

FOLLOWUP_LEDGER_IDS: Final = (
    "followups.total",
    "followups.done",
    "followups.overdue",
    "followups.completion_rate",
)
"""The figures a ``style = "by_ledger"`` followups item shows unless it names ``ids``."""

CHART_STYLES: Final = ("bar", "grouped_bar", "line")
"""How a chart item draws its figures (see ``docs/reports.md``): one bar per figure or
step, clusters of bars per group or step, or one line per figure through the steps."""


@attrs.frozen(eq=False)
class ItemSpec:
    """One item of a section, as the template declares it.

    Attributes:
        kind: one of :data:`ITEM_KINDS`.
        line: the template-file line of the item.
        text: the sentence (sentence, absence, followups with a list style).
        otherwise: for an absence claim, the sentence used when events were found.
        options: the other settings (types, select, style, ids, caption, …).
    """

    kind: str
    line: int
    text: Sentence | None
    otherwise: Sentence | None
    options: Mapping[str, Any]


@attrs.frozen(eq=False)
class SectionSpec:
    """A section as the template declares it.

    Attributes:
        key: the section's key.
        heading: the heading (may hold placeholders).
        intro: sentences before the enumerated items.
        items: the enumerated items.
        sections: sub-sections.
        line: the template-file line of the section.
    """

    key: str
    heading: Sentence
    intro: tuple[ItemSpec, ...]
    items: tuple[ItemSpec, ...]
    sections: tuple[SectionSpec, ...]
    line: int


@attrs.frozen(eq=False)
class Template:
    """A loaded, checked report template.

    Attributes:
        path: the template file.
        name: the file's name, as reports cite it.
        sha256: SHA-256 of the file's bytes, hex.
        source: the file's text.
        title: the title sentence.
        intro: sentences between the title and the first section.
        numbering: ``"chinese"`` (一、 （一） 一是) or ``"plain"`` (1. 1.1 (1)).
        indicators: the indicator set file, resolved against the template's folder.
        sections: the top-level sections.
        units: the units phrases may end with: the built-in registry plus the
            template's ``[units]`` table.
        appendix_limit: above this many contributing events a figure's appendix
            entry summarises them instead of listing each (the JSON lists all).
        rules: state the outcome of the indicator set's rules in the report.
    """

    path: Path
    name: str
    sha256: str
    source: str
    title: Sentence
    intro: tuple[ItemSpec, ...]
    numbering: str
    indicators: Path | None
    sections: tuple[SectionSpec, ...]
    units: UnitRegistry = DEFAULT_UNITS
    appendix_limit: int = DEFAULT_APPENDIX_LIMIT
    rules: bool = False

    def sentences(self) -> list[Sentence]:
        """Every sentence of the template, in file order of their sections."""
        found: list[Sentence] = [self.title]
        found.extend(item.text for item in self.intro if item.text is not None)

        def visit(section: SectionSpec) -> None:
            found.append(section.heading)
            for item in (*section.intro, *section.items):
                parts = (item.text, item.otherwise, item.options.get("caption"))
                found.extend(s for s in parts if s is not None)
            for child in section.sections:
                visit(child)

        for section in self.sections:
            visit(section)
        return found

    def items(self) -> list[ItemSpec]:
        """Every item of the template's sections (intros included), in file order."""
        found: list[ItemSpec] = []

        def visit(section: SectionSpec) -> None:
            found.extend((*section.intro, *section.items))
            for child in section.sections:
                visit(child)

        for section in self.sections:
            visit(section)
        return found

    def indicator_ids(self) -> list[tuple[str, int]]:
        """Every indicator the template names, with the line naming it."""
        ids: list[tuple[str, int]] = []
        for sentence in self.sentences():
            ids.extend(sentence.figures)
        for item in self.items():
            ids.extend((i, item.line) for i in item.options.get("ids", ()))
        return ids


def load_template(path: str | Path) -> Template:
    """Load and check a report template file.

    Args:
        path: the TOML file.

    Returns:
        The checked template.

    Raises:
        TemplateError: the file is missing, is not valid TOML, lacks a required
            setting, has an unknown setting, or a sentence has a syntax error,
            an unknown filter or name, or reaches for a ``_`` attribute; the
            message names the file, the line and the name.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as e:
        raise TemplateError(f"{file}: cannot read the template: {e.strerror}", path=file) from e
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TemplateError(f"{file}: the template is not UTF-8 ({e.reason})", path=file) from e
    return load_template_text(source, path=file, sha256=hashlib.sha256(data).hexdigest())


def load_template_text(source: str, *, path: str | Path, sha256: str | None = None) -> Template:
    """Load and check a template from its text (the verifier rebuilds reports this way).

    Args:
        source: the TOML text.
        path: the file it came from (names errors and resolves the indicator set).
        sha256: the digest of the file's bytes; computed from ``source`` if None.

    Returns:
        The checked template.

    Raises:
        TemplateError: as for :func:`load_template`.
    """
    return _Loader(source, Path(path)).load(
        sha256 or hashlib.sha256(source.encode("utf-8")).hexdigest()
    )


class _Loader:
    """Reads one template file; remembers where each string value sits."""

    def __init__(self, source: str, path: Path) -> None:
        self.source = source
        self.path = path
        self.env = make_environment()
        self.lines = source.splitlines()
        self.header_lines = [
            (i + 1, line.strip())
            for i, line in enumerate(self.lines)
            if line.strip().startswith("[")
        ]
        self.used_headers: set[int] = set()
        self.cursor = 0  # sentences are looked for from the current table's header on

    def error(
        self, message: str, line: int | None = None, name: str | None = None
    ) -> TemplateError:
        where = f"{self.path.name}:{line}" if line else self.path.name
        return TemplateError(f"{where}: {message}", path=self.path, line=line, field=name)

    def load(self, sha256: str) -> Template:
        if "\x00" in self.source:
            raise self.error("the template contains a NUL character")
        try:
            doc = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as e:
            found = _TOML_LINE.search(str(e))
            raise self.error(
                f"not valid TOML: {e}", int(found.group(1)) if found else None
            ) from None
        report = self.table(doc.get("report"), "report", 1)
        unknown = set(report) - {
            *("title", "intro", "indicators", "numbering", "appendix_limit", "rules"),
        }
        if unknown:
            raise self.error(
                f"unknown setting {sorted(unknown)[0]!r} in [report]",
                self.line_of_key(sorted(unknown)[0]),
                sorted(unknown)[0],
            )
        extra = set(doc) - {"report", "sections", "units"}
        if extra:
            name = sorted(extra)[0]
            raise self.error(
                f"unknown top-level table {name!r}; expected [report], [units] and [[sections]]",
                self.line_of_key(name),
                name,
            )
        try:
            units = DEFAULT_UNITS.extended_from_toml(doc.get("units", {}))
        except ValidationError as e:
            line = next((n for n, h in self.header_lines if h.startswith("[units]")), None)
            raise self.error(e.message, line, e.field) from None
        title = self.sentence(self.text(report, "title", "report"), "report.title")
        intro = self.intro(report.get("intro", []), "report", self.line_of_key("intro"))
        numbering = report.get("numbering", "chinese")
        if numbering not in NUMBERINGS:
            raise self.error(
                f"numbering must be one of {', '.join(NUMBERINGS)}, got {numbering!r}",
                self.line_of_value(str(numbering)),
                "report.numbering",
            )
        indicators = report.get("indicators")
        if indicators is not None and not isinstance(indicators, str):
            raise self.error(
                "report.indicators must be a file name",
                self.line_of_key("indicators"),
                "report.indicators",
            )
        limit = report.get("appendix_limit", DEFAULT_APPENDIX_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise self.error(
                f"report.appendix_limit must be a whole number >= 0, got {limit!r}",
                self.line_of_key("appendix_limit"),
                "report.appendix_limit",
            )
        rules = report.get("rules", False)
        if not isinstance(rules, bool):
            raise self.error(
                "report.rules must be true or false", self.line_of_key("rules"), "report.rules"
            )
        sections = tuple(
            self.section(raw, f"sections[{i}]", "sections")
            for i, raw in enumerate(self.array(doc, "sections", "the template"))
        )
        if not sections:
            raise self.error("the template has no [[sections]]", None, "sections")
        return Template(
            path=self.path,
            name=self.path.name,
            sha256=sha256,
            source=self.source,
            title=title,
            intro=intro,
            numbering=numbering,
            indicators=(self.path.parent / indicators) if indicators else None,
            sections=sections,
            units=units,
            appendix_limit=limit,
            rules=rules,
        )

    # -- structure -------------------------------------------------------------

    def table(self, value: Any, where: str, line: int | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(f"missing table [{where}]", line, where)
        return value

    def array(self, parent: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = parent.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(
                f"{key} in {where} must be an array of tables ([[{key}]])",
                self.line_of_key(key),
                key,
            )
        return value

    def text(self, table: Mapping[str, Any], key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                f"{where} needs a non-empty text {key!r}", self.line_of_key(key), f"{where}.{key}"
            )
        return value

    def next_header(self, path: str) -> int | None:
        """The line of the next unused ``[[path]]`` header.

        Occurrences of one header path appear in the file in the order a depth-first
        walk of the parsed tables meets them, so the n-th walk step gets the n-th header.
        """
        wanted = f"[[{path}]]"
        for line, header in self.header_lines:
            if line not in self.used_headers and header.split("#")[0].replace(" ", "") == wanted:
                self.used_headers.add(line)
                return line
        return None

    def section(self, raw: dict[str, Any], where: str, path: str) -> SectionSpec:
        line = self.next_header(path) or 0
        self.cursor = line
        unknown = set(raw) - _SECTION_KEYS
        if unknown:
            name = sorted(unknown)[0]
            raise self.error(f"unknown setting {name!r} in section {where}", line, name)
        key = raw.get("key", where)
        if not isinstance(key, str):
            raise self.error(f"section key must be text, got {key!r}", line, f"{where}.key")
        heading = self.sentence(self.text(raw, "heading", f"section {key!r}"), f"{key}.heading")
        intro = self.intro(raw.get("intro", []), key, line)
        items = tuple(
            self.item(item, f"{key}.items[{i}]", f"{path}.items")
            for i, item in enumerate(self.array(raw, "items", key))
        )
        children = tuple(
            self.section(child, f"{key}.sections[{i}]", f"{path}.sections")
            for i, child in enumerate(self.array(raw, "sections", key))
        )
        return SectionSpec(key, heading, intro, items, children, line)

    def caption(self, raw: Mapping[str, Any], where: str) -> Sentence | None:
        """A table caption: a sentence, so it may name the year; None when absent."""
        if "caption" not in raw:
            return None
        return self.sentence(self.text(raw, "caption", f"item {where}"), f"{where}.caption")

    def intro(self, value: Any, where: str, line: int | None) -> tuple[ItemSpec, ...]:
        """Un-numbered sentences: a text or a list of texts."""
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise self.error(
                f"intro of {where!r} must be a text or a list of texts", line, f"{where}.intro"
            )
        return tuple(
            ItemSpec("sentence", s.line, s, None, {"numbered": False})
            for s in (self.sentence(text, f"{where}.intro") for text in texts)
        )

    # The schema of a report item, kind by kind; each branch names the key it refuses.
    def item(self, raw: dict[str, Any], where: str, path: str) -> ItemSpec:  # noqa: C901
        line = self.next_header(path) or 0
        self.cursor = line
        kind = raw.get("kind", "sentence")
        if kind not in ITEM_KINDS:
            raise self.error(
                f"unknown item kind {kind!r}; known: {', '.join(ITEM_KINDS)}", line, f"{where}.kind"
            )
        unknown = set(raw) - _ITEM_KEYS[kind]
        if unknown:
            name = sorted(unknown)[0]
            raise self.error(f"a {kind} item does not take {name!r}", line, f"{where}.{name}")
        numbered = raw.get("numbered", True)
        if not isinstance(numbered, bool):
            raise self.error("numbered must be true or false", line, f"{where}.numbered")
        options: dict[str, Any] = {"numbered": numbered}
        text = otherwise = None
        if kind in ("sentence", "absence"):
            text = self.sentence(self.text(raw, "text", f"item {where}"), f"{where}.text")
        if kind == "absence":
            types = raw.get("types")
            if (
                not isinstance(types, list)
                or not types
                or not all(isinstance(t, str) and t for t in types)
            ):
                raise self.error(
                    "an absence item needs 'types', a list of event type names",
                    line,
                    f"{where}.types",
                )
            options["types"] = tuple(types)
            if "otherwise" in raw:
                otherwise = self.sentence(
                    self.text(raw, "otherwise", f"item {where}"), f"{where}.otherwise"
                )
        if kind == "note":
            options["section"] = self.text(raw, "section", f"item {where}")
            key = raw.get("key")
            if key is not None and not isinstance(key, str):
                raise self.error("a note's key must be text", line, f"{where}.key")
            options["key"] = key
            options["optional"] = bool(raw.get("optional", False))
        if kind == "followups":
            options.update(self._followups(raw, where, line))
            if "text" in raw:
                text = self.sentence(self.text(raw, "text", f"item {where}"), f"{where}.text")
        if kind in ("indicators", "chart"):
            ids = raw.get("ids")
            if (
                not isinstance(ids, list)
                or not ids
                or not all(isinstance(i, str) and i for i in ids)
            ):
                raise self.error(
                    f"{'an' if kind == 'indicators' else 'a'} {kind} item needs 'ids', "
                    "a list of indicator ids",
                    line,
                    f"{where}.ids",
                )
            options.update(ids=tuple(ids), caption=self.caption(raw, where), where=where)
        if kind == "indicators":
            # by = "ledger": in a report over a set of ledgers, a row per ledger.
            by = raw.get("by", "indicator")
            if by not in ("indicator", "ledger"):
                raise self.error(
                    f"by must be 'indicator' or 'ledger', got {by!r}", line, f"{where}.by"
                )
            options.update(by=by, heading=self._heading(raw, where, line))
        if kind == "chart":
            style = raw.get("chart", "bar")
            if style not in CHART_STYLES:
                raise self.error(
                    f"chart must be one of {', '.join(CHART_STYLES)}, got {style!r}",
                    line,
                    f"{where}.chart",
                )
            options["chart"] = style
            by = raw.get("by")
            if by is not None and by not in STEPS:
                raise self.error(
                    f"by must be one of {', '.join(STEPS)}, got {by!r}", line, f"{where}.by"
                )
            if style == "line" and by is None:
                raise self.error(
                    f"a line chart draws a series: set by = {' | '.join(repr(s) for s in STEPS)}",
                    line,
                    f"{where}.by",
                )
            previous_year = raw.get("previous_year", False)
            if not isinstance(previous_year, bool):
                raise self.error(
                    "previous_year must be true or false", line, f"{where}.previous_year"
                )
            by_ledger = raw.get("by_ledger", False)
            if not isinstance(by_ledger, bool):
                raise self.error("by_ledger must be true or false", line, f"{where}.by_ledger")
            if by_ledger and previous_year:
                raise self.error(
                    "a chart by ledger does not set each ledger against a year earlier; "
                    "leave out previous_year or by_ledger",
                    line,
                    f"{where}.previous_year",
                )
            options.update(by=by, previous_year=previous_year, by_ledger=by_ledger)
        return ItemSpec(kind, line, text, otherwise, options)

    def _followups(self, raw: Mapping[str, Any], where: str, line: int | None) -> dict[str, Any]:
        """The settings of a followups item; ``by_ledger`` takes roll-up ids, not a selection."""
        style = raw.get("style", "list")
        if style not in FOLLOWUP_STYLES:
            raise self.error(
                f"style must be one of {', '.join(map(repr, FOLLOWUP_STYLES))}, got {style!r}",
                line,
                f"{where}.style",
            )
        options: dict[str, Any] = {"style": style, "where": where}
        if style == "by_ledger":
            # The table shows roll-up figures of the whole rectification ledger in scope:
            # a selection of rows or a sentence per row would not apply.
            for name in ("select", "category", "text"):
                if name in raw:
                    raise self.error(
                        f"a followups item with style = 'by_ledger' does not take {name!r} "
                        "(it shows the roll-up figures of each ledger's follow-ups in scope)",
                        line,
                        f"{where}.{name}",
                    )
            ids = raw.get("ids", list(FOLLOWUP_LEDGER_IDS))
            if (
                not isinstance(ids, list)
                or not ids
                or not all(isinstance(i, str) and i.startswith("followups.") for i in ids)
            ):
                raise self.error(
                    "ids of a followups item must be a list of follow-up figure ids "
                    "(followups.total, followups.completion_rate …)",
                    line,
                    f"{where}.ids",
                )
            options["ids"] = tuple(ids)
        elif "ids" in raw:
            raise self.error(
                "a followups item takes 'ids' only with style = 'by_ledger'", line, f"{where}.ids"
            )
        select = raw.get("select", "identified")
        if select not in FOLLOWUP_SELECTIONS:
            raise self.error(
                f"select must be one of {', '.join(FOLLOWUP_SELECTIONS)}, got {select!r}",
                line,
                f"{where}.select",
            )
        options.update(
            select=select,
            caption=self.caption(raw, where),
            category=raw.get("category"),
            heading=self._heading(raw, where, line),
        )
        return options

    def _heading(self, raw: Mapping[str, Any], where: str, line: int | None) -> str:
        """The header of a set report's column naming the ledgers (``"社区"``)."""
        heading = raw.get("heading", "账本")
        if not isinstance(heading, str) or not heading:
            raise self.error("heading must be a non-empty text", line, f"{where}.heading")
        return heading

    # -- sentences -------------------------------------------------------------

    def sentence(self, text: str, name: str) -> Sentence:
        line = self.line_of_value(text) or 0
        return compile_sentence(self.env, text, line=line, name=name, fail=self.error)

    # -- locating lines --------------------------------------------------------

    def line_of_key(self, key: str) -> int | None:
        for i, raw in enumerate(self.lines):
            found = _KEY_LINE.match(raw)
            if found and found.group(1).strip("\"'") == key:
                return i + 1
        return None

    def line_of_value(self, value: str) -> int | None:
        """The first line that holds ``value`` as a TOML string (its first line)."""
        first = value.split("\n", 1)[0].strip()
        if not first:
            return None
        probe = first[: min(len(first), 24)]
        for start in (max(self.cursor - 1, 0), 0):
            for i in range(start, len(self.lines)):
                if probe in self.lines[i] or _escaped(probe) in self.lines[i]:
                    return i + 1
        return None


def _escaped(text: str) -> str:
    """How a TOML basic string writes ``text`` (quotes and backslashes escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def check_indicator_ids(template: Template, known: Sequence[str]) -> None:
    """Check that every indicator the template names is in the indicator set.

    Args:
        template: the loaded template.
        known: the indicator ids of the set the report is built from.

    Raises:
        TemplateError: naming the file, line and the first unknown indicator.
    """
    have = set(known)

    def hint(ident: str) -> str:
        close = sorted(k for k in have if k.split(".")[0] == ident.split(".")[0])
        return f"; in that group: {', '.join(close)}" if close else ""

    for item in template.items():
        for ident in item.options.get("ids", ()):
            if ident not in have:
                raise TemplateError(
                    f"{template.name}:{item.line}: unknown indicator {ident!r} in the ids of "
                    f"{item.kind} item {item.options['where']}{hint(ident)}",
                    path=template.path,
                    line=item.line,
                    field=f"{item.options['where']}.ids",
                )
    for ident, line in template.indicator_ids():
        if ident not in have:
            raise TemplateError(
                f"{template.name}:{line}: unknown indicator {ident!r}{hint(ident)}",
                path=template.path,
                line=line,
                field=ident,
            )


def check_change_filters(template: Template, indicator_set: IndicatorSet) -> None:
    """Refuse a change (同比) over an indicator whose filter pins a date written out.

    The earlier figure is the same indicator over the period a year earlier; a
    filter like ``occurred_on <= 2022-11-30`` does not move with it, so the change
    would set 1—11月 against a whole year. Dates taken from the period
    (``period.end``…) move with it and are fine.

    Raises:
        TemplateError: naming the file, the line, the indicator and the filter clause.
    """
    for sentence in template.sentences():
        if "change" not in sentence.filters:
            continue
        for ident, line in sentence.figures:
            if ident not in indicator_set:
                continue  # check_indicator_ids names it
            for indicator in _with_parts(indicator_set[ident]):
                pinned = absolute_dates(indicator.where) if indicator.where is not None else []
                if pinned:
                    raise TemplateError(
                        f"{template.name}:{line}: the change of {ident!r} compares it with "
                        f"the same span a year earlier, but indicator {indicator.id!r} "
                        f"filters on a fixed date ({pinned[0]}), which does not move with "
                        "the period; write it relative to the period (e.g. occurred_on <= "
                        "period.end) or report over the period instead",
                        path=template.path,
                        line=line,
                        field=indicator.id,
                    )


def _with_parts(indicator: Indicator) -> list[Indicator]:
    """The indicator and, for a ratio, its parts (recursively)."""
    measure = indicator.measure
    found = [indicator]
    if isinstance(measure, Ratio):
        for part in (measure.numerator, measure.denominator):
            if isinstance(part, Indicator):
                found.extend(_with_parts(part))
    return found
