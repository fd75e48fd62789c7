"""Figures as HTML for notebooks (``_repr_html_``): the value first, its derivation one click
away in a ``<details>`` element, every text escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from civicledger.projections.figures import Figure, json_value
from civicledger.text import replace_controls

__all__ = ["figure_html", "figures_html"]

SHOWN_CONTRIBUTIONS = 20
"""How many contributing events a notebook shows per figure (the rest are counted)."""

_STYLE = (
    "<style>.civicledger td,.civicledger th{text-align:left;vertical-align:top}"
    ".civicledger details summary{cursor:pointer;color:#0645ad}</style>"
)


def _e(value: object) -> str:
    return html.escape(replace_controls(str(value)), quote=True)


def _value(figure: Figure) -> str:
    if figure.value is None:
        return f"—（{_e(figure.undefined_reason or 'not defined')}）"
    return f"{_e(json_value(figure.value))} {_e(figure.indicator.unit)}"


def _group(figure: Figure) -> str:
    return ", ".join(f"{k}={v}" for k, v in figure.group)


def _facts(figure: Figure) -> list[tuple[str, str]]:
    indicator = figure.indicator
    facts = [
        ("指标", f"{indicator.id} — {indicator.label}"),
        ("说明", indicator.description),
        ("统计期间", f"{figure.period.label} ({figure.period.start} – {figure.period.end})"),
        ("来源事件类型", ", ".join(indicator.source)),
        ("筛选条件", "（无）" if indicator.where is None else str(indicator.where)),
        ("度量", str(indicator.measure)),
        ("依据账本", f"位置 {figure.as_of.position}"),
    ]
    if figure.group:
        facts.append(("分组", _group(figure)))
    if figure.excluded:
        facts.append(("未计入", f"{figure.excluded} 条同类事件"))
    facts.extend(("注意", note) for note in figure.notes)
    return [(k, v) for k, v in facts if v]


def _contributions(figure: Figure) -> str:
    rows = figure.contributions
    if not rows:
        return "<p>没有参与计算的事件。</p>"
    shown = "".join(
        f"<tr><td>{c.position}</td><td>{_e(c.occurred_on)}</td><td>{_e(c.type)}</td>"
        f"<td>{_e(json_value(c.amount))}</td><td>{_e(c.key or '')}</td>"
        f"<td><code>{_e(c.event_id)}</code></td></tr>"
        for c in rows[:SHOWN_CONTRIBUTIONS]
    )
    more = len(rows) - SHOWN_CONTRIBUTIONS
    tail = f"<p>另有 {more} 条；全部见 figure.contributions。</p>" if more > 0 else ""
    return (
        f"<p>参与计算的事件 {len(rows)} 条：</p><table><thead><tr><th>位置</th><th>日期</th>"
        "<th>类型</th><th>贡献</th><th>键</th><th>事件编号</th></tr></thead>"
        f"<tbody>{shown}</tbody></table>{tail}"
    )


def derivation_html(figure: Figure) -> str:
    """The figure's definition, as-of point and contributing events (ratio parts too)."""
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _facts(figure))
    parts = [f"<table>{facts}</table>"]
    if figure.numerator is not None and figure.denominator is not None:
        for name, part in (("分子", figure.numerator), ("分母", figure.denominator)):
            parts.append(
                f"<p><b>{name}</b>：{_e(part.indicator.label)} = {_value(part)}</p>"
                + _contributions(part)
            )
    else:
        parts.append(_contributions(figure))
    return "".join(parts)


def figure_html(figure: Figure) -> str:
    """One figure: label, period and value, with its derivation folded below."""
    group = f"［{_e(_group(figure))}］" if figure.group else ""
    return (
        f'{_STYLE}<div class="civicledger"><p><b>{_e(figure.indicator.label)}</b>{group} '
        f"{_e(figure.period.label)}：<b>{_value(figure)}</b></p>"
        f"<details><summary>推导（{_e(figure.indicator.id)}）</summary>"
        f"{derivation_html(figure)}</details></div>"
    )


def figures_html(figures: Iterable[Figure], previous: Sequence[Figure] | None = None) -> str:
    """An indicator table: one row per figure (and its year-earlier value, when given),
    each with its derivation folded in the last column."""
    figures = list(figures)
    headers = ["指标编号", "指标名称", "期间", "分组", "数值"]
    headers += ["上年同期"] if previous is not None else []
    head = "".join(f"<th>{h}</th>" for h in (*headers, "事件数", "推导"))
    rows = []
    for index, figure in enumerate(figures):
        then = f"<td>{_value(previous[index])}</td>" if previous is not None else ""
        rows.append(
            f"<tr><td>{_e(figure.indicator.id)}</td><td>{_e(figure.indicator.label)}</td>"
            f"<td>{_e(figure.period.label)}</td><td>{_e(_group(figure))}</td>"
            f"<td>{_value(figure)}</td>{then}<td>{len(figure.event_ids())}</td>"
            f"<td><details><summary>推导</summary>{derivation_html(figure)}</details></td></tr>"
        )
    return (
        f'{_STYLE}<table class="civicledger"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
