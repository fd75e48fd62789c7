"""One backend fixture for the contract suites: each contract runs on memory, SQLite and PostgreSQL.

A suite's class asks for ``make_ledger`` (or ``make_store``) and is collected once
per backend; a class that holds only SQL checks narrows ``backend`` to
``backend_testkit.SQL_BACKENDS`` by overriding the fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_testkit import BACKENDS, MakeLedger
from civicledger import EventStore, Ledger


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend a contract test runs on: memory, sqlite or postgresql."""
    name: str = request.param
    return name


@pytest.fixture
def make_ledger(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[MakeLedger]:
    """Opens fresh ledgers on the backend (options as for ``Ledger.open``); closes them after.

    SQLite gets a file per ledger, like a fresh installation; PostgreSQL ledgers share
    the run's database under names no other test uses.
    """
    ledgers: list[Ledger] = []
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None

    def make(**options: Any) -> Ledger:
        if backend == "memory":
            ledger = Ledger.in_memory(**options)
        elif backend == "sqlite":
            path = tmp_path / f"ledger-{len(ledgers)}.db"
            ledger = Ledger.open(f"sqlite:///{path}", **options)
        else:
            assert url is not None
            ledger = Ledger.open(url, ledger=f"test-{uuid.uuid4().hex}", **options)
        ledgers.append(ledger)
        return ledger

    yield make
    for ledger in ledgers:
        ledger.close()


@pytest.fixture
def make_store(make_ledger: MakeLedger) -> Callable[..., EventStore]:
    """Like ``make_ledger``, giving the ledger's store (the EventStore contract's subject)."""
    return lambda **options: make_ledger(**options).store


EXAMPLE_EVENTS = Path(__file__).resolve().parents[2] / "examples/community_2023/events.jsonl"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ledger]:
    """The example year imported into each SQL backend (PostgreSQL needs its env var), once
    per module: the pushdown suites compare many calls over the same ledger."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('example') / 'example.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with Ledger.open(url, f"example-{uuid.uuid4().hex}") as ledger:
        ledger.import_jsonl(EXAMPLE_EVENTS)
        yield ledger
