"""What a scenario is given: sizes, repetitions, a scratch folder, the PostgreSQL URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import ScenarioResult

WORK_DIR = Path(__file__).resolve().parent / "work"
"""Scratch files, kept between runs (the 1M-event ledger is built once); gitignored."""

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Context:
    """Sizes and places for one run of the suite.

    Attributes:
        size: events for the append and read scenarios (100,000 by default).
        singles: events per repetition of the one-per-transaction scenarios.
        large: events in the large ledger (1,000,000 with ``--full``).
        repetitions: interleaved rounds per scenario.
        work: the scratch folder.
        postgres_url: the server the PostgreSQL scenarios use (None: skip them).
        probes: measure ours-only peak memory in child processes (the smoke test
            turns this off to stay fast; ``benchmarks.probe`` has its own test).
    """

    size: int
    singles: int
    large: int
    repetitions: int
    work: Path
    postgres_url: str | None
    probes: bool = True

    def scratch(self, name: str) -> Path:
        """A fresh path in the scratch folder (any old file of that name removed)."""
        self.work.mkdir(parents=True, exist_ok=True)
        path = self.work / name
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return path


@dataclass(frozen=True)
class Scenario:
    """One benchmark: a name, what it measures, and the function that runs it.

    Attributes:
        name: the ``--scenario`` name.
        title: a line for the results table.
        measures: what it measures and against whom (for the README and the report).
        run: runs it and returns the result.
        full_only: only with ``--full`` (it needs the large ledger).
    """

    name: str
    title: str
    measures: str
    run: Callable[[Context], ScenarioResult]
    full_only: bool = False
