"""HTML: one self-contained, printable page; each number links to its derivation.

No external resources. A click on a number opens its derivation in a side panel
(a few lines of inline script) and moves to its appendix entry; without script
the link still jumps to the appendix, and every number carries a tooltip with
its exact value. Printing hides the panel and prints the appendix.
"""

from __future__ import annotations

import hashlib
import html
import json

import attrs

from civicledger.reports.model import FigureEntry, Item, Num, Report, Section, Span, Table
from civicledger.reports.render._common import (
    ABOUT_HEADING,
    APPENDIX_HEADING,
    about_lines,
    definition_lines,
    num_title,
)
from civicledger.reports.render.chart import is_chart
from civicledger.text import replace_controls

__all__ = ["render_html", "render_notebook_html"]

_STYLE = """
body{font-family:"Noto Serif CJK SC","Songti SC",SimSun,serif;max-width:46em;margin:2em auto;
padding:0 1em;line-height:1.9;color:#111}
h1{text-align:center;font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em}h3{font-size:1.1em}
p{text-indent:2em;margin:.4em 0}
a.fig{color:#0645ad;text-decoration:none;border-bottom:1px dotted #0645ad;cursor:pointer}
span.num{border-bottom:1px dotted #777}
table{border-collapse:collapse;margin:.8em 0;width:100%}
th,td{border:1px solid #888;padding:.2em .5em;font-size:.92em;vertical-align:top}
th{background:#eee}
caption{font-weight:bold;margin-bottom:.3em}
.derivation{border-top:1px solid #ccc;margin-top:1em;padding-top:.5em}
.derivation:target,.derivation.current{background:#fffbe6}
.derivation pre,.seal pre{white-space:pre-wrap;font-size:.85em;background:#f6f6f6;padding:.5em}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.3em 0}
dt{font-weight:bold}dd{margin:0;word-break:break-all}
details summary{cursor:pointer}
.lineage{color:#555;font-size:.85em}
#panel{position:fixed;top:1em;right:1em;width:26em;max-height:80vh;overflow:auto;background:#fff;
border:2px solid #0645ad;padding:.5em 1em;box-shadow:0 2px 8px rgba(0,0,0,.3)}
#panel[hidden]{display:none}
@media print{#panel{display:none!important}a.fig{color:inherit;border:0}
a.fig::after{content:"[" attr(data-ref) "]";font-size:.7em;vertical-align:super}
.derivation{break-inside:avoid}}
"""

# Opens the derivation of a clicked number in the panel; the link's own jump to
# the appendix still happens, so the number works without script as well.
_SCRIPT = """
(function(){
var panel=document.getElementById('panel');
function show(ref){var entry=document.getElementById(ref);if(!entry)return;
document.querySelectorAll('.derivation.current').forEach(function(e){e.classList.remove('current');});
entry.classList.add('current');
document.getElementById('panel-body').innerHTML=entry.innerHTML;
panel.setAttribute('data-ref',ref);panel.hidden=false;}
document.addEventListener('click',function(ev){
var a=ev.target.closest?ev.target.closest('a.fig'):null;
if(a){show(a.getAttribute('data-ref'));}});
document.getElementById('panel-close').addEventListener('click',function(){panel.hidden=true;});
})();
"""


def _e(text: str) -> str:
    return html.escape(replace_controls(text), quote=True)


def _spans(spans: tuple[Span, ...]) -> str:
    out = []
    for span in spans:
        if isinstance(span, Num):
            title = _e(num_title(span))
            if span.ref:
                ref = _e(span.ref)
                out.append(
                    f'<a class="fig" href="#{ref}" data-ref="{ref}" data-exact="{_e(span.exact)}" '
                    f'title="{title}">{_e(span.text)}</a>'
                )
            else:
                out.append(f'<span class="num" title="{title}">{_e(span.text)}</span>')
        else:
            out.append(_e(span.text))
    return "".join(out)


def _chart(table: Table) -> str:
    """The chart drawn (each bar linked to its derivation), its numbers folded below it."""
    from civicledger.reports.render.chart import chart_svg

    ident = "chart-" + hashlib.sha256(repr(table).encode()).hexdigest()[:12]
    caption = f"<figcaption>{_e(table.caption)}</figcaption>" if table.caption else ""
    data = _table(attrs.evolve(table, caption=""), drawn=True)
    return (
        f'<figure class="chart" style="margin:.8em 0;text-align:center">'
        f"{chart_svg(table, ident)}{caption}"
        f"<details><summary>数据</summary>{data}</details></figure>"
    )


