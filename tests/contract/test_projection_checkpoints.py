"""The checkpoint contract on memory, SQLite and PostgreSQL, with the runner over a real ledger."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from civicledger import ConcurrencyError, Ledger, ProjectionError, RecordedEvent, StoreError
from civicledger.projections import Fold, Runner
from civicledger.store.parts import ProjectionPositions
from store_testkit import count


def total(state: dict[str, int], record: RecordedEvent) -> dict[str, int]:
    """Sum the counts recorded."""
    return {"total": state["total"] + getattr(record.payload, "count", 0)}


TOTAL = Fold(name="test.total", initial_state=lambda: {"total": 0}, step=total)


def refused_then_rebuilt(ledger: Ledger, column: str, value: str, refused: str) -> None:
    """Change the one stored projection position with raw SQL: catch_up refuses it with
    ``refused`` and says to rebuild; a rebuild then replaces it from the events."""
    ledger.append("s", [count(4), count(5)], actor="t")
    runner = Runner(TOTAL, ledger.store)
    runner.catch_up(ledger.projection_positions)
    with ledger.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            text(
                f"UPDATE civicledger_projection_checkpoints SET {column} = {value} "
                "WHERE ledger = :ledger AND name = :name"
            ),
            {"ledger": ledger.name, "name": TOTAL.name},
        )
    with pytest.raises((StoreError, ProjectionError), match=refused) as caught:
        runner.catch_up(ledger.projection_positions)
    assert "rebuild" in str(caught.value)
    runner.rebuild(ledger.projection_positions)
    assert runner.catch_up(ledger.projection_positions).state == {"total": 9}


class CheckpointContract:
    """Behaviour every checkpoint store must have. Subclasses provide `ledger`."""

    def test_a_projection_that_never_ran_has_no_checkpoint(self, ledger: Ledger) -> None:
        """load() of an unknown name is None."""
        assert ledger.projection_positions.load("nothing") is None

    def test_save_then_load_returns_state_and_position(self, ledger: Ledger) -> None:
        """A saved checkpoint reads back with its JSON state."""
        checkpoints: ProjectionPositions = ledger.projection_positions
        checkpoints.save("p", None, 3, {"a": [1, "二"], "b": None})
        assert checkpoints.load("p") == (3, {"a": [1, "二"], "b": None})

    def test_save_with_a_stale_expected_position_is_refused(self, ledger: Ledger) -> None:
        """Compare-and-set: another runner's move makes a stale save fail and change nothing."""
        checkpoints = ledger.projection_positions
        checkpoints.save("p", None, 2, {"n": 2})
        checkpoints.save("p", 2, 5, {"n": 5})
        with pytest.raises(ConcurrencyError, match="another runner"):
            checkpoints.save("p", 2, 6, {"n": 6})
        with pytest.raises(ConcurrencyError):
            checkpoints.save("p", None, 1, {"n": 1})
        assert checkpoints.load("p") == (5, {"n": 5})

    def test_a_checkpoint_never_moves_backwards(self, ledger: Ledger) -> None:
        """A save below the stored position is refused."""
        checkpoints = ledger.projection_positions
        checkpoints.save("p", None, 4, {})
        with pytest.raises(ConcurrencyError, match="backwards"):
            checkpoints.save("p", 4, 3, {})
        assert checkpoints.load("p") == (4, {})

    def test_replace_and_delete(self, ledger: Ledger) -> None:
        """replace() swaps in any checkpoint; delete() forgets it."""
        checkpoints = ledger.projection_positions
        checkpoints.save("p", None, 4, {"old": True})
        checkpoints.replace("p", 2, {"new": True})
        assert checkpoints.load("p") == (2, {"new": True})
        checkpoints.delete("p")
        assert checkpoints.load("p") is None

    def test_checkpoints_are_kept_per_projection_name(self, ledger: Ledger) -> None:
        """Two projections do not share a checkpoint."""
        checkpoints = ledger.projection_positions
        checkpoints.save("a", None, 1, 1)
        checkpoints.save("b", None, 2, 2)
        assert (checkpoints.load("a"), checkpoints.load("b")) == ((1, 1), (2, 2))

    def test_runner_catches_up_in_batches_and_resumes(self, ledger: Ledger) -> None:
        """catch_up folds new events only, from the stored position, and equals a full run."""
        ledger.append("s", [count(n) for n in range(1, 8)], actor="t")
        runner = Runner(TOTAL, ledger.store)
        first = runner.catch_up(ledger.projection_positions, batch_size=3, to_position=5)
        assert (first.position, first.state) == (5, {"total": 15})
        ledger.append("s", [count(100)], actor="t")
        second = runner.catch_up(ledger.projection_positions, batch_size=2)
        assert (second.position, second.state) == (8, {"total": 128})
        assert runner.run() == ({"total": 128}, 8)
        assert runner.state(ledger.projection_positions) == {"total": 128}

    def test_rebuild_replaces_a_corrupt_state(self, ledger: Ledger) -> None:
        """rebuild() replays from scratch and swaps the result in."""
        ledger.append("s", [count(2), count(3)], actor="t")
        ledger.projection_positions.save(TOTAL.name, None, 2, {"total": 999})
        rebuilt = Runner(TOTAL, ledger.store).rebuild(ledger.projection_positions)
        assert rebuilt.state == {"total": 5}
        assert ledger.projection_positions.load(TOTAL.name) == (2, {"total": 5})


