"""Write docs/api.md from the public names' own signatures and docstrings, so it cannot drift.

Run: python tools/api_reference.py   (a test fails when docs/api.md is out of date)

The page lists the ``Ledger`` facade's methods grouped by task, then the other
public modules' exported names (their ``__all__``), each with its signature and
the first line of its docstring. A Ledger method not named in ``LEDGER_GROUPS``
still appears, under "Other methods", so a new method is never left out.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import civicledger
from civicledger import errors
from civicledger.ledger import Ledger

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "api.md"

# The facade's methods by task; each group is one section of the page.
LEDGER_GROUPS: list[tuple[str, list[str]]] = [
    (
        "Opening and closing",
        ["open", "open_many", "in_memory", "close", "name", "origin", "hash_algorithm"],
    ),
    ("Recording", ["append", "append_batch", "import_jsonl", "export_jsonl"]),
    ("Reading", ["read", "read_stream", "head", "subscribe", "store"]),
    (
        "Correcting the record",
        ["corrections", "correct", "retract", "redact", "revise", "personal_data", "diff"],
    ),
    (
        "Sealing, proving and verifying",
        [
            "audit",
            "seal",
            "seals",
            "check_seal",
            "prove",
            "prove_consistency",
            "envelopes",
            "verify",
            "inclusion_proof",
            "consistency_proof",
            "access",
        ],
    ),
    ("Indicators and explanations", ["compute", "indicators", "explain", "compare", "checkpoints"]),
    (
        "Follow-ups (整改台账)",
        ["followups", "followup_rollup", "export_followups", "import_followups"],
    ),
    ("Reports", ["report", "evidence"]),
    ("Sync to a replica", ["push"]),
]

# Modules whose ``__all__`` is public, with what each is for.
MODULES: list[tuple[str, str]] = [
    (
        "civicledger.indicators",
        "Declare indicators in Python (or load them from TOML): filters and measures as data.",
    ),
    (
        "civicledger.reports",
        "Report templates, building and rendering reports, checking a published report.",
    ),
    (
        "civicledger.audit",
        "Seals, proofs, keys and verification reports; works from texts alone.",
    ),
    (
        "civicledger.events",
        "Event classes, the registry, the codec and canonical JSON.",
    ),
    ("civicledger.catalog", "The built-in civic event types and their vocabularies."),
    (
        "civicledger.ledgerset",
        "A set of ledgers read as one source: each figure rolled up across them.",
    ),
    (
        "civicledger.sync",
        "Delivering a ledger's events and seals to a replica that cannot rewrite them.",
    ),
    (
        "civicledger.sync_file",
        "Sync through a delivery file, for offices without a network link.",
    ),
    (
        "civicledger.delivery",
        "The delivery file (civicledger-delivery/2, reads /1): sync without a network link.",
    ),
    (
        "civicledger.projections.rollup",
        "How figures combine across ledgers, their per-ledger parts and explanations.",
    ),
    (
        "civicledger.store",
        "The event store contract every backend keeps, and the read filter.",
    ),
    (
        "civicledger.store.sql",
        "The SQL store, and provisioning a PostgreSQL owner role and application role.",
    ),
]

EVENT_NAMES = ["Event", "event", "field", "upcast", "Vocabulary", "RecordedEvent"]


def first_line(obj: object) -> str:
    """The first line of an object's docstring (its one-line purpose), or a dash."""
    doc = inspect.getdoc(obj)
    if not doc:
        return "—"
    return _plain(" ".join(doc.split("\n\n", 1)[0].split()))


def signature(name: str, obj: Any) -> str:
    """``name(parameters) -> return`` with annotations as written in the source."""
    if isinstance(obj, property) or hasattr(obj, "attrname"):  # property, cached_property
        getter: Any = obj.fget if isinstance(obj, property) else obj.func
        return f"{name}: {_annotation(inspect.signature(getter).return_annotation)}"
    target = obj.__func__ if isinstance(obj, classmethod) else obj
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return name
    words: list[str] = []
    star_done = False
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        if p.kind is p.KEYWORD_ONLY and not star_done:
            words.append("*")
            star_done = True
        prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
        if p.kind is p.VAR_POSITIONAL:
            star_done = True
        word = prefix + p.name
        if p.annotation is not p.empty:
            word += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            word += f" = {_default(p.default)}"
        words.append(word)
    returns = ""
    if sig.return_annotation is not sig.empty:
        returns = f" -> {_annotation(sig.return_annotation)}"
    return f"{name}({', '.join(words)}){returns}"


def _annotation(value: Any) -> str:
    if value is inspect.Signature.empty:
        return "…"
    return value if isinstance(value, str) else getattr(value, "__name__", repr(value))


