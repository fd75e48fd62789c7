"""The store and audit contracts, and the tamper tests, on a PostgreSQL database whose events and
tiles are partitioned by ledger (``civicledger init --partition-by-ledger``).

The shared tests are imported here, so they run again with ``ledger_url`` (and
the contracts' ledgers) pointing at a partitioned database; the tests below
them are about partitioning itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from store_contract import EventStoreContract, MakeStore
from test_audit_contract import (  # noqa: F401 - collected here against the partitioned database
    AuditContract,
    MakeLedger,
    office,
    sql_ledger,
    test_a_changed_actor_is_named_at_its_position,
    test_a_changed_leaf_hash_is_named_and_proofs_refuse_it,
    test_a_changed_payload_is_named_at_its_position,
    test_a_deleted_row_is_named_as_missing,
    test_the_database_refuses_to_change_or_delete_a_seal,
)
from test_forged_redaction import (  # noqa: F401
    test_a_forged_remainder_is_named,
    test_a_payload_erased_without_a_redaction_event_is_named,
    test_a_restored_value_is_named,
    test_the_trigger_refuses_any_other_change,
)
from test_sql_store import (  # noqa: F401
    test_database_refuses_update_and_delete,
    test_events_survive_reopening,
    test_idempotency_survives_reopening,
    test_ledgers_in_one_database_number_independently,
)

from civicledger import EventStore, Ledger, ValidationError
from civicledger.cli import cli
from civicledger.store.sql import partition_by_ledger, provision
from store_testkit import count

pytestmark = pytest.mark.postgres

PARTITIONS = 4


@pytest.fixture(scope="module")
def partitioned_url(postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server, partitioned before its first ledger."""
    server = sa.engine.make_url(postgres_url)
    name = f"civicledger_test_partitioned_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        partition_by_ledger(url, PARTITIONS)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def ledger_url(partitioned_url: str) -> str:
    """The imported SQL tests' database: the partitioned one."""
    return partitioned_url


class TestPartitionedStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, partitioned_url: str) -> Iterator[MakeStore]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> EventStore:
            name = f"test-{uuid.uuid4().hex}"
            ledgers.append(Ledger.open(partitioned_url, ledger=name, **options))
            return ledgers[-1].store

        yield make
        for ledger in ledgers:
            ledger.close()


class TestPartitionedAudit(AuditContract):
    @pytest.fixture
    def make_ledger(self, partitioned_url: str) -> Iterator[MakeLedger]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> Ledger:
            name = f"test-{uuid.uuid4().hex}"
            ledgers.append(Ledger.open(partitioned_url, ledger=name, **options))
            return ledgers[-1]

        yield make
        for ledger in ledgers:
            ledger.close()


# -- partitioning itself ------------------------------------------------------------------


def _scalar(url: str, query: str, **params: Any) -> Any:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(query), params).scalar_one()
    finally:
        engine.dispose()


def test_events_and_tiles_are_partitioned_by_ledger(partitioned_url: str) -> None:
    """Both history tables are hash-partitioned on ledger_id, every key leading with it."""
    for table in ("civicledger_events", "civicledger_tiles"):
        key = _scalar(
            partitioned_url,
            "SELECT pg_get_partkeydef(to_regclass(:t))",
            t=table,
        )
        assert key == "HASH (ledger_id)"
        assert (
            _scalar(
                partitioned_url,
                "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass(:t)",
                t=table,
            )
            == PARTITIONS
        )


def test_a_ledger_lives_in_one_partition(partitioned_url: str, ledger_name: str) -> None:
    """All of a ledger's events land in one partition, and read back through the parent."""
    with Ledger.open(partitioned_url, ledger=ledger_name) as ledger:
        ledger.append("s", [count(i) for i in range(300)], actor="x")
        ledger_id = ledger.store.ledger_id  # type: ignore[attr-defined]
        assert ledger.verify().ok
    homes = _scalar(
        partitioned_url,
        "SELECT count(DISTINCT tableoid) FROM civicledger_events WHERE ledger_id = :id",
        id=ledger_id,
    )
    assert homes == 1


