"""Receiving a delivery file: each row hashed once by the reader (now) against on every read.

Before ``civicledger-delivery/2``, ``receive`` checked every row against its leaf
each time it read the file (the whole-file check, the check against the replica,
the apply), and the store once more. Now the reader checks each row once and the
re-reads compare each batch's bytes with a SHA-256 taken then. A ``Delivery``
without those digests reads the old way, so both run in one process, interleaved,
on the same file; the figures are medians and their ratio.

Usage: python -m benchmarks.delivery_receive [EVENTS] [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import attrs

import civicledger.sync_file as sync_file
from civicledger import Ledger
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.delivery import Delivery, read_delivery


def _every_read_hashes(path: Path) -> Delivery:
    """The file read as before: no batch digests, so every re-read checks every row again."""
    return attrs.evolve(read_delivery(path), batch_digests=())


def main(events: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        with Ledger.open(f"sqlite:///{here / 'sender.db'}", "c") as sender:
            for start in range(0, events, 1000):
                sender.append(
                    "m",
                    [
                        MediationCompleted(
                            occurred_on=date(2023, 1 + n % 12, 1),
                            case_id=f"K{n}",
                            dispute_kind=DisputeKind.NEIGHBOURHOOD,
                            parties=1 + n % 4,
                            outcome=MediationOutcome.FAILED,
                        )
                        for n in range(start, min(events, start + 1000))
                    ],
                    actor="clerk",
                )
            sender.seal()
            sender.deliver(here / "d.delivery")
        ways: dict[str, Callable[[Path], Delivery]] = {
            "once": read_delivery,
            "every read": _every_read_hashes,
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        try:
            for number in range(rounds):
                order = list(ways) if number % 2 == 0 else list(reversed(ways))
                for name in order:
                    sync_file.read_delivery = ways[name]  # type: ignore[assignment]
                    target = here / f"receiver-{number}-{len(times[name])}.db"
                    started = time.perf_counter()
                    got = Ledger.receive(here / "d.delivery", f"sqlite:///{target}")
                    times[name].append(time.perf_counter() - started)
                    assert got.events == events
                    target.unlink()
        finally:
            sync_file.read_delivery = read_delivery
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name}: median {medians[name]:.3f} s of {[round(v, 3) for v in values]}")
    print(f"ratio once / every read: {medians['once'] / medians['every read']:.2f}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 7,
    )