def _default(value: Any) -> str:
    if isinstance(value, str | int | float | bool | type(None)):
        return repr(value)
    return str(value)


_ROLE = re.compile(r":(?:meth|func|class|mod|attr|data):`~?\.?([^`]+)`")


def _plain(text: str) -> str:
    """Docstring markup as Markdown: Sphinx roles and double backticks become code."""
    return _ROLE.sub(r"`\1`", text).replace("``", "`")


def _ledger_members() -> dict[str, Any]:
    return {n: m for n, m in vars(Ledger).items() if not n.startswith("_")}


def ledger_sections() -> Iterator[str]:
    """The facade's sections: one table per task group, then anything ungrouped."""
    members = _ledger_members()
    listed: set[str] = set()
    groups = list(LEDGER_GROUPS)
    rest = [n for n in members if not any(n in names for _, names in groups)]
    if rest:
        groups.append(("Other methods", rest))
    for title, names in groups:
        present = [n for n in names if n in members]
        if not present:
            continue
        yield f"### {title}\n"
        for name in present:
            listed.add(name)
            member = members[name]
            yield f"`{signature(name, member)}`\n"
            yield f": {first_line(_doc_target(member))}\n"


def _doc_target(member: Any) -> Any:
    if isinstance(member, classmethod):
        return member.__func__
    if isinstance(member, property):
        return member.fget
    return getattr(member, "func", member)


def error_tree() -> Iterator[str]:
    """The exception hierarchy as a nested list, each with its "Raised when …" line."""
    classes = [
        c
        for c in vars(errors).values()
        if inspect.isclass(c) and issubclass(c, errors.CivicLedgerError)
    ]

    def walk(parent: type, depth: int) -> Iterator[str]:
        children = sorted((c for c in classes if parent in c.__bases__), key=lambda c: c.__name__)
        for child in children:
            yield f"{'    ' * depth}- `{child.__name__}` — {first_line(child)}"
            yield from walk(child, depth + 1)

    yield f"- `CivicLedgerError` — {first_line(errors.CivicLedgerError)}"
    yield from walk(errors.CivicLedgerError, 1)


def module_section(module_name: str, purpose: str) -> Iterator[str]:
    """One module's exported names, with signature (for callables) and purpose."""
    module = importlib.import_module(module_name)
    yield f"## `{module_name}`\n"
    yield f"{purpose}\n"
    yield f"{first_line(module)}\n"
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        yield from _entry(name, obj)


def _entry(name: str, obj: Any) -> Iterator[str]:
    if inspect.isclass(obj):
        kind = "class"
        text = name
    elif callable(obj):
        kind = "function"
        text = signature(name, obj)
    else:
        kind = "constant"
        text = name
    purpose = first_line(obj) if kind != "constant" else "—"
    yield f"`{text}` ({kind})\n"
    yield f": {purpose}\n"


def render() -> str:
    """The whole reference page."""
    parts: list[str] = [
        "# Python API reference\n",
        "Generated from the code's signatures and docstrings by `tools/api_reference.py`;",
        "do not edit by hand. Everything listed here is public and supported; other",
        "names are internal and may change. `help(name)` gives the full docstring",
        "(arguments, return value, errors).\n",
        "Names importable from `civicledger` itself: "
        + ", ".join(f"`{n}`" for n in sorted(civicledger.__all__, key=str.lower))
        + ".\n",
        "## `civicledger.Ledger`\n",
        f"{first_line(Ledger)} Open one with `Ledger.open(url, ledger=...)` or",
        "`Ledger.in_memory()` and use it as a context manager. Each method is a line or",
        "two over one layer; its docstring names that layer's function.\n",
        *ledger_sections(),
        "## Events\n",
        "Define event types with these (see [your own event types](howto/event-types.md)",
        "and [the payload format](format.md)).\n",
    ]
    for name in EVENT_NAMES:
        parts.extend(_entry(name, getattr(civicledger, name)))
    parts.extend(
        [
            "Stream states for `expected_version`: `ANY` (no check), `NO_STREAM` (the",
            "stream must not exist), `STREAM_EXISTS`, or the stream's current version",
            "(an `int`).\n",
            "## Errors\n",
            "Every error civicledger raises is a `CivicLedgerError`; driver errors are",
            "translated, so no `sqlalchemy` exception reaches a caller. `ValidationError`",
            "is also a `ValueError` and carries `field`, `line`, `event_id`, `event_type`",
            "and, for whole-file checks, `problems` (one ValidationError per bad line).\n",
            *error_tree(),
            "",
        ]
    )
    for module_name, purpose in MODULES:
        parts.extend(module_section(module_name, purpose))
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
