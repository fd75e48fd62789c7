"""Indicator sets in TOML: load (with line numbers in errors) and dump (round-trips).

Format (see ``docs/indicators.md``)::

    title = "..."

    [[indicator]]
    id = "employment.reemployment_trainees"
    label = "再就业培训人数"
    unit = "人"
    source = ["training_held"]
    where = 'programme == "reemployment"'
    measure = { sum = "attendees" }
    period = "year"

    [[indicator]]
    id = "problems.completion_rate"
    label = "整改完成率"
    unit = "%"
    followups = "completion_rate"

    [[rule]]
    id = "mediation.success_within_completed"
    check = "mediation.successful <= mediation.completed"
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from civicledger.errors import ValidationError
from civicledger.projections.filters import require_savable
from civicledger.projections.indicators import Indicator, IndicatorSet, ValidationRule
from civicledger.projections.measures import (
    EXTREMES,
    Count,
    CountDistinct,
    Derived,
    Extreme,
    Latest,
    Measure,
    Ratio,
    Sum,
)

__all__ = ["dump", "dumps", "indicator_to_data", "load", "loads", "measure_from_data"]

_INDICATOR_KEYS = frozenset(
    {"id", "label", "unit", "source", "where", "measure", "group_by", "period", "state"}
    | {"description", "rounding", "followups"}
)
_RULE_KEYS = frozenset({"id", "check", "description", "tolerance"})
_TOP_KEYS = frozenset({"title", "indicator", "rule"})
_MEASURE_KEYS = {
    "count": frozenset({"count", "removed_by"}),
    "count_distinct": frozenset({"count_distinct", "removed_by", "removed_field"}),
    "sum": frozenset({"sum", "removed_by", "removed_expression"}),
    "latest": frozenset({"latest"}),
    "max": frozenset({"max"}),
    "min": frozenset({"min"}),
    "derived": frozenset({"derived", "decimals"}),
    "ratio": frozenset({"ratio", "factor", "decimals"}),
}


def load(path: str | Path) -> IndicatorSet:
    """Read an indicator set from a TOML file.

    Args:
        path: the file.

    Returns:
        The indicator set, ratio parts resolved.

    Raises:
        ValidationError: the file cannot be read, is not TOML, or an indicator or
            rule is invalid; the message names the file, the line and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValidationError(f"{path}: cannot read indicator file: {e}") from e
    return loads(text, source=str(path))


