"""Smoke runs of every benchmark scenario at a tiny size, so the suite cannot rot.

Timings at this size mean nothing; what is checked is that each scenario runs
end to end against the current code (ours, the raw floor and the eventsourcing
peer), returns finite medians for every contender and well-formed targets, and
that the results writer and the command line work.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The benchmarks package lives beside src/, not inside the installed package.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytest.importorskip("eventsourcing", reason="the benchmark peer is in the `bench` extra")

from benchmarks import probe, report, run  # noqa: E402
from benchmarks.context import Context  # noqa: E402
from benchmarks.scenarios import ALL  # noqa: E402

TINY = {"size": 100, "singles": 5, "large": 200, "repetitions": 1}


def _context(tmp_path: Path, postgres_url: str | None = None) -> Context:
    return Context(**TINY, work=tmp_path, postgres_url=postgres_url, probes=False)


def _check(result: dict[str, object]) -> None:
    series = result["series"]
    assert isinstance(series, dict)
    assert series, "a scenario measured nothing"
    for name, data in series.items():
        assert data["samples"], f"{name} has no samples"
        assert math.isfinite(data["median"]), name
        assert data["median"] > 0, name
    for target in result["targets"]:  # type: ignore[attr-defined]
        assert isinstance(target["met"], bool)
        assert math.isfinite(target["measured"])
    json.dumps(result)


# The `*_large` scenarios are the same functions as their default-size twins, reading
# `ctx.large` instead of `ctx.size`; running the twin covers their code.
SMOKE = [s for s in ALL if not s.name.startswith("postgres") and not s.name.endswith("_large")]


@pytest.mark.parametrize("scenario", SMOKE, ids=lambda s: s.name)
def test_scenario_runs_at_tiny_size(scenario: object, tmp_path: Path) -> None:
    """Every SQLite scenario runs end to end and yields finite medians and well-formed targets."""
    result = scenario.run(_context(tmp_path)).to_json()  # type: ignore[attr-defined]
    _check(result)


@pytest.mark.postgres
def test_postgres_scenario_runs_and_drops_its_database(postgres_url: str, tmp_path: Path) -> None:
    """The PostgreSQL scenario runs at tiny size and leaves no benchmark database behind."""
    import psycopg
    from benchmarks.scenarios import postgres

    result = postgres.run(_context(tmp_path, postgres_url)).to_json()
    _check(result)
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        left = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (postgres.DATABASE,)
        ).fetchone()
    assert left == (0,)


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["postgres_concurrent_ledgers", "postgres_rollup"])
def test_many_ledger_scenarios_run_and_drop_their_databases(
    name: str, postgres_url: str, tmp_path: Path
) -> None:
    """The many-ledger PostgreSQL scenarios run at tiny size and leave no database behind."""
    import psycopg
    from benchmarks.scenarios import many_ledgers

    (scenario,) = [s for s in many_ledgers.SCENARIOS if s.name == name]
    result = scenario.run(_context(tmp_path, postgres_url)).to_json()
    _check(result)
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        left = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
            (many_ledgers.database_name("%"),),
        ).fetchone()
    assert left == (0,)


@pytest.mark.postgres
def test_server_memory_probe_compares_two_servers_and_drops_its_databases(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg
    from benchmarks import server_memory_probe

    argv = [postgres_url, postgres_url, "--ledgers", "2", "--events", "60", "--repetitions", "1"]
    server_memory_probe.main(argv)
    out = capsys.readouterr().out
    assert "shared_buffers" in out
    assert "medians: A" in out
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'civicledger_bench_servers_%'"
        ).fetchone()
    assert row is not None
    assert row[0] == 0


@pytest.mark.postgres
def test_copy_overlap_probe_times_both_writes_and_drops_its_database(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg
    from benchmarks import copy_overlap_probe

    argv = [postgres_url, "--events", "300", "--work-us", "5", "--repetitions", "1"]
    copy_overlap_probe.main(argv)
    out = capsys.readouterr().out
    assert "no client work: " in out
    assert "client work (5 us a row): " in out
    assert out.count("waiting at COPY's end") == 2
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'civicledger_bench_copy_overlap_%'"
        ).fetchone()
    assert row == (0,)


def test_every_scenario_has_a_unique_name_and_a_description() -> None:
    """Scenario names are unique (they are --scenario values) and each says what it measures."""
    names = [s.name for s in ALL]
    assert len(names) == len(set(names))
    assert all(s.measures and s.title for s in ALL)


def test_large_scenarios_are_full_only_twins_of_smoked_ones() -> None:
    """Each 1M-event scenario is behind --full and has a default-size twin the smoke test runs."""
    smoked = {s.name for s in SMOKE}
    for scenario in ALL:
        if scenario.name.endswith("_large"):
            assert scenario.full_only
            assert scenario.name.removesuffix("_large") in smoked


def test_memory_probe_reports_the_peak_of_a_child_process(tmp_path: Path) -> None:
    """The ours-only memory probe runs one operation in a child process and reports its peak."""
    from benchmarks import ledgers

    path = ledgers.ledger_file(_context(tmp_path), 50)
    data = probe.measure("verify", path)
    assert data["outcome"] == "True"
    assert data["peak_rss_mb"] >= data["baseline_rss_mb"] > 0


def test_probe_opens_the_ledger_before_the_call_it_times(tmp_path: Path) -> None:
    """The import probe's timed call is the import alone: the fresh ledger file and its
    schema exist before it runs, as they do for the append the import is compared with."""
    import sqlite3

    lines = tmp_path / "lines.jsonl"
    example = ROOT / "examples" / "community_2023" / "events.jsonl"
    lines.write_bytes(b"".join(example.read_bytes().splitlines(keepends=True)[:5]))
    path = tmp_path / "imported.db"
    with probe.OPERATIONS["import_jsonl"](path, str(lines)) as timed:
        opened = sqlite3.connect(path)
        try:
            [(count,)] = opened.execute("SELECT count(*) FROM civicledger_events").fetchall()
        finally:
            opened.close()
        assert count == 0
        assert timed() == 5


def test_command_writes_json_and_markdown_results(tmp_path: Path) -> None:
    """`python -m benchmarks.run` writes the results JSON and its Markdown table, with versions."""
    status = run.main(
        [
            "--scenario", "read_decoded", "--size", "100", "--repetitions", "1",
            "--output", str(tmp_path / "results"), "--work", str(tmp_path / "work"),
            "--postgres-url", "",
        ]
    )  # fmt: skip
    assert status == 0
    (json_file,) = (tmp_path / "results").glob("*.json")
    results = json.loads(json_file.read_text())
    env = results["environment"]
    for key in ("python", "sqlite", "sqlalchemy", "eventsourcing", "cpu", "date"):
        assert env[key], key
    (scenario,) = results["scenarios"]
    _check(scenario)
    markdown = json_file.with_suffix(".md").read_text()
    assert "| SQLite full read, decoded to typed events | 100 |" in markdown
    assert markdown == report.markdown(results)


def test_peer_event_classes_resolve_by_topic_in_a_fresh_process() -> None:
    """A peer database written by another process decodes: stored topics name classes made
    on first lookup."""
    from benchmarks import peer
    from eventsourcing.utils import get_topic

    made = peer.__getattr__("Peer_meeting_held")
    assert get_topic(made) == "benchmarks.peer:Peer_meeting_held"
    with pytest.raises(AttributeError):
        peer.__getattr__("Peer_no_such_event")


@pytest.mark.parametrize("native_hashing", [False, True], ids=["hashlib", "native"])
def test_hashing_floors_hash_exactly_as_the_ledger_does(
    tmp_path: Path, native_hashing: bool
) -> None:
    """The append scenario's hashing floors (hashlib's and the C module's) compute the
    digests, leaves, level-8 tiles and frontier the library computes for the same rows:
    they measure the same hashing, not a cheaper one."""
    import uuid

    import orjson
    from benchmarks import floor, workload

    from civicledger.merkle import native
    from civicledger.merkle.disclosure import digest_of_payload
    from civicledger.merkle.hashes import hash_algorithm
    from civicledger.merkle.tree import Frontier, merkle_root
    from civicledger.store.rows import StoredRow

    if native_hashing and not native.available():
        pytest.skip("the native hashing floor needs the C module (built by pip install -e .)")
    path = tmp_path / "hashing-floor.db"
    floor.create(path)
    connection = floor.connect(path, "NORMAL")
    events = workload.load().take(300)
    if native_hashing:
        inputs = floor.native_hashing_inputs(floor.hashing_inputs(events))
        floor.append_native_hashed(connection, inputs, 100)
    else:
        floor.append_hashed(connection, floor.hashing_inputs(events), 100)
    alg = hash_algorithm("sha256")
    rows = connection.execute(
        "SELECT position, stream, stream_version, event_id, type, schema_version, occurred_on, "
        "recorded_at, actor, payload, salt, payload_digest, leaf_hash FROM civicledger_events "
        "ORDER BY position"
    ).fetchall()
    assert len(rows) == 300
    for row in rows:
        stored = StoredRow(*row[:3], uuid.UUID(bytes=row[3]), *row[4:9], row[9].encode(), *row[10:])
        digest = digest_of_payload(alg, stored.salt, orjson.loads(stored.payload))
        assert digest == stored.payload_digest, stored.position
        envelope = stored.envelope("bench.floor", "sha256", 2)
        assert alg.leaf(envelope) == stored.leaf_hash, stored.position
    tiles = connection.execute("SELECT level, node_index, hash FROM civicledger_tiles").fetchall()
    assert tiles == [(8, 0, merkle_root(alg, [row[12] for row in rows[:256]]))]
    head, stored_frontier = connection.execute(
        "SELECT head, frontier FROM civicledger_ledgers"
    ).fetchone()
    assert head == 300
    frontier = Frontier(alg)
    frontier.extend(row[12] for row in rows)
    if native_hashing:  # the hashlib floor stores its bare subtree hashes
        assert stored_frontier == frontier.to_bytes()
    else:
        assert stored_frontier == b"".join(frontier.hashes)
    connection.close()
