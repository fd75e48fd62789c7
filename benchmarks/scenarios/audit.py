"""Audit over a large ledger: ``verify()``, and inclusion / consistency proofs.

The floor for ``verify()`` does the same hashing with nothing around it: raw
sqlite3 streams the rows, hashlib recomputes each payload digest (v1 or v2, as
the ledger's leaf format says) and a
leaf hash over an orjson envelope, and a frontier stack folds the leaves into the
root. The floor for proofs is the tile-less way: read every leaf hash with raw
sqlite3 and compute the RFC 9162 path by recursion (what a store without interior
nodes must do). eventsourcing has no tamper evidence (it dropped its hash chain
in 9.0), so there is no peer here.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from benchmarks import ledgers, probe
from benchmarks.context import Context, Scenario
from benchmarks.floor import v2_digest
from benchmarks.harness import ScenarioResult, interleave
from civicledger.audit.verify import default_workers
from civicledger.ledger import Ledger

PROOFS_PER_SAMPLE = 20


def _which(size_attr: str) -> str:
    return "large (--full)" if size_attr == "large" else "default-size"


def _repetitions(ctx: Context, size_attr: str) -> int:
    # A round on the large ledger takes long; three rounds still give a median.
    return ctx.repetitions if size_attr == "size" else min(ctx.repetitions, 3)


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def floor_verify(path: Path) -> bytes:
    """Recompute every digest and leaf and fold the root, with raw sqlite3 and hashlib."""
    connection = sqlite3.connect(path)
    try:
        (version,) = connection.execute("SELECT leaf_version FROM civicledger_ledgers").fetchone()
        v2 = version == 2
        cursor = connection.execute(
            "SELECT position, stream, stream_version, event_id, type, schema_version, "
            "occurred_on, recorded_at, actor, payload, salt, payload_digest "
            "FROM civicledger_events ORDER BY position"
        )
        stack: list[tuple[int, bytes]] = []
        while rows := cursor.fetchmany(2000):
            for row in rows:
                if v2:
                    digest = v2_digest(row[10], orjson.loads(row[9]))
                else:
                    digest = _sha(row[10] + row[9].encode())
                if digest != row[11]:
                    raise AssertionError(f"digest differs at {row[0]}")
                envelope = orjson.dumps(
                    {
                        "position": row[0],
                        "stream": row[1],
                        "stream_version": row[2],
                        "event_id": row[3].hex(),
                        "type": row[4],
                        "schema_version": row[5],
                        "occurred_on": row[6],
                        "recorded_at": row[7],
                        "actor": row[8],
                        "payload_digest": digest.hex(),
                        "v": version,
                    },
                    option=orjson.OPT_SORT_KEYS,
                )
                node = (1, _sha(b"\x00" + envelope))
                while stack and stack[-1][0] == node[0]:
                    size, left = stack.pop()
                    node = (size * 2, _sha(b"\x01" + left + node[1]))
                stack.append(node)
        root = stack.pop()[1] if stack else _sha(b"")
        while stack:
            root = _sha(b"\x01" + stack.pop()[1] + root)
        return root
    finally:
        connection.close()


def _verify(name: str, size_attr: str, small_attr: str) -> Scenario:
    def run(ctx: Context) -> ScenarioResult:
        size = getattr(ctx, size_attr)
        path = ledgers.ledger_file(ctx, size)
        result = ScenarioResult(name, f"verify() over {size:,} events", size)

        splits: set[int] = set()

        def timed(workers: int | None) -> float:
            with Ledger.open(ledgers.url(path)) as ledger:
                start = time.perf_counter()
                report = ledger.verify(workers=workers)
                elapsed = time.perf_counter() - start
            if not report.ok:
                raise AssertionError(f"the benchmark ledger does not verify: {report}")
            splits.add(len(report.ranges))
            return elapsed

        def floor() -> float:
            start = time.perf_counter()
            floor_verify(path)
            return time.perf_counter() - start

        interleave(
            result,
            {
                "ours": ("s", lambda: timed(None)),
                "ours_1_process": ("s", lambda: timed(1)),
                "floor": ("s", floor),
            },
            _repetitions(ctx, size_attr),
        )
        # Ratios of durations, inverted so that > 1 means ours is faster (as for rates).
        floor_median = result.series["floor"].median
        result.ratios["ours/floor"] = floor_median / result.series["ours"].median
        result.ratios["ours_1_process/floor"] = (
            floor_median / result.series["ours_1_process"].median
        )
        result.target(
            "verify() >= 1.5x the single-process hashing floor",
            result.ratios["ours/floor"],
            1.5,
            "x",
            higher=True,
        )
        result.notes.append(
            f"ours: Ledger.verify() with its default workers (the cores: {default_workers()}), "
            f"walked in {max(splits)} range(s); ours_1_process: workers=1."
        )
        per_million = result.series["ours"].median * 1_000_000 / size
        result.target(
            "verify() of 1M events < 5 s"
            + ("" if size >= 1_000_000 else f" (projected linearly from {size:,})"),
            per_million,
            5.0,
            "s",
            higher=False,
        )
        if ctx.probes:
            small = getattr(ctx, small_attr)
            probe.memory_targets(
                result, "verify", ((small, ledgers.ledger_file(ctx, small)), (size, path))
            )
        result.notes.append(
            "ours/floor is floor time / our time (> 1: ours faster). No peer: eventsourcing "
            "keeps no hash chain or Merkle tree."
        )
        return result

    return Scenario(
        name,
        f"verify() over the {_which(size_attr)} ledger",
        "seconds for Ledger.verify() (every leaf and root recomputed from stored rows) vs the "
        "same hashing in raw sqlite3 + hashlib; peak RSS of verify alone at two ledger sizes.",
        run,
        full_only=size_attr == "large",
    )


def _naive_inclusion(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 PATH(m, D[n]) by recursion over all leaves (no stored interior nodes)."""

    def mth(begin: int, end: int) -> bytes:
        if end - begin == 1:
            return leaves[begin]
        k = 1 << ((end - begin - 1).bit_length() - 1)
        return _sha(b"\x01" + mth(begin, begin + k) + mth(begin + k, end))

    def path(m: int, begin: int, end: int) -> list[bytes]:
        n = end - begin
        if n == 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*path(m, begin, begin + k), mth(begin + k, end)]
        return [*path(m - k, begin + k, end), mth(begin, begin + k)]

    return path(index, 0, len(leaves))


