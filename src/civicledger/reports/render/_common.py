"""Wording and helpers the renderers share, so every format says the same thing."""

from __future__ import annotations

import json
from typing import Any

from civicledger.audit.checkpoint import Seal
from civicledger.audit.cosign import cosigners
from civicledger.projections.rollup import combined_text
from civicledger.reports.model import FigureEntry, Num, Report

__all__ = ["ABOUT_HEADING", "APPENDIX_HEADING", "about_lines", "definition_lines", "num_title"]

APPENDIX_HEADING = "附录：数据来源与计算过程"
"""Heading of the figure appendix."""

ABOUT_HEADING = "报告说明"
"""Heading of the block that says what the report was computed from."""


def num_title(num: Num) -> str:
    """The tooltip of a number: its exact value and the phrasing rule."""
    return f"精确值 {num.exact}；表述规则 {num.rule}" + (f"；见 {num.ref}" if num.ref else "")


def about_lines(report: Report) -> list[str]:
    """What the report was computed from, one statement a line."""
    lines = [
        f"统计期间：{report.period_label}（{report.period}，"
        f"{report.period_start} 至 {report.period_end}）"
    ]
    lines.extend(f"注意：{warning}" for warning in report.warnings)
    seal = report.as_of
    if report.ledgers:
        lines.append(f"数据来源：{len(report.ledgers)} 个账本汇总")
        for ledger in report.ledgers:
            if ledger.checkpoint is not None:
                state = f"已封存，树大小 {ledger.tree_size}，根哈希（十六进制）{ledger.root_hash}"
            else:
                state = "未封存"
            lines.append(
                f"{ledger.label}（账本 {ledger.name}）：截至第 {ledger.position} 条事件（{state}）"
            )
            lines.extend(_cosigned(ledger.checkpoint, f"{ledger.label}的封存"))
    elif seal.checkpoint is not None:
        sealed = f"已封存，树大小 {seal.tree_size}，根哈希（十六进制）{seal.root_hash}"
        lines.append(f"数据截至：账本第 {seal.position} 条事件（{sealed}）")
        lines.extend(_cosigned(seal.checkpoint, "封存"))
    else:
        lines.append(f"数据截至：账本第 {seal.position} 条事件（未封存）")
    lines.append(f"报告模板：{report.template_name}（SHA-256 {report.template_sha256}）")
    if report.indicators_sha256:
        lines.append(f"指标定义：SHA-256 {report.indicators_sha256}")
    if report.rules:
        failed = [r["rule"] for r in report.rules if r["passed"] is False]
        open_ = sum(1 for r in report.rules if r["passed"] is None)
        verdict = f"未通过：{'、'.join(failed)}" if failed else "全部通过"
        if open_:
            verdict += f"；{open_} 项无法计算"
        lines.append(f"数据校验：{len(report.rules)} 项规则，{verdict}")
    return lines


def _cosigned(checkpoint: str | None, what: str) -> list[str]:
    """One line naming who countersigned the seal and when, if anyone did."""
    if checkpoint is None:
        return []
    named = [
        f"{name}（{when.strftime('%Y-%m-%d %H:%M:%S')} UTC）"
        for name, when in cosigners(Seal.parse(checkpoint))
    ]
    return [f"{what}经会签：{'、'.join(named)}"] if named else []


def _definition(lineage: dict[str, Any]) -> dict[str, Any]:
    definition = lineage.get("definition")
    return definition if isinstance(definition, dict) else {}


def definition_lines(entry: FigureEntry) -> list[tuple[str, str]]:
    """The appendix facts of a figure as (label, value) pairs."""
    lineage = entry.lineage
    rows = [
        ("指标", f"{entry.label}（{entry.indicator}）"),
        *([("账本", entry.ledger)] if entry.ledger else []),
        ("期间", entry.period),
        ("精确值", f"{entry.value or '未定义'} {entry.unit}".strip()),
    ]
    group = lineage.get("group")
    if group:
        rows.append(("分组", "，".join(f"{k}={v}" for k, v in sorted(group.items()))))
    if lineage.get("undefined_reason"):
        rows.append(("未定义原因", str(lineage["undefined_reason"])))
    for key, value in sorted(_definition(lineage).items()):
        if key in ("id", "label", "unit"):
            continue
        text = (
            value
            if isinstance(value, str)
            else json.dumps(value, ensure_ascii=False, sort_keys=True)
        )
        rows.append((f"定义.{key}", text))
    if entry.parts:
        rows.append(("汇总方式", combined_text(str(lineage.get("combined")))))
        return rows
    contributions = lineage.get("contributions") or []
    rows.append(("贡献事件", f"{len(contributions)} 条"))
    for part, name in (("numerator", "分子"), ("denominator", "分母")):
        figure = lineage.get(part)
        if isinstance(figure, dict):
            rows.append((name, f"{figure.get('indicator')} = {figure.get('value')}"))
    excluded = lineage.get("excluded")
    if excluded:
        rows.append(("未计入事件", f"{excluded} 条"))
    as_of = lineage.get("as_of") or {}
    if as_of:
        rows.append(("截至位置", str(as_of.get("position"))))
    return rows
