"""Peak memory of one operation of ours, alone in a fresh process.

``python -m benchmarks.probe KIND LEDGER_FILE [ARG]`` runs one operation (``verify``,
``read``, ``indicators`` …) on a ledger file and prints a JSON object with the
seconds it took and the process's peak RSS, so a scenario can compare peaks at
two ledger sizes without the peaks of its other contenders mixing in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import peak_rss_mb

OPERATIONS: dict[str, Callable[[Path, str | None], Any]] = {}


def operation(name: str) -> Callable[[Callable[[Path, str | None], Any]], Any]:
    """Register a probe operation under ``name``."""

    def register(fn: Callable[[Path, str | None], Any]) -> Any:
        OPERATIONS[name] = fn
        return fn

    return register


@operation("read")
def _read(path: Path, _: str | None) -> int:
    from civicledger.ledger import Ledger

    with Ledger.open(f"sqlite:///{path}") as ledger:
        return sum(1 for _ in ledger.read())


@operation("verify")
def _verify(path: Path, _: str | None) -> bool:
    from civicledger.ledger import Ledger

    with Ledger.open(f"sqlite:///{path}") as ledger:
        return ledger.verify().ok


@operation("indicators")
def _indicators(path: Path, indicator_set: str | None) -> int:
    from civicledger.ledger import Ledger

    with Ledger.open(f"sqlite:///{path}") as ledger:
        return len(ledger.indicators(str(indicator_set), year=2023))


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


def main(argv: list[str]) -> int:
    """Run the probe named by ``argv[0]`` and print its JSON line."""
    kind, path = argv[0], Path(argv[1])
    arg = argv[2] if len(argv) > 2 else None
    fn = OPERATIONS[kind]
    # Import what the operation needs before taking the baseline.
    import civicledger.catalog  # noqa: F401
    from civicledger.ledger import Ledger  # noqa: F401

    baseline = peak_rss_mb()
    start = time.perf_counter()
    outcome = fn(path, arg)
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
