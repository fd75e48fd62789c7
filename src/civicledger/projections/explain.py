"""Explanations: how a figure was derived, and why an event did not count.

:func:`explain` renders a figure's definition, its contributing events as a
table, the arithmetic and the exact value, in Chinese or English.
:func:`why_not` names the reason one event is not among a figure's
contributions; :class:`WhyNot` renders it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

import attrs

from civicledger.errors import ProjectionError
from civicledger.events import RecordedEvent
from civicledger.projections.engine import group_text
from civicledger.projections.expressions import iter_clauses
from civicledger.projections.fields import MISSING, getter
from civicledger.projections.figures import Contribution, Figure
from civicledger.projections.filters import Predicate, format_value
from civicledger.projections.measures import Count, CountDistinct, Latest, Ratio, Sum

__all__ = ["Language", "WhyNot", "explain", "why_not"]

Language = Literal["zh", "en"]

Reason = Literal[
    "counted",
    "not_found",
    "retracted",
    "recorded_after",
    "wrong_type",
    "outside_period",
    "filter_failed",
    "other_group",
    "missing_value",
    "duplicate",
    "not_open",
    "superseded",
]


def _check_language(language: str) -> None:
    if language not in ("zh", "en"):
        raise ProjectionError(f"language must be 'zh' or 'en', not {language!r}")


@attrs.frozen
class WhyNot:
    """Why one event is (or is not) part of a figure.

    Attributes:
        reason: the kind of reason (``"filter_failed"``, ``"outside_period"``, ...).
        event_id: the event asked about.
        figure: the figure (for a ratio, the part the reason concerns).
        record: the event, when found.
        clause: for ``filter_failed``, the clause that failed, printed.
        field: the field the failed clause reads.
        value: the event's value of that field.
        other: the event that already counted the value (duplicate), or that
            superseded it (latest), or that retracted it.
        amount: for ``counted``, what the event contributed.
    """

    reason: Reason
    event_id: uuid.UUID
    figure: Figure
    record: RecordedEvent | None = None
    clause: str | None = None
    field: str | None = None
    value: Any = None
    other: uuid.UUID | None = None
    amount: Any = None

    @property
    def counted(self) -> bool:
        """Whether the event did count after all."""
        return self.reason == "counted"

    def render(self, language: Language = "zh") -> str:
        """The reason as one or two sentences.

        Raises:
            ProjectionError: the language is not ``"zh"`` or ``"en"``.
        """
        _check_language(language)
        return (_zh if language == "zh" else _en)(self)


def _value_text(value: Any) -> str:
    return "(无此字段)" if value is MISSING else format_value(value)


def _value_text_en(value: Any) -> str:
    return "(no such field)" if value is MISSING else format_value(value)


def _zh(w: WhyNot) -> str:
    f, r = w.figure, w.record
    name = f"指标 {f.indicator.id}（{f.indicator.label}）"
    if w.reason == "counted":
        return f"事件 {w.event_id} 已计入{name}，贡献 {format_value(w.amount)}。"
    if w.reason == "not_found":
        return f"账本中没有事件 {w.event_id}。"
    assert r is not None
    head = f"事件 {w.event_id}（位置 {r.position}，{r.type}，{r.occurred_on}）未计入{name}："
    if w.reason == "retracted":
        return head + f"该事件已被事件 {w.other} 撤销。"
    if w.reason == "recorded_after":
        if f.as_of.recorded_before is not None and r.position <= f.as_of.position:
            return head + (
                f"它记录于 {r.recorded_at.isoformat()}，晚于截止时间 "
                f"{f.as_of.recorded_before.isoformat()}。"
            )
        return head + f"它记录在位置 {r.position}，晚于计算所依据的账本位置 {f.as_of.position}。"
    if w.reason == "wrong_type":
        types = "、".join(f.indicator.all_types)
        return head + f"事件类型 {r.type} 不在该指标的来源类型（{types}）之中。"
    if w.reason == "outside_period":
        if f.indicator.state:
            return head + f"发生日期 {r.occurred_on} 晚于期末 {f.period.end}。"
        return head + (
            f"发生日期 {r.occurred_on} 不在统计期间 {f.period.label}"
            f"（{f.period.start} 至 {f.period.end}）之内。"
        )
    if w.reason == "filter_failed":
        return head + f"不满足筛选条件 {w.clause}（该事件的 {w.field} 为 {_value_text(w.value)}）。"
    if w.reason == "other_group":
        return head + f"它属于分组 {w.value}，而本数字是分组 {_group(f)}。"
    if w.reason == "missing_value":
        return head + f"该事件缺少计算所需的字段 {w.field}（值为 {_value_text(w.value)}）。"
    if w.reason == "duplicate":
        return head + f"值 {w.value} 已由事件 {w.other} 计入，去重计数不重复计算。"
    if w.reason == "not_open":
        return head + f"它要注销的 {w.value} 在当时并未登记在册，故不影响数字。"
    return head + f"取最新值：事件 {w.other} 更晚，取代了它。"


def _en(w: WhyNot) -> str:
    f, r = w.figure, w.record
    name = f"indicator {f.indicator.id} ({f.indicator.label})"
    if w.reason == "counted":
        return f"Event {w.event_id} counts in {name}; it contributed {format_value(w.amount)}."
    if w.reason == "not_found":
        return f"There is no event {w.event_id} in the ledger."
    assert r is not None
    head = (
        f"Event {w.event_id} (position {r.position}, {r.type}, {r.occurred_on}) "
        f"does not count in {name}: "
    )
    if w.reason == "retracted":
        return head + f"it was retracted by event {w.other}."
    if w.reason == "recorded_after":
        if f.as_of.recorded_before is not None and r.position <= f.as_of.position:
            return head + (
                f"it was recorded at {r.recorded_at.isoformat()}, after the cut-off "
                f"{f.as_of.recorded_before.isoformat()}."
            )
        return head + (
            f"it was recorded at position {r.position}, after the ledger position "
            f"{f.as_of.position} the figure was computed at."
        )
    if w.reason == "wrong_type":
        types = ", ".join(f.indicator.all_types)
        return head + f"its type {r.type} is not one of the indicator's source types ({types})."
    if w.reason == "outside_period":
        if f.indicator.state:
            return head + f"it occurred on {r.occurred_on}, after the period end {f.period.end}."
        return head + (
            f"it occurred on {r.occurred_on}, outside the period {f.period.key} "
            f"({f.period.start} to {f.period.end})."
        )
    if w.reason == "filter_failed":
        return head + (
            f"it fails the filter clause {w.clause} (its {w.field} is {_value_text_en(w.value)})."
        )
    if w.reason == "other_group":
        return head + f"it belongs to group {w.value}, and this figure is group {_group(f)}."
    if w.reason == "missing_value":
        return head + f"it lacks the field {w.field} the measure needs ({_value_text_en(w.value)})."
    if w.reason == "duplicate":
        return head + f"the value {w.value} was already counted by event {w.other}."
    if w.reason == "not_open":
        return head + f"the {w.value} it closes was not open at the time, so nothing changed."
    return head + f"the measure takes the latest value, and event {w.other} is later."


def _group(figure: Figure) -> str:
    return ", ".join(f"{k}={v}" for k, v in figure.group) or "(all)"


def why_not(
    figure: Figure,
    event_id: uuid.UUID,
    record: RecordedEvent | None,
    *,
    retracted_by: RecordedEvent | None = None,
) -> WhyNot:
    """Say why an event is not among a figure's contributions (or that it is).

    Args:
        figure: the figure.
        event_id: the event asked about.
        record: that event as stored, or None if the ledger has no such event.
        retracted_by: the retraction event, if the event was retracted.

    Returns:
        The reason; for a ratio, the reason concerning the numerator if the event
        is of its type, else the denominator.
    """
    if record is None:
        return WhyNot("not_found", event_id, figure)
    if retracted_by is not None and retracted_by.position <= figure.as_of.position:
        return WhyNot("retracted", event_id, figure, record, other=retracted_by.event_id)
    for contribution in figure.contributions:
        if contribution.event_id == event_id:
            return WhyNot("counted", event_id, figure, record, amount=contribution.amount)
    measure = figure.indicator.measure
    if isinstance(measure, Ratio):
        answers = [
            why_not(part, event_id, record, retracted_by=retracted_by)
            for part in (figure.numerator, figure.denominator)
            if part is not None
        ]
        for answer in answers:
            if answer.reason not in ("wrong_type",):
                return answer
        if answers:
            return answers[0]
        return WhyNot("wrong_type", event_id, figure, record)
    return _why_not_plain(figure, event_id, record)


def _why_not_plain(figure: Figure, event_id: uuid.UUID, record: RecordedEvent) -> WhyNot:
    indicator, as_of = figure.indicator, figure.as_of
    if record.position > as_of.position or (
        as_of.recorded_before is not None and record.recorded_at > as_of.recorded_before
    ):
        return WhyNot("recorded_after", event_id, figure, record)
    closing = record.type in indicator.closing_types and record.type not in indicator.source
    if record.type not in indicator.source and not closing:
        return WhyNot("wrong_type", event_id, figure, record)
    day, period = record.occurred_on, figure.period
    if day > period.end or (not indicator.state and day < period.start):
        return WhyNot("outside_period", event_id, figure, record)
    measure = indicator.measure
    filtered = not (closing and isinstance(measure, CountDistinct))
    if filtered and indicator.where is not None:
        failure = indicator.where.failure(record)
        if failure is not None:
            clause = failure.clause
            text = str(clause)
            if isinstance(clause, Predicate):
                text = f"{clause.name}（{clause.doc}）" if clause.doc else clause.name
            return WhyNot(
                "filter_failed",
                event_id,
                figure,
                record,
                clause=text,
                field=failure.field or "",
                value=failure.value,
            )
    if indicator.group_by and not closing:
        group = tuple((n, group_text(getter(n)(record))) for n in indicator.group_by)
        if group != figure.group:
            shown = ", ".join(f"{k}={v}" for k, v in group)
            return WhyNot("other_group", event_id, figure, record, value=shown)
    if isinstance(measure, Sum):
        expression = (
            measure.removed_expression
            if closing and measure.removed_expression
            else measure.expression
        )
        if expression.evaluator()(record) is MISSING:
            return WhyNot(
                "missing_value", event_id, figure, record, field=str(expression), value=MISSING
            )
    if isinstance(measure, CountDistinct):
        field = measure.closing_field if closing else measure.field
        value = getter(field)(record)
        if value is MISSING or value is None or value == ():
            return WhyNot("missing_value", event_id, figure, record, field=field, value=value)
        if closing:
            return WhyNot("not_open", event_id, figure, record, value=group_text(value))
        keys = _as_keys(value)
        for contribution in figure.contributions:
            if contribution.key in keys and contribution.amount == 1:
                return WhyNot(
                    "duplicate",
                    event_id,
                    figure,
                    record,
                    value=contribution.key,
                    other=contribution.event_id,
                )
        return WhyNot("other_group", event_id, figure, record, value=_group(figure))
    if isinstance(measure, Latest):
        value = getter(measure.field)(record)
        if value is MISSING:
            return WhyNot(
                "missing_value", event_id, figure, record, field=measure.field, value=value
            )
        winner = figure.contributions[0].event_id if figure.contributions else None
        return WhyNot("superseded", event_id, figure, record, other=winner)
    assert isinstance(measure, Count | Sum)
    return WhyNot("other_group", event_id, figure, record, value=_group(figure))


def _as_keys(value: Any) -> frozenset[str]:
    if isinstance(value, tuple | list):
        return frozenset(group_text(v) for v in value)
    return frozenset({group_text(value)})


# ---------------------------------------------------------------------------- explain

_COLUMNS: dict[str, tuple[str, ...]] = {
    "zh": ("位置", "发生日期", "事件ID", "类型", "贡献", "键"),
    "en": ("position", "occurred on", "event id", "type", "amount", "key"),
}

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "indicator": "指标",
        "unit": "单位",
        "definition": "定义",
        "types": "来源事件类型",
        "closing": "注销事件类型",
        "filter": "筛选条件",
        "none": "（无）",
        "measure": "度量",
        "group": "分组",
        "period": "统计期间",
        "state": "存量：截至期末的累计状态（期初之前的事件也计入）",
        "as_of": "依据账本",
        "position": "位置",
        "seal": "封存根",
        "recorded_before": "仅计入此时间之前记录的事件",
        "events": "参与计算的事件",
        "excluded": "同类型但未计入的事件",
        "arithmetic": "计算",
        "value": "精确值",
        "undefined": "无定义",
        "sum_of": "项贡献之和",
        "python": "Python 函数",
        "numerator": "分子",
        "denominator": "分母",
        "rounding": "四舍五入保留 {n} 位小数",
        "count_unit": "件",
        "note": "注意",
    },
    "en": {
        "indicator": "Indicator",
        "unit": "unit",
        "definition": "Definition",
        "types": "source event types",
        "closing": "closing event types",
        "filter": "filter",
        "none": "(none)",
        "measure": "measure",
        "group": "group",
        "period": "period",
        "state": "stock: the state as of the period end (earlier events count too)",
        "as_of": "ledger",
        "position": "position",
        "seal": "seal root",
        "recorded_before": "only events recorded before",
        "events": "Contributing events",
        "excluded": "events of these types that did not count",
        "arithmetic": "Arithmetic",
        "value": "Exact value",
        "undefined": "not defined",
        "sum_of": "contributions summed",
        "python": "Python function",
        "numerator": "numerator",
        "denominator": "denominator",
        "rounding": "rounded half up to {n} decimal places",
        "count_unit": "",
        "note": "Note",
    },
}


def explain(figure: Figure, language: Language = "zh") -> str:
    """Render how a figure was derived: definition, events, arithmetic, exact value.

    Args:
        figure: the figure.
        language: ``"zh"`` (Chinese) or ``"en"`` (English).

    Returns:
        Markdown-flavoured text (the events form a table).

    Raises:
        ProjectionError: the language is not ``"zh"`` or ``"en"``.
    """
    _check_language(language)
    return "\n".join(_explain_lines(figure, language, level=2)).rstrip() + "\n"


def _explain_lines(figure: Figure, language: Language, level: int) -> list[str]:
    t = _TEXT[language]
    indicator = figure.indicator
    sep = "：" if language == "zh" else ": "
    title = f"{'#' * level} {t['indicator']} {indicator.id} — {indicator.label}"
    if figure.group:
        title += f" [{_group(figure)}]"
    lines = [title, ""]
    lines.append(f"- {t['unit']}{sep}{indicator.unit}")
    if indicator.description:
        lines.append(f"- {indicator.description}")
    lines.append(
        f"- {t['period']}{sep}{figure.period.label} ({figure.period.start} – {figure.period.end})"
    )
    if indicator.state:
        lines.append(f"- {t['state']}")
    measure = indicator.measure
    if not isinstance(measure, Ratio):
        lines.append(f"- {t['types']}{sep}{', '.join(indicator.source)}")
        if indicator.closing_types:
            lines.append(f"- {t['closing']}{sep}{', '.join(indicator.closing_types)}")
        lines.append(f"- {t['filter']}{sep}{_filter_text(figure, language)}")
    lines.append(f"- {t['measure']}{sep}{measure}")
    if indicator.group_by:
        lines.append(f"- {t['group']}{sep}{', '.join(indicator.group_by)} → {_group(figure)}")
    as_of = f"{t['position']} {figure.as_of.position}"
    if figure.as_of.seal_root:
        as_of += f", {t['seal']} {figure.as_of.seal_root}"
    if figure.as_of.recorded_before is not None:
        as_of += f", {t['recorded_before']} {figure.as_of.recorded_before.isoformat()}"
    lines.append(f"- {t['as_of']}{sep}{as_of}")
    lines.append("")
    if isinstance(measure, Ratio):
        lines.extend(_ratio_lines(figure, measure, language, level))
        return lines
    lines.append(f"{t['events']} ({len(figure.contributions)})")
    lines.append("")
    lines.extend(_table(figure.contributions, _COLUMNS[language]))
    lines.append("")
    lines.append(f"{t['excluded']}{sep}{figure.excluded}")
    lines.append("")
    lines.append(f"{t['arithmetic']}{sep}{_arithmetic(figure, language)}")
    lines.append("")
    lines.append(f"{t['value']}{sep}{_value(figure, language)}")
    lines.append("")
    for note in figure.notes:
        lines.append(f"{t['note']}{sep}{note}")
        lines.append("")
    return lines


def _filter_text(figure: Figure, language: Language) -> str:
    t = _TEXT[language]
    where = figure.indicator.where
    if where is None:
        return t["none"]
    text = str(where)
    for clause in iter_clauses(where):
        if isinstance(clause, Predicate):
            doc = f" — {clause.doc}" if clause.doc else ""
            text += f"; {t['python']} {clause.name}{doc}"
    return text


def _table(contributions: Sequence[Contribution], columns: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for c in contributions:
        cells = (
            str(c.position),
            c.occurred_on.isoformat(),
            str(c.event_id),
            c.type,
            format_value(c.amount),
            c.key or "",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _arithmetic(figure: Figure, language: Language) -> str:
    t = _TEXT[language]
    measure = figure.indicator.measure
    amounts = [c.amount for c in figure.contributions]
    if isinstance(measure, Latest):
        if not figure.contributions:
            return t["undefined"]
        c = figure.contributions[0]
        return f"latest = {format_value(c.amount)} ({c.occurred_on}, {t['position']} {c.position})"
    if not amounts:
        return "0"
    if len(amounts) <= 12:
        text = " + ".join(format_value(a) for a in amounts).replace("+ -", "- ")
        return f"{text} = {format_value(figure.value)}"
    plus = sum(1 for a in amounts if a > 0)
    minus = sum(1 for a in amounts if a < 0)
    parts = f"{len(amounts)} {t['sum_of']}"
    if isinstance(measure, Count | CountDistinct) and minus:
        return f"{parts}: {plus} − {minus} = {format_value(figure.value)}"
    return f"{parts} = {format_value(figure.value)}"


def _value(figure: Figure, language: Language) -> str:
    if figure.value is None:
        reason = figure.undefined_reason or ""
        return f"{_TEXT[language]['undefined']} ({reason})"
    return f"{format_value(figure.value)} {figure.indicator.unit}"


def _ratio_lines(figure: Figure, measure: Ratio, language: Language, level: int) -> list[str]:
    t = _TEXT[language]
    sep = "：" if language == "zh" else ": "
    num, den = figure.numerator, figure.denominator
    num_text = format_value(num.value) if num is not None and num.value is not None else "?"
    den_text = format_value(den.value) if den is not None and den.value is not None else "?"
    arithmetic = (
        f"{measure.numerator_id} ({num_text}) ÷ {measure.denominator_id} ({den_text}) "
        f"× {measure.factor}"
    )
    if figure.value is not None:
        arithmetic += f" = {format_value(figure.value)}, {t['rounding'].format(n=measure.decimals)}"
    lines = [
        f"{t['arithmetic']}{sep}{arithmetic}",
        "",
        f"{t['value']}{sep}{_value(figure, language)}",
        "",
    ]
    for label, part in ((t["numerator"], num), (t["denominator"], den)):
        if part is not None:
            lines.append(f"{'#' * (level + 1)} {label}")
            lines.append("")
            lines.extend(_explain_lines(part, language, level + 2))
    return lines
