"""Peak memory of one operation of ours, alone in a fresh process.

``python -m benchmarks.probe KIND LEDGER_FILE [ARG]`` runs one operation (``verify``,
``read``, ``indicators`` …) on a ledger file and prints a JSON object with the
seconds the operation took (the ledger is opened before the clock starts) and the
process's peak RSS, so a scenario can compare peaks at
two ledger sizes without the peaks of its other contenders mixing in.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from benchmarks.harness import ScenarioResult, peak_rss_mb

Operation = Callable[[Path, str | None], AbstractContextManager[Callable[[], Any]]]
"""Opens what an operation needs and yields the call to time: the clock runs only around
that call, so opening the ledger (creating its schema, importing the SQL layer) is not
counted, as the in-process contenders it is compared with open theirs before the clock."""

OPERATIONS: dict[str, Operation] = {}


def operation(
    name: str,
) -> Callable[[Callable[[Path, str | None], Iterator[Callable[[], Any]]]], Operation]:
    """Register a probe operation under ``name``: a generator that opens what it needs and
    yields the call to time."""

    def register(fn: Callable[[Path, str | None], Iterator[Callable[[], Any]]]) -> Operation:
        wrapped = contextlib.contextmanager(fn)
        OPERATIONS[name] = wrapped
        return wrapped

    return register


def _opened(path: Path) -> Any:
    from civicledger.ledger import Ledger

    return Ledger.open(f"sqlite:///{path}")


@operation("read")
def _read(path: Path, _: str | None) -> Iterator[Callable[[], int]]:
    with _opened(path) as ledger:
        yield lambda: sum(1 for _ in ledger.read())


@operation("verify")
def _verify(path: Path, _: str | None) -> Iterator[Callable[[], bool]]:
    with _opened(path) as ledger:
        yield lambda: ledger.verify().ok


@operation("indicators")
def _indicators(path: Path, indicator_set: str | None) -> Iterator[Callable[[], int]]:
    with _opened(path) as ledger:
        yield lambda: len(ledger.indicators(str(indicator_set), year=2023))


@operation("indicators_python")
def _indicators_python(path: Path, indicator_set: str | None) -> Iterator[Callable[[], int]]:
    from civicledger.projections import service

    with _opened(path) as ledger:
        yield lambda: len(
            service.indicators(ledger.store, str(indicator_set), year=2023, lineage="lazy")
        )


@operation("indicators_lazy")
def _indicators_lazy(path: Path, indicator_set: str | None) -> Iterator[Callable[[], int]]:
    with _opened(path) as ledger:
        yield lambda: len(ledger.indicators(str(indicator_set), year=2023, lineage="lazy"))


@operation("import_jsonl")
def _import_jsonl(path: Path, jsonl: str | None) -> Iterator[Callable[[], int]]:
    with _opened(path) as ledger:  # a fresh file: its schema is created here, off the clock
        yield lambda: ledger.import_jsonl(str(jsonl))


def measure(kind: str, path: Path, arg: str | None = None) -> dict[str, Any]:
    """Run a probe in a child process and return its JSON (seconds, peak_rss_mb, baseline)."""
    command = [sys.executable, "-m", "benchmarks.probe", kind, str(path)]
    if arg is not None:
        command.append(arg)
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    data: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return data


def memory_targets(
    result: ScenarioResult,
    kind: str,
    sizes: tuple[tuple[int, Path], tuple[int, Path]],
    arg: str | None = None,
    limit_mb: float | None = None,
) -> None:
    """Probe ours-only peak RSS at a small and a large ledger and record flatness targets.

    Args:
        result: where the measurements and targets go.
        kind: the probe operation.
        sizes: (events, ledger file) for the small and the large ledger.
        arg: the operation's argument.
        limit_mb: also require the large ledger's peak to stay under this.
    """
    (small, small_path), (size, path) = sizes
    low = measure(kind, small_path, arg)["peak_rss_mb"]
    high = measure(kind, path, arg)["peak_rss_mb"]
    result.extra[f"{kind} alone, peak RSS at {small:,} events"] = f"{low:.0f} MB"
    result.extra[f"{kind} alone, peak RSS at {size:,} events"] = f"{high:.0f} MB"
    if limit_mb is not None:
        result.target(
            f"{kind} peak RSS < {limit_mb:.0f} MB at {size:,} events",
            high,
            limit_mb,
            "MB",
            higher=False,
        )
    result.target(
        f"{kind} memory flat ({small:,} -> {size:,} events: peak RSS growth < 1.25x)",
        high / low,
        1.25,
        "x",
        higher=False,
    )


def main(argv: list[str]) -> int:
    """Run the probe named by ``argv[0]`` and print its JSON line."""
    kind, path = argv[0], Path(argv[1])
    arg = argv[2] if len(argv) > 2 else None
    # Import what the operation needs before taking the baseline.
    import civicledger.catalog  # noqa: F401
    from civicledger.ledger import Ledger  # noqa: F401

    baseline = peak_rss_mb()
    with OPERATIONS[kind](path, arg) as run:
        start = time.perf_counter()
        outcome = run()
        seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "kind": kind,
                "seconds": seconds,
                "peak_rss_mb": peak_rss_mb(),
                "baseline_rss_mb": baseline,
                "outcome": repr(outcome)[:200],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
