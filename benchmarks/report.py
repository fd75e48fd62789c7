"""Write a run's results: the JSON file and its Markdown table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _number(value: float, unit: str) -> str:
    if unit == "events/s":
        return f"{value / 1000:,.1f}k/s" if value >= 1000 else f"{value:,.0f}/s"
    if unit == "ms":
        return f"{value:,.2f} ms"
    if unit == "s":
        return f"{value:,.2f} s"
    return f"{value:,.3g} {unit}"


def _median(scenario: dict[str, Any], contender: str) -> str:
    series = scenario["series"].get(contender)
    if not series:
        return "—"
    return _number(series["median"], series["unit"])


def _targets(scenario: dict[str, Any]) -> str:
    parts = []
    for t in scenario["targets"]:
        mark = "met" if t["met"] else "MISSED"
        parts.append(f"{mark}: {t['claim']} (measured {_number(t['measured'], t['unit'])})")
    return "<br>".join(parts) or "—"


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown page: environment, one table row per scenario, targets, notes."""
    env = results["environment"]
    lines = [
        f"# civicledger benchmarks, {env['date']} on {env['machine']}",
        "",
        f"- CPU: {env['cpu']} ({env['cpu_count']} cores); {env['platform']}",
        f"- Python {env['python']}, SQLite {env['sqlite']}, SQLAlchemy {env['sqlalchemy']}, "
        f"eventsourcing {env['eventsourcing']}, orjson {env['orjson']}, "
        f"psycopg {env['psycopg']}, PostgreSQL {env['postgresql'] or 'not reached'}",
        f"- civicledger {env['civicledger']} at commit {env['commit']}, native hashing "
        f"{env.get('native_hashing', 'not recorded')}; "
        f"run: `{results['command']}`",
        f"- Workload: {results['workload']}",
        f"- Every figure is the median of {results['repetitions']} interleaved repetitions "
        "in one process; ratios compare medians of the same run. Peak RSS is the "
        "scenario's own process (all contenders; see the notes for ours-only probes).",
        "",
        "| scenario | size | ours | floor (raw sqlite3 / driver) | peer (eventsourcing) "
        "| ours/floor | ours/peer | peak RSS | targets |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in results["scenarios"]:
        if "skipped" in s:
            lines.append(f"| {s['title']} | | | | | | | | skipped: {s['skipped']} |")
            continue
        if "error" in s:
            lines.append(f"| {s['title']} | | | | | | | | FAILED: {s['error']} |")
            continue
        ratios = s["ratios"]
        vs_floor = f"{ratios['ours/floor']:.2f}x" if "ours/floor" in ratios else "—"
        vs_peer = f"{ratios['ours/peer']:.2f}x" if "ours/peer" in ratios else "—"
        lines.append(
            f"| {s['title']} | {s['size']:,} | {_median(s, 'ours')} | {_median(s, 'floor')} "
            f"| {_median(s, 'peer')} | {vs_floor} | {vs_peer} | {s['peak_rss_mb']:.0f} MB "
            f"| {_targets(s)} |"
        )
    notes = [(s["title"], n) for s in results["scenarios"] for n in s.get("notes", [])]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- **{title}**: {note}" for title, note in notes]
    codes = {s.get("code") for s in results["scenarios"] if s.get("code")}
    if len(codes) > 1:
        lines += ["", "## Code measured", ""]
        lines += [f"- **{s['title']}**: {s['code']}" for s in results["scenarios"] if s.get("code")]
    ran = [s for s in results["scenarios"] if "error" not in s and "skipped" not in s]
    more = [s for s in ran if _further_series(s)]
    if more:
        lines += ["", "## Further contenders and ratios", ""]
        for s in more:
            medians = "; ".join(f"{name} {_median(s, name)}" for name in _further_series(s))
            ratios = "; ".join(f"{k} {v:.2f}x" for k, v in s["ratios"].items())
            lines.append(
                f"- **{s['title']}**: {medians}" + (f" (ratios: {ratios})" if ratios else "")
            )
    extras = [(s["title"], s["extra"]) for s in results["scenarios"] if s.get("extra")]
    if extras:
        lines += ["", "## Further measurements", ""]
        for title, extra in extras:
            lines.append(f"- **{title}**: " + "; ".join(f"{k} = {v}" for k, v in extra.items()))
    return "\n".join(lines) + "\n"


def _further_series(scenario: dict[str, Any]) -> list[str]:
    """The contenders the table's ours / floor / peer columns leave out."""
    return [name for name in scenario["series"] if name not in ("ours", "floor", "peer")]


def write(results: dict[str, Any], directory: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` into ``directory``; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stem}.json"
    md_path = directory / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
