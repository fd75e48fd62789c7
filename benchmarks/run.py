"""Run the benchmark suite: ``python -m benchmarks.run [--quick | --full] [--scenario NAME ...]``.

Each scenario runs in its own child process (so peak memory is per scenario)
and interleaves our code, the raw floor and the eventsourcing peer over several
repetitions. The run writes ``benchmarks/results/<date>-<machine>.json`` and a
Markdown table beside it. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.context import DEFAULT_POSTGRES_URL, WORK_DIR, Context
from benchmarks.environment import describe, source_state

RESULTS_DIR = Path(__file__).resolve().parent / "results"

PROFILES = {
    # size, singles, large, repetitions
    "default": (100_000, 2_000, 1_000_000, 5),
    "quick": (10_000, 300, 100_000, 3),
}


def _scenarios() -> dict[str, Any]:
    from benchmarks.scenarios import ALL

    return {s.name: s for s in ALL}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Run the civicledger benchmarks against raw sqlite3 and eventsourcing.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small sizes, 3 repetitions")
    mode.add_argument("--full", action="store_true", help="also the 1M-event scenarios")
    parser.add_argument(
        "--scenario", action="append", metavar="NAME", help="run only this scenario (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--size", type=int, help="events for append/read (default 100,000)")
    parser.add_argument("--large", type=int, help="events in the large ledger (default 1M)")
    parser.add_argument("--singles", type=int, help="events per single-append repetition")
    parser.add_argument("--repetitions", type=int, help="interleaved rounds per scenario")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CIVICLEDGER_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server for the PostgreSQL scenarios ('' skips them)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="results folder")
    parser.add_argument("--work", type=Path, default=WORK_DIR, help="scratch folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-context", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    return parser


def _context(args: argparse.Namespace) -> Context:
    size, singles, large, repetitions = PROFILES["quick" if args.quick else "default"]
    return Context(
        size=args.size or size,
        singles=args.singles or singles,
        large=args.large or large,
        repetitions=args.repetitions or repetitions,
        work=args.work,
        postgres_url=args.postgres_url or None,
    )


def _child(args: argparse.Namespace) -> int:
    """Run one scenario in this process and write its result as JSON."""
    raw = json.loads(args.child_context)
    ctx = Context(**{**raw, "work": Path(raw["work"])})
    scenario = _scenarios()[args.child]
    code = source_state()
    result = scenario.run(ctx).to_json()
    result["code"] = code
    Path(args.child_output).write_text(json.dumps(result))
    return 0


def _run_child(name: str, ctx: Context) -> dict[str, Any]:
    raw = {**asdict(ctx), "work": str(ctx.work)}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [
            sys.executable, "-m", "benchmarks.run", "--child", name,
            "--child-context", json.dumps(raw), "--child-output", str(out),
        ]  # fmt: skip
        completed = subprocess.run(command, cwd=Path(__file__).resolve().parent.parent)
        if completed.returncode != 0 or not out.stat().st_size:
            raise RuntimeError(f"scenario {name} exited with status {completed.returncode}")
        data: dict[str, Any] = json.loads(out.read_text())
        return data
    finally:
        out.unlink(missing_ok=True)


def _measure(scenario: Any, ctx: Context) -> dict[str, Any]:
    """One scenario's results, or why it did not run (left out, or failed)."""
    if scenario.name.startswith("postgres_") and not ctx.postgres_url:
        # Left out on purpose (--postgres-url ''), which is not a failure of the scenario.
        reason = "no PostgreSQL URL given (--postgres-url)"
        print(f"   skipped: {reason}")
        return {"name": scenario.name, "title": scenario.title, "skipped": reason}
    try:
        return _run_child(scenario.name, ctx)
    except Exception as e:
        traceback.print_exc()
        return {"name": scenario.name, "title": scenario.title, "error": str(e)}


def main(argv: list[str] | None = None) -> int:
    """Run the selected scenarios and write the results; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.child:
        return _child(args)
    scenarios = _scenarios()
    if args.list:
        for s in scenarios.values():
            flag = " (--full)" if s.full_only else ""
            print(f"{s.name}{flag}: {s.measures}")
        return 0
    unknown = [n for n in args.scenario or () if n not in scenarios]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    if args.scenario:
        chosen = [scenarios[n] for n in args.scenario]
    else:
        chosen = [s for s in scenarios.values() if args.full or not s.full_only]
    ctx = _context(args)
    from benchmarks import workload

    environment = describe(ctx.postgres_url)
    results: dict[str, Any] = {
        "environment": environment,
        "command": " ".join(["python -m benchmarks.run", *(argv or sys.argv[1:])]),
        "context": {**asdict(ctx), "work": str(ctx.work)},
        "repetitions": ctx.repetitions,
        "workload": workload.load().source,
        "scenarios": [],
    }
    started = time.perf_counter()
    for scenario in chosen:
        print(f"== {scenario.name}: {scenario.title}", flush=True)
        t0 = time.perf_counter()
        data = _measure(scenario, ctx)
        data["seconds"] = round(time.perf_counter() - t0, 1)
        results["scenarios"].append(data)
        for contender, series in data.get("series", {}).items():
            print(f"   {contender:>8}: median {series['median']:,.2f} {series['unit']}")
        for key, value in data.get("ratios", {}).items():
            print(f"   {key}: {value:.2f}x")
        for target in data.get("targets", []):
            print(f"   {'met' if target['met'] else 'MISSED'}: {target['claim']}")
    results["seconds"] = round(time.perf_counter() - started, 1)
    stem = f"{environment['date']}-{environment['machine']}"
    if args.quick:
        stem += "-quick"
    elif args.full:
        stem += "-full"
    if args.scenario:
        stem += "-partial"
    # A second run on the same day gets its own files: committed results are never overwritten.
    base, number = stem, 2
    while (args.output / f"{stem}.json").exists() or (args.output / f"{stem}.md").exists():
        stem, number = f"{base}-{number}", number + 1
    json_path, md_path = report.write(results, args.output, stem)
    print(f"wrote {json_path} and {md_path} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