def _proofs(name: str, size_attr: str) -> Scenario:
    def run(ctx: Context) -> ScenarioResult:
        size = getattr(ctx, size_attr)
        path = ledgers.ledger_file(ctx, size)
        result = ScenarioResult(name, f"inclusion and consistency proofs, {size:,} events", size)
        rng = random.Random(9162)
        ledger = Ledger.open(ledgers.url(path))
        try:
            first = rng.randrange(1, size + 1)
            naive = _naive_inclusion(_all_leaves(path), first - 1)
            if naive != ledger.audit.inclusion_proof(first, size):
                raise AssertionError("our inclusion proof differs from the reference recursion")

            def inclusion() -> float:
                picks = [rng.randrange(1, size + 1) for _ in range(PROOFS_PER_SAMPLE)]
                start = time.perf_counter()
                for position in picks:
                    ledger.audit.inclusion_proof(position, size)
                return (time.perf_counter() - start) * 1000 / len(picks)

            def consistency() -> float:
                picks = [rng.randrange(1, size) for _ in range(PROOFS_PER_SAMPLE)]
                start = time.perf_counter()
                for old in picks:
                    ledger.audit.consistency_proof(old, size)
                return (time.perf_counter() - start) * 1000 / len(picks)

            def floor() -> float:
                start = time.perf_counter()
                _naive_inclusion(_all_leaves(path), rng.randrange(size))
                return (time.perf_counter() - start) * 1000

            interleave(
                result,
                {
                    "ours": ("ms", inclusion),
                    "ours consistency": ("ms", consistency),
                    "floor": ("ms", floor),
                },
                _repetitions(ctx, size_attr),
            )
        finally:
            ledger.close()
        result.ratios["ours/floor"] = result.series["floor"].median / result.series["ours"].median
        result.target(
            f"one inclusion proof on a {size:,}-event ledger < 5 ms",
            result.series["ours"].median,
            5.0,
            "ms",
            higher=False,
        )
        result.extra["consistency proof (median)"] = (
            f"{result.series['ours consistency'].median:.2f} ms"
        )
        result.notes.append(
            "ours: median ms per proof (20 random positions per sample) from stored tiles; "
            "floor: one proof by reading every leaf hash with raw sqlite3 and rehashing "
            "(no tiles). ours/floor is floor time / our time."
        )
        return result

    return Scenario(
        name,
        f"inclusion and consistency proofs on the {_which(size_attr)} ledger",
        "ms per Ledger.inclusion_proof / consistency_proof at random positions vs rehashing "
        "every leaf (raw sqlite3 + hashlib, no stored interior nodes).",
        run,
        full_only=size_attr == "large",
    )


def _all_leaves(path: Path) -> list[bytes]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT leaf_hash FROM civicledger_events ORDER BY position")
        return [r[0] for r in rows]
    finally:
        connection.close()


SCENARIOS = (
    _verify("verify", "size", "singles"),
    _proofs("proofs", "size"),
    _verify("verify_large", "large", "size"),
    _proofs("proofs_large", "large"),
)
