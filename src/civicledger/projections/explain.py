"""Explanations: how a figure was derived, and why an event did not count.

:func:`explain` renders a figure's definition, its contributing events as a
table, the arithmetic and the exact value, in Chinese or English.
:func:`why_not` and :class:`WhyNot` (re-exported from :mod:`.whynot`) say why
an event is not among a figure's contributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from civicledger.errors import ProjectionError
from civicledger.projections.derived import written_out
from civicledger.projections.expressions import NAMED_FORMS, iter_clauses
from civicledger.projections.figures import Contribution, Figure
from civicledger.projections.filters import Predicate, format_value
from civicledger.projections.measures import Count, CountDistinct, Derived, Extreme, Latest, Ratio
from civicledger.projections.rounding import ROUNDING_WORDS, rounding_text
from civicledger.projections.summary import contribution_row, summary_lines
from civicledger.projections.whynot import Language, WhyNot, check_language, group_label, why_not

__all__ = ["Language", "WhyNot", "explain", "why_not"]


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
        "rounding_mode": "修约方式",
        "operand": "运算项",
        "forms": "其中",
        "estimated": "估计值：此数依据记录为估计数的字段（{fields}），不是逐一清点的结果",
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
        "rounding_mode": "rounding",
        "operand": "operand",
        "forms": "where",
        "estimated": "Estimated: this value rests on field(s) recorded as estimates "
        "({fields}), not on a count",
        "count_unit": "",
        "note": "Note",
    },
}


def explain(figure: Figure, language: Language = "zh", *, limit: int | None = None) -> str:
    """Render how a figure was derived: definition, events, arithmetic, exact value.

    Args:
        figure: the figure.
        language: ``"zh"`` (Chinese) or ``"en"`` (English).
        limit: list the contributing events one by one only up to this many; above
            it, summarise them (counts by type and month, first and last events, the
            largest) and point to the full list in the JSON. None: always list.

    Returns:
        Markdown-flavoured text (the events form a table).

    Raises:
        ProjectionError: the language is not ``"zh"`` or ``"en"``.
    """
    check_language(language)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ProjectionError(f"limit must be a whole number >= 0 or None, not {limit!r}")
    return "\n".join(_explain_lines(figure, language, 2, limit)).rstrip() + "\n"


def _explain_lines(figure: Figure, language: Language, level: int, limit: int | None) -> list[str]:
    t = _TEXT[language]
    indicator = figure.indicator
    sep = "：" if language == "zh" else ": "
    title = f"{'#' * level} {t['indicator']} {indicator.id} — {indicator.label}"
    if figure.group:
        title += f" [{group_label(figure)}]"
    lines = [title, ""]
    lines.append(f"- {t['unit']}{sep}{indicator.unit}")
    if indicator.description:
        lines.append(f"- {indicator.description}")
    lines.append(
        f"- {t['period']}{sep}{figure.period.text(language)} "
        f"({figure.period.start} – {figure.period.end})"
    )
    if indicator.state:
        lines.append(f"- {t['state']}")
    measure = indicator.measure
    if not isinstance(measure, Ratio | Derived):
        lines.append(f"- {t['types']}{sep}{', '.join(indicator.source)}")
        if indicator.closing_types:
            lines.append(f"- {t['closing']}{sep}{', '.join(indicator.closing_types)}")
        lines.append(f"- {t['filter']}{sep}{_filter_text(figure, language)}")
    lines.append(f"- {t['measure']}{sep}{measure}")
    if indicator.group_by:
        lines.append(f"- {t['group']}{sep}{', '.join(indicator.group_by)} → {group_label(figure)}")
    if indicator.rounding != "half-up" and not isinstance(measure, Ratio):
        mode = ROUNDING_WORDS[language][indicator.rounding]
        lines.append(f"- {t['rounding_mode']}{sep}{mode}")
    as_of = f"{t['position']} {figure.as_of.position}"
    if figure.as_of.seal_root:
        as_of += f", {t['seal']} {figure.as_of.seal_root}"
    if figure.as_of.recorded_before is not None:
        as_of += f", {t['recorded_before']} {figure.as_of.recorded_before.isoformat()}"
    lines.append(f"- {t['as_of']}{sep}{as_of}")
    lines.append("")
    if isinstance(measure, Ratio):
        lines.extend(_ratio_lines(figure, measure, language, level, limit))
        return lines
    if isinstance(measure, Derived):
        lines.extend(_derived_lines(figure, measure, language, level, limit))
        return lines
    lines.append(f"{t['events']} ({len(figure.contributions)})")
    lines.append("")
    if limit is not None and len(figure.contributions) > limit:
        header = _table((), _COLUMNS[language])
        lines.extend(summary_lines(figure.contributions, limit, language, header))
    else:
        lines.extend(_table(figure.contributions, _COLUMNS[language]))
    lines.append("")
    lines.append(f"{t['excluded']}{sep}{figure.excluded}")
    lines.append("")
    lines.append(f"{t['arithmetic']}{sep}{_arithmetic(figure, language)}")
    lines.append("")
    lines.append(f"{t['value']}{sep}{_value(figure, language)}")
    lines.append("")
    lines.extend(_estimate_lines(figure, language))
    for note in figure.notes:
        lines.append(f"{t['note']}{sep}{note}")
        lines.append("")
    return lines


def _estimate_lines(figure: Figure, language: Language) -> list[str]:
    """The sentence saying the value was estimated, when it was."""
    if not figure.estimated:
        return []
    return [_TEXT[language]["estimated"].format(fields=", ".join(figure.estimated)), ""]


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
    lines.extend(contribution_row(c) for c in contributions)
    return lines


def _arithmetic(figure: Figure, language: Language) -> str:
    t = _TEXT[language]
    measure = figure.indicator.measure
    amounts = [c.amount for c in figure.contributions]
    if isinstance(measure, Latest | Extreme):
        if not figure.contributions:
            return t["undefined"]
        c = figure.contributions[0]
        word = "latest" if isinstance(measure, Latest) else measure.kind
        held = f"{c.occurred_on}, {t['position']} {c.position}, {c.event_id}"
        note = f"; {c.note}" if c.note else ""
        return f"{word} = {format_value(c.amount)} ({held}{note})"
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


def _derived_lines(
    figure: Figure, measure: Derived, language: Language, level: int, limit: int | None
) -> list[str]:
    """The arithmetic with each operand's value, then each operand's own derivation."""
    t = _TEXT[language]
    sep = "：" if language == "zh" else ": "
    values = {o.id: format_value(o.value) if o.value is not None else "?" for o in figure.operands}
    shown = written_out(measure.expression, values)
    arithmetic = f"{shown} = {format_value(figure.value) if figure.value is not None else '?'}"
    if measure.divides and figure.value is not None:
        arithmetic += f", {rounding_text(figure.indicator.rounding, measure.decimals, language)}"
    lines = [f"{t['arithmetic']}{sep}{arithmetic}", ""]
    forms = [FORM_TEXT[name] for name in NAMED_FORMS if f"{name}(" in str(measure.expression)]
    if forms:
        lines += [f"{t['forms']}{sep}{'; '.join(forms)}", ""]
    lines += [f"{t['value']}{sep}{_value(figure, language)}", ""]
    lines.extend(_estimate_lines(figure, language))
    for note in figure.notes:
        lines.extend([f"{t['note']}{sep}{note}", ""])
    for operand in figure.operands:
        lines.append(f"{'#' * (level + 1)} {t['operand']} {operand.id}")
        lines.append("")
        lines.extend(_explain_lines(operand, language, level + 2, limit))
    return lines


FORM_TEXT: Final = {
    "share": "share(a, b) = a ÷ b × 100",
    "growth": "growth(a, b) = (a − b) ÷ b × 100",
}
"""What each named form of a derived figure computes, as the explanation says it."""


def _ratio_lines(
    figure: Figure, measure: Ratio, language: Language, level: int, limit: int | None
) -> list[str]:
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
        rounded = rounding_text(figure.indicator.rounding, measure.decimals, language)
        arithmetic += f" = {format_value(figure.value)}, {rounded}"
    lines = [
        f"{t['arithmetic']}{sep}{arithmetic}",
        "",
        f"{t['value']}{sep}{_value(figure, language)}",
        "",
        *_estimate_lines(figure, language),
    ]
    for label, part in ((t["numerator"], num), (t["denominator"], den)):
        if part is not None:
            lines.append(f"{'#' * (level + 1)} {label}")
            lines.append("")
            lines.extend(_explain_lines(part, language, level + 2, limit))
    return lines