@pytest.mark.parametrize(
    "statement", ["UPDATE {p} SET actor = 'mallory'", "DELETE FROM {p}", "TRUNCATE {p}"]
)
def test_a_partition_written_directly_refuses_to_change(
    partitioned_url: str, ledger_name: str, statement: str
) -> None:
    """An insider writing to a partition itself, not the parent, meets the same triggers."""
    with Ledger.open(partitioned_url, ledger=ledger_name) as ledger:
        ledger.append("s", [count(1), count(2)], actor="x")
        ledger_id = ledger.store.ledger_id  # type: ignore[attr-defined]
        partition = _scalar(
            partitioned_url,
            "SELECT tableoid::regclass::text FROM civicledger_events WHERE ledger_id = :id LIMIT 1",
            id=ledger_id,
        )
        engine = sa.create_engine(partitioned_url)
        try:
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(statement.format(p=partition)))
        finally:
            engine.dispose()
        assert ledger.head() == 2
        assert ledger.verify().ok


def test_partitioning_an_existing_unpartitioned_database_is_refused(postgres_url: str) -> None:
    """The test run's shared database was made unpartitioned: asking for partitions names why."""
    with Ledger.open(postgres_url, ledger=f"test-{uuid.uuid4().hex}"):
        pass
    with pytest.raises(ValidationError, match="not partitioned") as raised:
        partition_by_ledger(postgres_url, 8)
    assert raised.value.field == "partitions"


def test_partitioning_again_changes_nothing(partitioned_url: str) -> None:
    partition_by_ledger(partitioned_url, PARTITIONS)
    assert (
        _scalar(
            partitioned_url,
            "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('civicledger_events')",
        )
        == PARTITIONS
    )


@pytest.mark.parametrize("partitions", [0, -1, 1025, True, "4"])
def test_a_bad_number_of_partitions_is_refused(partitioned_url: str, partitions: Any) -> None:
    with pytest.raises(ValidationError, match="partitions must be") as raised:
        partition_by_ledger(partitioned_url, partitions)
    assert raised.value.field == "partitions"


def test_sqlite_cannot_be_partitioned(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="needs PostgreSQL"):
        partition_by_ledger(f"sqlite:///{tmp_path / 'x.db'}", 4)


def test_cli_init_partitions_a_new_database(postgres_url: str) -> None:
    """`civicledger init --partition-by-ledger N` creates the partitions, then the ledger."""
    server = sa.engine.make_url(postgres_url)
    name = f"civicledger_test_cli_part_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        result = CliRunner().invoke(
            cli, ["--db", url, "--ledger", "street/a", "init", "--partition-by-ledger", "3"]
        )
        assert result.exit_code == 0, result.output
        assert "3 partitions" in result.output
        assert "ledger 'street/a' ready" in result.output
        assert (
            _scalar(
                url,
                "SELECT count(*) FROM pg_inherits "
                "WHERE inhparent = to_regclass('civicledger_tiles')",
            )
            == 3
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_provisioned_roles_on_a_partitioned_database(postgres_url: str) -> None:
    """Owner and application roles over partitioned tables: the application appends and reads
    through the parents, and cannot touch a partition directly."""
    server = sa.engine.make_url(postgres_url)
    suffix = uuid.uuid4().hex[:10]
    name, owner, app = f"civicledger_test_roles_part_{suffix}", f"owner_{suffix}", f"app_{suffix}"
    admin = sa.create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        connection.execute(sa.text(f"CREATE ROLE {owner}"))
        connection.execute(sa.text(f"CREATE ROLE {app} LOGIN"))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        access = provision(url, owner=owner, app=app, partitions=2)
        assert not access.could_alter_history
        as_app = server.set(database=name, username=app).render_as_string(hide_password=False)
        with Ledger.open(as_app, ledger="street/a") as ledger:
            ledger.append("s", [count(1)], actor="x")
            assert ledger.verify().ok
        engine = sa.create_engine(as_app)
        try:
            with pytest.raises(sa.exc.DBAPIError, match="permission denied"), engine.begin() as c:
                c.execute(sa.text("SELECT count(*) FROM civicledger_events_p0"))
        finally:
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (app, owner):
                connection.execute(sa.text(f"DROP OWNED BY {role}"))
                connection.execute(sa.text(f"DROP ROLE {role}"))
        admin.dispose()