def loads(text: str, *, source: str = "<string>") -> IndicatorSet:
    """Read an indicator set from TOML text; see :func:`load`.

    Args:
        text: the TOML document.
        source: how to name the document in error messages.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        raise ValidationError(f"{source}: not valid TOML: {e}", line=line) from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ValidationError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
            "expected title, [[indicator]] and [[rule]]",
            field=unknown[0],
        )
    indicator_lines = _header_lines(text, "indicator")
    rule_lines = _header_lines(text, "rule")
    lines = text.splitlines()
    headers = sorted(indicator_lines + rule_lines)
    indicators = []
    for index, entry in enumerate(_tables(data, "indicator", source)):
        line = indicator_lines[index] if index < len(indicator_lines) else None
        place = _Place(source, line, lines, headers)
        indicators.append(place.build(lambda e=entry: indicator_from_data(e), entry))
    rules = []
    for index, entry in enumerate(_tables(data, "rule", source)):
        line = rule_lines[index] if index < len(rule_lines) else None
        place = _Place(source, line, lines, headers)
        rules.append(place.build(lambda e=entry: rule_from_data(e), entry))
    title = data.get("title", "")
    if not isinstance(title, str):
        raise ValidationError(f"{source}: title must be text", field="title")
    try:
        return IndicatorSet(tuple(indicators), tuple(rules), title=title)
    except ValidationError as e:
        raise ValidationError(f"{source}: {e.message}", field=e.field) from None


def _header_lines(text: str, name: str) -> list[int]:
    pattern = re.compile(rf"^\s*\[\[\s*{name}\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _tables(data: Mapping[str, Any], name: str, source: str) -> list[Mapping[str, Any]]:
    tables = data.get(name, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ValidationError(f"{source}: '{name}' must be written as [[{name}]] tables")
    return tables


# Errors from the expression parser name what they parsed, not the TOML key holding it.
_KEY_OF_FIELD = {"filter": "where", "expression": "measure", "rule": "check", "field": "measure"}


class _Place:
    """Where a table sits in the file, to name the line of a bad key."""

    def __init__(
        self, source: str, header: int | None, lines: list[str], headers: list[int]
    ) -> None:
        self.source = source
        self.header = header
        self.lines = lines
        later = [h for h in headers if header is not None and h > header]
        self.end = later[0] if later else len(lines) + 1

    def line_of(self, field: str | None) -> int | None:
        """The line of ``field`` within the table (its header line if not found)."""
        if self.header is None or not field:
            return self.header
        name = _KEY_OF_FIELD.get(field, field.split(".")[0])
        key = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for number in range(self.header + 1, self.end):
            if key.match(self.lines[number - 1]):
                return number
        return self.header

    def build(self, build: Any, entry: Mapping[str, Any]) -> Any:
        try:
            return build()
        except ValidationError as e:
            ident = entry.get("id")
            line = self.line_of(e.field)
            where = f"{self.source}, line {line}" if line else self.source
            named = f" ({ident})" if isinstance(ident, str) else ""
            raise ValidationError(
                f"{where}{named}: {e.message}", line=line, field=e.field
            ) from None


def _require(entry: Mapping[str, Any], key: str, kind: type) -> Any:
    if key not in entry:
        raise ValidationError(f"missing required key {key!r}", field=key)
    value = entry[key]
    if not isinstance(value, kind):
        raise ValidationError(f"{key} must be {kind.__name__}, got {value!r}", field=key)
    return value


def indicator_from_data(entry: Mapping[str, Any]) -> Indicator:
    """Build an indicator from its TOML table (ratio parts stay ids until in a set).

    Raises:
        ValidationError: a key is unknown, missing or invalid (named in the error).
    """
    unknown = sorted(set(entry) - _INDICATOR_KEYS)
    if unknown:
        raise ValidationError(f"unknown key(s) {', '.join(unknown)}", field=unknown[0])
    for key in ("source", "group_by"):
        value = entry.get(key, [])
        if not isinstance(value, list | str):
            raise ValidationError(f"{key} must be a list of names", field=key)
    state = entry.get("state", False)
    if not isinstance(state, bool):
        raise ValidationError(f"state must be true or false, got {state!r}", field="state")
    followups = entry.get("followups")
    if followups is not None and not isinstance(followups, str):
        raise ValidationError(
            f"followups must name a roll-up figure, got {followups!r}", field="followups"
        )
    for key in ("source", "measure"):
        if followups is not None and key in entry:
            raise ValidationError(
                "a follow-up figure is computed from the rectification ledger as of the "
                f"period's end; leave {key} out",
                field=key,
            )
    where = entry.get("where")
    if where is not None and not isinstance(where, str | dict):
        raise ValidationError("where must be a filter expression or a table", field="where")
    try:
        return Indicator(
            id=_require(entry, "id", str),
            label=_require(entry, "label", str),
            unit=_require(entry, "unit", str),
            source=entry.get("source", ()),
            where=where,
            measure=measure_from_data(entry.get("measure", "count")),
            group_by=entry.get("group_by", ()),
            period=entry.get("period", "year"),
            state=state,
            description=entry.get("description", ""),
            rounding=entry.get("rounding", "half-up"),
            followups=followups,
        )
    except ValidationError as e:
        raise ValidationError(e.message, field=e.field or "where") from None


def measure_from_data(value: Any) -> Measure:
    """Build a measure from ``"count"`` or a table like ``{ sum = "attendees" }``.

    Raises:
        ValidationError: the measure is unknown or its keys are wrong.
    """
    if value == "count":
        return Count()
    if not isinstance(value, dict):
        raise ValidationError(
            f'measure must be "count" or a table such as {{ sum = "attendees" }}, got {value!r}',
            field="measure",
        )
    kinds = [k for k in _MEASURE_KEYS if k in value]
    if len(kinds) != 1:
        raise ValidationError(
            f"measure table needs exactly one of {', '.join(_MEASURE_KEYS)}; got {sorted(value)}",
            field="measure",
        )
    kind = kinds[0]
    extra = sorted(set(value) - _MEASURE_KEYS[kind])
    if extra:
        raise ValidationError(
            f"measure {kind} does not take {', '.join(extra)}", field=f"measure.{extra[0]}"
        )
    removed = value.get("removed_by", ())
    if kind == "count":
        if value["count"] is not True:
            raise ValidationError('write measure = "count" or { count = true }', field="measure")
        return Count(removed_by=removed)
    if kind == "count_distinct":
        return CountDistinct(
            _text(value, "count_distinct"),
            removed_by=removed,
            removed_field=value.get("removed_field"),
        )
    if kind == "sum":
        return Sum(
            _text(value, "sum"),
            removed_by=removed,
            removed_expression=value.get("removed_expression"),
        )
    if kind == "latest":
        return Latest(_text(value, "latest"))
    if kind in EXTREMES:
        return Extreme(kind, _text(value, kind))
    if kind == "derived":
        return Derived(_text(value, "derived"), decimals=value.get("decimals", 2))
    parts = value["ratio"]
    if not (isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts)):
        raise ValidationError(
            'ratio must list two indicator ids: ratio = ["numerator", "denominator"]',
            field="measure.ratio",
        )
    return Ratio(parts[0], parts[1], value.get("factor", 100), value.get("decimals", 2))


def _text(value: Mapping[str, Any], key: str) -> str:
    text = value[key]
    if not isinstance(text, str):
        raise ValidationError(f"measure {key} must name a field or expression", field=key)
    return text


def rule_from_data(entry: Mapping[str, Any]) -> ValidationRule:
    """Build a validation rule from its TOML table.

    Raises:
        ValidationError: a key is unknown, missing or invalid.
    """
    unknown = sorted(set(entry) - _RULE_KEYS)
    if unknown:
        raise ValidationError(f"unknown key(s) {', '.join(unknown)}", field=unknown[0])
    return ValidationRule.parse(
        _require(entry, "id", str),
        _require(entry, "check", str),
        entry.get("description", ""),
        entry.get("tolerance"),
    )


def measure_to_data(measure: Measure) -> str | dict[str, Any]:
    """The TOML form of a measure."""
    data: dict[str, Any]
    if isinstance(measure, Count):
        if not measure.removed_by:
            return "count"
        data = {"count": True}
    elif isinstance(measure, CountDistinct):
        data = {"count_distinct": measure.field}
        if measure.removed_field:
            data["removed_field"] = measure.removed_field
    elif isinstance(measure, Sum):
        data = {"sum": str(measure.expression)}
        if measure.removed_expression is not None:
            data["removed_expression"] = str(measure.removed_expression)
    elif isinstance(measure, Latest):
        return {"latest": measure.field}
    elif isinstance(measure, Extreme):
        return {measure.kind: measure.field}
    elif isinstance(measure, Derived):
        if measure.decimals == 2:  # the default stays implicit: existing documents keep their shape
            return {"derived": str(measure.expression)}
        return {"derived": str(measure.expression), "decimals": measure.decimals}
    else:
        return {
            "ratio": [measure.numerator_id, measure.denominator_id],
            "factor": measure.factor,
            "decimals": measure.decimals,
        }
    if measure.removed_by:
        data["removed_by"] = list(measure.removed_by)
    return data


def indicator_to_data(indicator: Indicator, *, resolve: bool = True) -> dict[str, Any]:
    """The TOML (and JSON) form of an indicator, keys in a stable order.

    Args:
        indicator: the indicator.
        resolve: refuse a filter with a Python callable (True, for saving); with
            False the callable is shown by name (for JSON reports).

    Raises:
        ProjectionError: ``resolve`` is True and the filter holds a callable.
    """
    if resolve and indicator.where is not None:
        require_savable(indicator.where, indicator.id)
    data: dict[str, Any] = {
        "id": indicator.id,
        "label": indicator.label,
        "unit": indicator.unit,
        "source": list(indicator.source),
    }
    if indicator.where is not None:
        data["where"] = str(indicator.where)
    data["measure"] = measure_to_data(indicator.measure)
    data["group_by"] = list(indicator.group_by)
    data["period"] = indicator.period
    data["state"] = indicator.state
    data["description"] = indicator.description
    if indicator.rounding != "half-up":  # only when declared: existing documents keep their shape
        data["rounding"] = indicator.rounding
    if indicator.followups is not None:
        # A roll-up declaration: its group and measure are the roll-up's, not written.
        data["followups"] = indicator.followups
        del data["source"], data["measure"], data["group_by"], data["state"]
    return data


def dumps(indicator_set: IndicatorSet) -> str:
    """Write an indicator set as TOML that :func:`loads` reads back to an equal set.

    Raises:
        ProjectionError: an indicator's filter holds a Python callable.
    """
    lines: list[str] = []
    if indicator_set.title:
        lines += [f"title = {_string(indicator_set.title)}", ""]
    for indicator in indicator_set:
        lines.append("[[indicator]]")
        for key, value in indicator_to_data(indicator).items():
            if key == "where":
                lines.append(f"where = {_string(value, prefer_literal=True)}")
            elif value in ([], "") and key in ("group_by", "description", "source"):
                continue
            else:
                lines.append(f"{key} = {_value(value)}")
        lines.append("")
    for rule in indicator_set.rules:
        lines.append("[[rule]]")
        lines.append(f"id = {_string(rule.id)}")
        lines.append(f"check = {_string(str(rule))}")
        if rule.description:
            lines.append(f"description = {_string(rule.description)}")
        if rule.tolerance is not None:
            lines.append(f"tolerance = {_string(format(rule.tolerance, 'f'))}")
        lines.append("")
    return "\n".join(lines)


def dump(indicator_set: IndicatorSet, path: str | Path) -> None:
    """Write an indicator set to a TOML file; see :func:`dumps`."""
    Path(path).write_text(dumps(indicator_set), encoding="utf-8")


def _string(text: str, *, prefer_literal: bool = False) -> str:
    if prefer_literal and "'" not in text and "\n" not in text and text.isprintable():
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")
