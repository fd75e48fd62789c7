"""Why an event did not count in a figure (or that it did), in Chinese and English.

:func:`why_not` names the first reason that applies, as data (:class:`WhyNot`);
:meth:`WhyNot.render` words it. The order of the checks is the order a reader
would ask: is there such an event, was it retracted, did it count, was it known
at the as-of point, is it of the right type, in the period, does it pass the
filter, and what did the measure do with it.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import attrs

from civicledger.errors import ProjectionError
from civicledger.events import RecordedEvent
from civicledger.projections.accumulate import group_text
from civicledger.projections.fields import MISSING, getter
from civicledger.projections.figures import Figure
from civicledger.projections.filters import Predicate, format_value
from civicledger.projections.measures import (
    Count,
    CountDistinct,
    Derived,
    Extreme,
    Latest,
    Ratio,
    Sum,
)

__all__ = ["Language", "Reason", "WhyNot", "check_language", "group_label", "why_not"]

Language = Literal["zh", "en"]
"""The languages explanations are written in."""

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
    "not_extreme",
]


def check_language(language: str) -> None:
    """Refuse a language other than Chinese and English.

    Raises:
        ProjectionError: the language is not ``"zh"`` or ``"en"``.
    """
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
        check_language(language)
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
        return head + f"它属于分组 {w.value}，而本数字是分组 {group_label(f)}。"
    if w.reason == "missing_value":
        return head + f"该事件缺少计算所需的字段 {w.field}（值为 {_value_text(w.value)}）。"
    if w.reason == "duplicate":
        return head + f"值 {w.value} 已由事件 {w.other} 计入，去重计数不重复计算。"
    if w.reason == "not_open":
        return head + f"它要注销的 {w.value} 在当时并未登记在册，故不影响数字。"
    if w.reason == "not_extreme":
        word = "最大" if str(f.indicator.measure).startswith("max") else "最小"
        return head + (
            f"它的值为 {_value_text(w.value)}，不是{word}值；{word}值 {format_value(f.value)} "
            f"由事件 {w.other} 保持（并列时取最早的事件）。"
        )
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
            f"it occurred on {r.occurred_on}, outside the period {f.period.label_en} "
            f"({f.period.start} to {f.period.end})."
        )
    if w.reason == "filter_failed":
        return head + (
            f"it fails the filter clause {w.clause} (its {w.field} is {_value_text_en(w.value)})."
        )
    if w.reason == "other_group":
        return head + f"it belongs to group {w.value}, and this figure is group {group_label(f)}."
    if w.reason == "missing_value":
        return head + f"it lacks the field {w.field} the measure needs ({_value_text_en(w.value)})."
    if w.reason == "duplicate":
        return head + f"the value {w.value} was already counted by event {w.other}."
    if w.reason == "not_open":
        return head + f"the {w.value} it closes was not open at the time, so nothing changed."
    if w.reason == "not_extreme":
        word = "maximum" if str(f.indicator.measure).startswith("max") else "minimum"
        return head + (
            f"its value {_value_text_en(w.value)} is not the {word}; the {word} "
            f"{format_value(f.value)} is held by event {w.other} (the earliest, if tied)."
        )
    return head + f"the measure takes the latest value, and event {w.other} is later."


def group_label(figure: Figure) -> str:
    """A figure's group as ``field=value, ...`` (``(all)`` when ungrouped)."""
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
    if isinstance(measure, Ratio | Derived):
        answers = [
            why_not(part, event_id, record, retracted_by=retracted_by)
            for part in (figure.numerator, figure.denominator, *figure.operands)
            if part is not None
        ]
        for answer in answers:
            if answer.reason not in ("wrong_type",):
                return answer
        if answers:
            return answers[0]
        return WhyNot("wrong_type", event_id, figure, record)
    return _why_not_plain(figure, event_id, record)


# One early return per reason, in the order the fold applies its tests: split up, the
# order that decides which reason is given would no longer be visible in one place.
def _why_not_plain(  # noqa: C901
    figure: Figure, event_id: uuid.UUID, record: RecordedEvent
) -> WhyNot:
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
        return WhyNot("other_group", event_id, figure, record, value=group_label(figure))
    if isinstance(measure, Latest | Extreme):
        value = getter(measure.field)(record)
        if value is MISSING:
            return WhyNot(
                "missing_value", event_id, figure, record, field=measure.field, value=value
            )
        winner = figure.contributions[0].event_id if figure.contributions else None
        if isinstance(measure, Latest):
            return WhyNot("superseded", event_id, figure, record, other=winner)
        return WhyNot("not_extreme", event_id, figure, record, value=value, other=winner)
    assert isinstance(measure, Count | Sum)
    return WhyNot("other_group", event_id, figure, record, value=group_label(figure))


def _as_keys(value: Any) -> frozenset[str]:
    if isinstance(value, tuple | list):
        return frozenset(group_text(v) for v in value)
    return frozenset({group_text(value)})