class TestMemoryCheckpoints(CheckpointContract):
    @pytest.fixture
    def ledger(self) -> Iterator[Ledger]:
        with Ledger.in_memory() as ledger:
            yield ledger


class TestSqliteCheckpoints(CheckpointContract):
    @pytest.fixture
    def ledger(self, tmp_path: Path) -> Iterator[Ledger]:
        with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
            yield ledger

    def test_read_model_and_checkpoint_commit_or_roll_back_together(self, ledger: Ledger) -> None:
        """advance() on the caller's transaction: a conflict rolls back the read model row too."""
        engine = ledger.store.engine  # type: ignore[attr-defined]
        metadata = MetaData()
        model = Table("my_totals", metadata, Column("name", String(20)), Column("n", Integer))
        metadata.create_all(engine)
        checkpoints = ledger.projection_positions
        with engine.begin() as conn:
            conn.execute(insert(model).values(name="x", n=1))
            checkpoints.advance(conn, "embedded", None, 1)  # type: ignore[attr-defined]

        def write_with_a_stale_checkpoint() -> None:
            with engine.begin() as conn:
                conn.execute(insert(model).values(name="y", n=2))
                checkpoints.advance(conn, "embedded", 0, 2)  # type: ignore[attr-defined]

        with pytest.raises(ConcurrencyError):
            write_with_a_stale_checkpoint()
        with engine.connect() as conn:
            assert [r.name for r in conn.execute(select(model))] == ["x"]
        assert checkpoints.load("embedded") == (1, None)

    def test_checkpoints_survive_reopening_the_database(self, tmp_path: Path) -> None:
        """A checkpoint written before closing the ledger is there after reopening it."""
        url = f"sqlite:///{tmp_path / 'again.db'}"
        with Ledger.open(url) as ledger:
            ledger.append("s", [count(4)], actor="t")
            Runner(TOTAL, ledger.store).catch_up(ledger.projection_positions)
        with Ledger.open(url) as ledger:
            assert ledger.projection_positions.load(TOTAL.name) == (1, {"total": 4})

    @pytest.mark.parametrize(
        ("column", "value", "refused"),
        [
            ("position", "'x'", "the stored position 'x' is not a position"),
            ("position", "-1", "the stored position -1 is not a position"),
            ("position", "1.5", "the stored position 1.5 is not a position"),
            ("position", "CAST(x'ff' AS TEXT)", r"the stored position b'\\xff' is not"),
            ("position", "9", "stored at position 9, past the ledger's head 2"),
            ("state", "'not json'", "the stored state is not JSON"),
            ("state", "CAST(x'ff' AS TEXT)", "the stored state is not JSON"),
        ],
    )
    def test_a_position_changed_around_the_store_is_refused_and_rebuilt(
        self, ledger: Ledger, column: str, value: str, refused: str
    ) -> None:
        """A position or state no save writes (an UPDATE with raw SQL): catching up says
        what is wrong and to rebuild, and a rebuild replaces it from the events."""
        refused_then_rebuilt(ledger, column, value, refused)


@pytest.mark.postgres
class TestPostgresCheckpoints(CheckpointContract):
    @pytest.fixture
    def ledger(self, postgres_url: str) -> Iterator[Ledger]:
        with Ledger.open(postgres_url, ledger=f"test-{uuid.uuid4().hex}") as ledger:
            yield ledger

    @pytest.mark.parametrize(
        ("column", "value", "refused"),
        [
            ("position", "-1", "the stored position -1 is not a position"),
            ("position", "9", "stored at position 9, past the ledger's head 2"),
            ("state", "'not json'", "the stored state is not JSON"),
        ],
    )
    def test_a_position_changed_around_the_store_is_refused_and_rebuilt(
        self, ledger: Ledger, column: str, value: str, refused: str
    ) -> None:
        """PostgreSQL keeps the column types; values of those types no save writes are
        refused as on SQLite."""
        refused_then_rebuilt(ledger, column, value, refused)


def test_follow_keeps_the_checkpoint_current_as_events_arrive(tmp_path: Path) -> None:
    """follow() catches up, applies events appended meanwhile, and saves them when it stops."""
    with Ledger.open(f"sqlite:///{tmp_path / 'follow.db'}") as ledger:
        ledger.append("s", [count(1), count(2)], actor="t")
        stop = threading.Event()
        runner = Runner(TOTAL, ledger.store)
        results: list[object] = []
        worker = threading.Thread(
            target=lambda: results.append(
                runner.follow(ledger.projection_positions, stop=stop, poll_interval=0.05)
            )
        )
        worker.start()
        ledger.append("s", [count(10)], actor="t")
        deadline = time.monotonic() + 10
        while ledger.projection_positions.load(TOTAL.name) != (3, {"total": 13}):
            assert time.monotonic() < deadline, "follow() did not pick up the new event"
            time.sleep(0.02)
        stop.set()
        worker.join(timeout=10)
        assert ledger.projection_positions.load(TOTAL.name) == (3, {"total": 13})