def _table(table: Table, *, drawn: bool = False) -> str:
    if is_chart(table) and not drawn:
        return _chart(table)
    parts = ["<table>"]
    if table.caption:
        parts.append(f"<caption>{_e(table.caption)}</caption>")
    parts.append(
        "<thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in table.columns) + "</tr></thead>"
    )
    parts.append("<tbody>")
    for row in table.rows:
        parts.append("<tr>" + "".join(f"<td>{_spans(cell)}</td>" for cell in row) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _lineage_title(item: Item) -> str:
    if not item.lineage:
        return ""
    text = json.dumps(item.lineage, ensure_ascii=False, sort_keys=True)
    return f' title="{_e("来源：" + text)}" data-kind="{_e(item.kind)}"'


def _item(item: Item) -> str:
    if item.table is not None:
        return _table(item.table)
    return f"<p{_lineage_title(item)}>{_e(item.marker)}{_spans(item.spans)}</p>"


def _section(section: Section) -> list[str]:
    tag = f"h{min(section.level + 1, 6)}"
    out = [f'<{tag} id="s-{_e(section.key)}">{_e(section.marker + section.heading)}</{tag}>']
    out.extend(_item(i) for i in (*section.intro, *section.items))
    for child in section.sections:
        out.extend(_section(child))
    return out


def _key(contribution: dict[str, object]) -> str:
    """The distinct value a contribution brought, in brackets, if it has one."""
    key = contribution.get("key")
    return f"（{key}）" if key else ""


def _contributions(entry_lineage: dict[str, object]) -> str:
    rows = entry_lineage.get("contributions") or []
    if not isinstance(rows, list) or not rows:
        return ""
    body = "".join(
        "<tr>"
        + f"<td>{_e(str(c.get('position')))}</td><td>{_e(str(c.get('occurred_on')))}</td>"
        + f"<td>{_e(str(c.get('type')))}</td>"
        + f"<td>{_e(str(c.get('amount')))}{_e(_key(c))}</td>"
        + f"<td><code>{_e(str(c.get('event_id')))}</code></td></tr>"
        for c in rows
        if isinstance(c, dict)
    )
    return (
        f"<details><summary>贡献事件 {len(rows)} 条</summary><table><thead><tr>"
        "<th>位置</th><th>日期</th>"
        f"<th>类型</th><th>计入</th><th>事件编号</th></tr></thead><tbody>{body}</tbody></table></details>"
    )


def _derivation(entry: FigureEntry) -> str:
    facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in definition_lines(entry))
    explanation = f"<pre>{_e(entry.explanation)}</pre>" if entry.explanation else ""
    # A set report's roll-up links to each ledger's figure, which lists its events.
    parts = "".join(
        f'<li><a class="fig" href="#{_e(ref)}" data-ref="{_e(ref)}">{_e(ref)}</a></li>'
        for ref in entry.parts
    )
    drill = f'<ul class="parts">{parts}</ul>' if parts else ""
    return f"<dl>{facts}</dl>{drill}{explanation or _contributions(entry.lineage)}"


def _body(report: Report) -> list[str]:
    """Title, sections and the about list: everything before the appendix."""
    body: list[str] = [f"<h1>{_e(report.title)}</h1>"]
    body.extend(_item(item) for item in report.intro)
    for section in report.sections:
        body.extend(_section(section))
    body.append(f'<h2 id="about">{ABOUT_HEADING}</h2><ul>')
    body.extend(f"<li>{_e(line)}</li>" for line in about_lines(report))
    body.append("</ul>")
    if report.as_of.checkpoint is not None:
        body.append(
            f'<div class="seal"><p>封存检查点：</p><pre>{_e(report.as_of.checkpoint)}</pre></div>'
        )
    body.append(f'<h2 id="appendix">{APPENDIX_HEADING}</h2>')
    return body


def render_html(report: Report) -> str:
    """Render a report as one self-contained HTML page.

    Args:
        report: the computed report.

    Returns:
        The page. Each number is ``<a class="fig" href="#F1" data-ref="F1">``
        pointing at ``<section class="derivation" id="F1">`` in the appendix.
    """
    body = _body(report)
    for entry in report.figures:
        body.append(
            f'<section class="derivation" id="{_e(entry.ref)}">'
            f"<h3>{_e(entry.ref)} {_e(entry.label)}</h3>{_derivation(entry)}</section>"
        )
    panel = (
        '<aside id="panel" hidden><button id="panel-close" type="button">关闭</button>'
        '<div id="panel-body"></div></aside>'
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(report.title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="civicledger-template-sha256" content="{_e(report.template_sha256)}">\n'
        f'<meta name="civicledger-period" content="{_e(report.period)}" '
        f'data-label="{_e(report.period_label)}" data-start="{_e(report.period_start)}" '
        f'data-end="{_e(report.period_end)}">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n{panel}\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


_NOTEBOOK_STYLE = (
    "<style>.civicledger-report a.fig{color:#0645ad;text-decoration:none;"
    "border-bottom:1px dotted #0645ad}.civicledger-report details summary{cursor:pointer}"
    ".civicledger-report pre{white-space:pre-wrap;font-size:.85em}</style>"
)


def render_notebook_html(report: Report) -> str:
    """A report as an HTML fragment for a notebook: no page styles or script; each
    figure's derivation folded in a ``<details>`` element that its numbers link to.

    Args:
        report: the computed report.

    Returns:
        The fragment.
    """
    body = _body(report)
    for entry in report.figures:
        body.append(
            f'<details class="derivation" id="{_e(entry.ref)}"><summary>{_e(entry.ref)} '
            f"{_e(entry.label)}</summary>{_derivation(entry)}</details>"
        )
    return _NOTEBOOK_STYLE + '<div class="civicledger-report">' + "\n".join(body) + "</div>"
