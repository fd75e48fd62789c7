"""JSON Lines import: peak memory against the file's size, and its rate.

``Ledger.import_jsonl`` validates and appends a file in batches inside one
transaction, so its memory should not grow with the file. Each size is imported
into a fresh SQLite file by ``benchmarks.probe`` in a process of its own, so the
peak RSS is the import's alone. The files are the example year repeated with
fresh event ids. Ours only: the floor and peer have no validating import. Its rate
is compared with our own batched append of as many typed events (1,000 per call,
built before the clock starts) in the same run: an import parses and validates
each line, then appends in the same transaction. ``import_jsonl_large`` (``--full``)
imports the 1,000,000-line file the target names, where ``import_jsonl`` projects its
memory from ``--size`` lines.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson

from benchmarks import probe, workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, Series
from benchmarks.scenarios.append import ours_batched
from civicledger.store import NewEvent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "events.jsonl"
TITLE = "import_jsonl: peak RSS against the file's size (one transaction)"
TARGET_LINES = 1_000_000
TARGET_MB = 200.0


def write_file(path: Path, lines: int) -> Path:
    """The example year repeated to ``lines`` lines, each with a fresh event id."""
    template = [orjson.loads(line) for line in EXAMPLE.read_bytes().splitlines() if line.strip()]
    with path.open("wb") as out:
        for n in range(lines):
            line = dict(template[n % len(template)])
            line["event_id"] = str(uuid.uuid4())
            out.write(orjson.dumps(line) + b"\n")
    return path


def _import(name: str, size_attr: str) -> Scenario:
    """The scenario importing files of ``size / 5`` and ``size`` lines, ``size`` read from
    the context (``size``, or ``large`` for the 1,000,000-line file of ``--full``)."""

    def run(ctx: Context) -> ScenarioResult:
        return _measure(ctx, name, getattr(ctx, size_attr), _repetitions(ctx, size_attr))

    return Scenario(
        name,
        TITLE,
        f"peak RSS and events/s of `Ledger.import_jsonl` at `--{size_attr}` / 5 and "
        f"`--{size_attr}` lines (ours only)",
        run,
        full_only=size_attr == "large",
    )


def _repetitions(ctx: Context, size_attr: str) -> int:
    # A million-line import and its append take minutes: three rounds, as verify_large.
    return ctx.repetitions if size_attr == "size" else min(ctx.repetitions, 3)


def _measure(ctx: Context, scenario: str, large: int, repetitions: int) -> ScenarioResult:
    """Import a file of ``large / 5`` and of ``large`` lines; compare their peaks."""
    small = max(large // 5, 1)
    result = ScenarioResult(scenario, TITLE, large)
    peaks: list[float] = []
    entries = [NewEvent(stream=s, event=e, actor="bench") for s, e in workload.load().take(large)]
    appended: list[float] = []
    for lines in (small, large):
        source = write_file(ctx.scratch(f"import-{lines}.jsonl"), lines)
        name = f"{lines:,} lines"
        result.series[name] = Series(name, "events/s", [])
        # The large file is imported once per repetition, each import interleaved with a
        # batched append of as many events, so both rates see the same load (one sample
        # of each swung the ratio between 0.5x and 1.3x on this shared machine).
        for _ in range(repetitions if lines == large else 1):
            target = ctx.scratch(f"import-{lines}.db")  # a fresh file each time
            measured = probe.measure("import_jsonl", target, str(source))
            if measured["outcome"] != repr(lines):
                raise AssertionError(f"imported {measured['outcome']} of {lines} lines")
            result.series[name].samples.append(lines / measured["seconds"])
            if lines == large:
                appended.append(ours_batched(ctx, entries, "NORMAL"))
        peaks.append(measured["peak_rss_mb"])
        result.extra[f"peak RSS at {lines:,} lines"] = f"{measured['peak_rss_mb']:.0f} MB"
        source.unlink()
    low, high = peaks
    result.series["append_batch, 1,000 per call"] = Series(
        "append_batch, 1,000 per call", "events/s", appended
    )
    appended_rate = result.series["append_batch, 1,000 per call"].median
    imported = result.series[f"{large:,} lines"].median
    result.ratios["import/append_batch"] = imported / appended_rate
    result.target(
        f"import rate ({large:,} lines) >= 0.8x the batched append rate",
        imported / appended_rate,
        0.8,
        "x",
        higher=True,
    )
    slope = (high - low) / (large - small) * 100_000
    projected = high + max(slope, 0.0) * (TARGET_LINES - large) / 100_000
    result.extra["slope"] = f"{slope:+.1f} MB per 100,000 lines"
    result.target(
        f"import peak RSS < {TARGET_MB:.0f} MB at {TARGET_LINES:,} lines"
        + ("" if large >= TARGET_LINES else f" (projected from {large:,} by the slope)"),
        projected,
        TARGET_MB,
        "MB",
        higher=False,
    )
    result.target(
        f"import memory flat ({small:,} -> {large:,} lines: peak RSS growth < 1.25x)",
        high / low,
        1.25,
        "x",
        higher=False,
    )
    return result


SCENARIOS = (_import("import_jsonl", "size"), _import("import_jsonl_large", "large"))
