"""Least privilege on PostgreSQL (issue 21): the application role cannot rewrite history.

The module makes its own database and two roles with random names (an owner that
holds the schema, an application role that logs in), provisions them with
``civicledger.store.sql.provision`` and drops all of it at the end, so no grant
leaks into the shared test database. It runs when CIVICLEDGER_TEST_POSTGRES_URL
names a server as a superuser (``CREATE ROLE`` needs one) and skips otherwise.

As the application role, every way an insider could rewrite, delete or unprotect
recorded rows is tried with raw SQL and must be refused by the database; the
store, audit, corrections and checkpoint contracts then run unchanged as that role.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, exc, text
from sqlalchemy.engine import URL, make_url
from store_contract import EventStoreContract, MakeStore
from test_audit_contract import AuditContract, MakeLedger, office
from test_corrections_contract import CorrectionsContract
from test_projection_checkpoints import CheckpointContract

from civicledger import EventStore, Ledger, StoreError, ValidationError
from civicledger.audit import Signer, verify_proof
from civicledger.cli import cli
from civicledger.events import canonical_bytes
from civicledger.events.redaction import redact_stored
from civicledger.merkle import hash_algorithm
from civicledger.merkle.commitments import after_redaction
from civicledger.store.sql import provision
from civicledger.store.sql.guards import GUARDS_VERSION
from corrections_testkit import StepClock, record_redaction, visit
from store_testkit import note

pytestmark = pytest.mark.postgres
_ = office  # the audit contract's module fixture, used by its signing tests

HISTORY = (
    "civicledger_events",
    "civicledger_tiles",
    "civicledger_seals",
    "civicledger_cosignatures",
)


@attrs.frozen
class Setup:
    """The module's database and roles."""

    admin_url: URL  # the superuser, connected to the module's database
    owner: str
    app: str

    @property
    def app_url(self) -> str:
        return self.admin_url.set(username=self.app, password=None).render_as_string(
            hide_password=False
        )

    @property
    def admin(self) -> str:
        return self.admin_url.render_as_string(hide_password=False)


def drop(root: Engine, database: str, *roles: str) -> None:
    """Drop a test database and test roles (with anything they still own elsewhere)."""
    with root.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        for role in roles:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
    root.dispose()


@pytest.fixture(scope="module")
def setup(postgres_url: str) -> Iterator[Setup]:
    server = make_url(postgres_url).set(drivername="postgresql+psycopg")
    suffix = uuid.uuid4().hex[:12]
    database, owner, app = f"cl_roles_{suffix}", f"cl_owner_{suffix}", f"cl_app_{suffix}"
    root = create_engine(server, isolation_level="AUTOCOMMIT")
    with root.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} NOLOGIN"))
        conn.execute(text(f"CREATE ROLE {app} LOGIN"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    try:
        made = Setup(admin_url=server.set(database=database), owner=owner, app=app)
        provision(made.admin, owner=owner, app=app)
        yield made
    finally:
        drop(root, database, app, owner)


@pytest.fixture(scope="module")
def admin_engine(setup: Setup) -> Iterator[Engine]:
    engine = create_engine(setup.admin)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def app_engine(setup: Setup) -> Iterator[Engine]:
    engine = create_engine(setup.app_url)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(setup: Setup) -> Iterator[Ledger]:
    """A fresh ledger opened as the application role, with one event and one cosigned seal."""
    with Ledger.open(setup.app_url, ledger=f"test-{uuid.uuid4().hex}") as opened:
        opened.append("s", [note("a"), note("b")], actor="clerk")
        opened.cosign(opened.seal(), Signer.generate("street.example"))
        yield opened


def refused(engine: Engine, statement: str, match: str, **params: Any) -> None:
    with pytest.raises(exc.DBAPIError, match=match), engine.begin() as conn:
        conn.execute(text(statement), params)


# -- what the database refuses the application role -------------------------------------------


@pytest.mark.parametrize("table", HISTORY)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET ledger_id = ledger_id",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
        "DROP TRIGGER {table}_append_only ON {table}",
        "ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
        "ALTER TABLE {table} OWNER TO CURRENT_USER",
        "DROP TABLE {table}",
    ],
)
def test_the_app_role_cannot_change_history_tables(
    ledger: Ledger, app_engine: Engine, statement: str, table: str
) -> None:
    """Every rewrite, deletion and unprotection of recorded rows is refused for lack of rights."""
    refused(app_engine, statement.format(table=table), "permission denied|must be owner")
    assert ledger.verify().ok


def test_the_app_role_cannot_move_the_head_or_rewrite_the_ledger_row(
    ledger: Ledger, app_engine: Engine
) -> None:
    """The head row is out of reach except through the checked function, which refuses
    moving backwards, moving over nothing and moving over rows an earlier transaction planted."""
    ledger_id = ledger.store.ledger_id  # type: ignore[attr-defined]
    refused(app_engine, "UPDATE civicledger_ledgers SET head = 0", "permission denied")
    frontier = ledger.store.frontier()
    refused(
        app_engine,
        "SELECT civicledger_advance_head(:id, 1, :f)",
        "only moves forward",
        id=ledger_id,
        f=frontier.to_bytes(),
    )
    refused(
        app_engine,
        "SELECT civicledger_advance_head(:id, 3, :f)",
        "only over rows this transaction inserted",
        id=ledger_id,
        f=frontier.to_bytes(),
    )
    assert ledger.head() == 2
    assert ledger.verify().ok


def test_a_new_ledger_row_must_start_empty(setup: Setup, app_engine: Engine) -> None:
    """Creating a ledger is allowed, but only at head 0."""
    refused(
        app_engine,
        "INSERT INTO civicledger_ledgers (name, origin, hash_algorithm, created_at, head, "
        "frontier) VALUES ('x', 'example.org/x', 'sha256', 't', 5, '\\x00'::bytea)",
        "starts empty",
    )


def stored_row(engine: Engine, ledger: Ledger, event_id: uuid.UUID) -> tuple[dict[str, Any], bytes]:
    """The stored payload data and secret (the salt column) of an intact row."""
    with engine.connect() as conn:
        payload, secret = conn.execute(
            text(
                "SELECT payload, salt FROM civicledger_events "
                "WHERE ledger_id = :id AND event_id = :e"
            ),
            {"id": ledger.store.ledger_id, "e": event_id},  # type: ignore[attr-defined]
        ).one()
    return json.loads(payload), bytes(secret)


def redacted_form(data: dict[str, Any], removed: list[str]) -> str:
    """What the library stores after removing fields: canonical JSON, "$redacted" first."""
    rest = {k: v for k, v in data.items() if k not in removed}
    form = {"$redacted": sorted(removed), **rest}
    return json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def kept_after(ledger: Ledger, data: dict[str, Any], secret: bytes, remainder: str) -> str:
    """The commitments a leaf format v2 row keeps after the redaction to ``remainder``."""
    alg = hash_algorithm(ledger.hash_algorithm)
    return after_redaction(alg, data, secret, None, json.loads(remainder)).text()


ERASE = "SELECT civicledger_erase(:id, :event, :payload, :kept)"


def test_erasure_needs_a_recorded_redaction_event(ledger: Ledger, app_engine: Engine) -> None:
    """civicledger_erase refuses without a redaction event, beyond its fields, and any change
    to a remaining value; with one on record it erases exactly the named field."""
    (record,) = ledger.append("v", [visit()], actor="clerk")
    data, secret = stored_row(app_engine, ledger, record.event_id)
    remainder = redacted_form(data, ["visitor"])
    kept = kept_after(ledger, data, secret, remainder)
    args = {"id": ledger.store.ledger_id, "event": record.event_id, "kept": kept}  # type: ignore[attr-defined]
    refused(app_engine, ERASE, "no recorded event_redacted", payload=remainder, **args)
    refused(app_engine, ERASE, "as a whole", payload=None, **args)
    record_redaction(ledger, record, ("visitor",))
    refused(app_engine, ERASE, "as a whole", payload=None, **args)
    changed = remainder.replace("H-7", "H-9")
    refused(app_engine, ERASE, "value of field household changed", payload=changed, **args)
    too_much = redacted_form(data, ["note", "visitor"])
    refused(app_engine, ERASE, "names note", payload=too_much, **args)
    unlisted = remainder.replace(',"note":"独居老人"', "")
    refused(app_engine, ERASE, "note is removed but not listed", payload=unlisted, **args)
    with app_engine.begin() as conn:
        conn.execute(text(ERASE), {"payload": remainder, **args})
    restored = redacted_form({**data, "visitor": "王五"}, [])
    refused(app_engine, ERASE, "must stay listed", payload=restored, **args)
    assert ledger.verify().ok
    (read,) = ledger.read(stream="v")
    assert read.redacted_fields == ("visitor",)


def test_erasure_keeps_the_shape_of_the_commitments(ledger: Ledger, app_engine: Engine) -> None:
    """In a leaf format v2 ledger an erased field keeps its digest, remaining fields keep
    their salts, and a digest once kept never changes."""
    (record,) = ledger.append("v", [visit()], actor="clerk")
    data, secret = stored_row(app_engine, ledger, record.event_id)
    record_redaction(ledger, record, ("visitor",))
    record_redaction(ledger, record, ("note",))
    remainder = redacted_form(data, ["visitor"])
    kept = json.loads(kept_after(ledger, data, secret, remainder))
    args = {"id": ledger.store.ledger_id, "event": record.event_id, "payload": remainder}  # type: ignore[attr-defined]
    without_digest = {"digests": {}, "salts": {**kept["salts"], "visitor": "00" * 16}}
    refused(app_engine, ERASE, "visitor goes without keeping its digest",
            kept=json.dumps(without_digest), **args)  # fmt: skip
    no_salt = {"digests": kept["digests"], "salts": {}}
    refused(app_engine, ERASE, "left without its salt", kept=json.dumps(no_salt), **args)
    refused(app_engine, ERASE, "must hold digests and salts", kept=None, **args)
    with app_engine.begin() as conn:
        conn.execute(text(ERASE), {"kept": json.dumps(kept, separators=(",", ":")), **args})
    second = redacted_form({k: v for k, v in data.items() if k != "visitor"}, ["note", "visitor"])
    moved = {
        "digests": {"note": "11" * 32},
        "salts": {k: v for k, v in kept["salts"].items() if k != "note"},
    }
    refused(app_engine, ERASE, "kept digest or salt would change or go",
            payload=second, kept=json.dumps(moved), id=args["id"], event=args["event"])  # fmt: skip
    ledger.redact(record.event_id, fields=["note"], reason="erasure", actor="dpo")
    assert ledger.verify().ok


_VALUES = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    # PostgreSQL text holds no NUL character, so no stored payload has one.
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8),
    st.booleans(),
    st.none(),
)


def _other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return 0


@settings(max_examples=60, deadline=None)
@given(
    payload=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True), _VALUES, min_size=1
    ),
    data=st.data(),
)
def test_the_database_accepts_exactly_what_the_library_erases(
    admin_engine: Engine, payload: dict[str, Any], data: st.DataObject
) -> None:
    """For any payload and any fields removed, the database reads the library's remainder as
    the erasure of exactly those fields; one changed remaining value makes it refuse."""
    keys = sorted(payload)
    removed = data.draw(st.lists(st.sampled_from(keys), min_size=1, unique=True))
    before = canonical_bytes(payload).decode()
    remaining = redact_stored(payload, removed)
    after = None if remaining is None else canonical_bytes(remaining).decode()
    names = text("SELECT civicledger_erased_names(CAST(:old AS jsonb), CAST(:new AS jsonb))")
    with admin_engine.connect() as conn:
        found = conn.execute(names, {"old": before, "new": after}).scalar_one()
    assert (None if found is None else sorted(found)) == (
        None if remaining is None else sorted(removed)
    )
    left = [k for k in keys if k not in removed]
    if remaining is not None and left:
        victim = data.draw(st.sampled_from(left))
        forged = canonical_bytes({**remaining, victim: _other(payload[victim])}).decode()
        refused(admin_engine, names.text, "erasure refused", old=before, new=forged)


def test_a_planted_redaction_event_above_the_head_does_not_count(
    ledger: Ledger, app_engine: Engine
) -> None:
    """A redaction row inserted past the head (not recorded) authorises nothing."""
    (record,) = ledger.append("v", [visit()], actor="clerk")
    data, secret = stored_row(app_engine, ledger, record.event_id)
    ledger_id = ledger.store.ledger_id  # type: ignore[attr-defined]
    body = f'{{"fields":["visitor"],"reason":"x","target_event_id":"{record.event_id}"}}'
    with app_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO civicledger_events SELECT ledger_id, position + 100, 'p', 1, "
                "gen_random_uuid(), 'event_redacted', 1, occurred_on, recorded_at, actor, "
                ":body, salt, NULL, payload_digest, leaf_hash FROM civicledger_events "
                "WHERE ledger_id = :id AND event_id = :e"
            ),
            {"id": ledger_id, "body": body, "e": record.event_id},
        )
    remainder = redacted_form(data, ["visitor"])
    refused(
        app_engine,
        ERASE,
        "no recorded event_redacted",
        id=ledger_id,
        event=record.event_id,
        payload=remainder,
        kept=kept_after(ledger, data, secret, remainder),
    )


def test_the_app_role_cannot_become_the_owner_or_replace_a_guard(
    setup: Setup, app_engine: Engine
) -> None:
    """No SET ROLE to the owner, and no replacing the guard functions with permissive ones."""
    refused(app_engine, f"SET ROLE {setup.owner}", "permission denied")
    refused(
        app_engine,
        "CREATE OR REPLACE FUNCTION civicledger_erase(p_ledger integer, p_event uuid, "
        "p_payload text) RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$",
        "must be owner|permission denied",
    )


def test_guard_functions_pin_their_search_path_and_are_not_public(setup: Setup) -> None:
    """Each SECURITY DEFINER function belongs to the owner, pins search_path, and PUBLIC may
    not execute it."""
    engine = create_engine(setup.admin)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT proname, pg_get_userbyid(proowner), proconfig, "
                "has_function_privilege('public', oid, 'EXECUTE') FROM pg_proc "
                "WHERE prosecdef AND proname LIKE 'civicledger%' ORDER BY proname"
            )
        ).all()
    engine.dispose()
    assert [r[0] for r in rows] == [
        "civicledger_advance_head",
        "civicledger_erase",
        "civicledger_lock_ledger",
    ]
    for name, owner, config, public in rows:
        assert owner == setup.owner
        # The erasure fires the row trigger, which names the ledgers table unqualified.
        path = (
            "pg_catalog, public, pg_temp" if name == "civicledger_erase" else "pg_catalog, pg_temp"
        )
        assert config == [f"search_path={path}"]
        assert not public


def test_the_app_role_has_exactly_the_documented_grants(setup: Setup) -> None:
    """SELECT and INSERT on the history tables; nothing that changes or references them."""
    engine = create_engine(setup.admin)
    with engine.connect() as conn:
        for table in (*HISTORY, "civicledger_ledgers"):
            granted = {
                p: conn.execute(
                    text("SELECT has_table_privilege(:r, :t, :p)"),
                    {"r": setup.app, "t": table, "p": p},
                ).scalar_one()
                for p in (
                    "SELECT",
                    "INSERT",
                    "UPDATE",
                    "DELETE",
                    "TRUNCATE",
                    "REFERENCES",
                    "TRIGGER",
                )
            }
            assert granted == {
                "SELECT": True,
                "INSERT": True,
                "UPDATE": False,
                "DELETE": False,
                "TRUNCATE": False,
                "REFERENCES": False,
                "TRIGGER": False,
            }, table
            owner = conn.execute(
                text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": table},
            ).scalar_one()
            assert owner == setup.owner
    engine.dispose()


# -- what the application role can do -------------------------------------------------------


def test_append_read_seal_cosign_prove_redact_and_verify_as_the_app_role(setup: Setup) -> None:
    """The everyday work runs unchanged as the application role."""
    with Ledger.open(setup.app_url, ledger=f"test-{uuid.uuid4().hex}") as ledger:
        records = ledger.append("v", [visit(), visit("赵六"), visit("钱七")], actor="clerk")
        seal = ledger.seal()
        proof = ledger.prove(records[0].event_id, seal)
        assert verify_proof(proof).position == 1
        ledger.cosign(seal, Signer.generate("street.example"))
        ledger.correct(records[1].event_id, visit("赵六", note="改"), reason="typo", actor="a")
        ledger.redact(records[0].event_id, fields=["visitor"], reason="erasure", actor="dpo")
        ledger.redact(records[1].event_id, fields=["visitor"], reason="erasure", actor="dpo")
        ledger.redact(records[2].event_id, reason="erasure", actor="dpo")
        assert all(r.redacted_fields for r in ledger.read(stream="v"))
        assert ledger.verify().ok
        ledger.seal()
        access = ledger.access()
        assert access is not None
        assert (access.role, access.owner, access.could_alter_history) == (
            setup.app,
            setup.owner,
            False,
        )


def test_provisioning_again_changes_nothing(setup: Setup) -> None:
    """Re-running provision leaves owners, privileges and function definitions as they were."""
    engine = create_engine(setup.admin)
    snapshot = text(
        "SELECT relname, pg_get_userbyid(relowner), relacl::text FROM pg_class "
        "WHERE relname LIKE 'civicledger%' UNION ALL SELECT p.oid::regprocedure::text, "
        "pg_get_userbyid(proowner), proacl::text || md5(prosrc) FROM pg_proc AS p "
        "WHERE proname LIKE 'civicledger%' ORDER BY 1"
    )
    with engine.connect() as conn:
        before = conn.execute(snapshot).all()
    provision(setup.admin, owner=setup.owner, app=setup.app)
    with engine.connect() as conn:
        assert conn.execute(snapshot).all() == before
    engine.dispose()


def test_a_missing_grant_fails_the_open_in_one_line_naming_it(setup: Setup) -> None:
    """Opening as a role without a needed grant names the grant; provisioning restores it."""
    engine = create_engine(setup.admin)
    with engine.begin() as conn:
        conn.execute(text(f"REVOKE INSERT ON civicledger_tiles FROM {setup.app}"))
    try:
        with pytest.raises(StoreError, match="lacks INSERT on civicledger_tiles") as raised:
            Ledger.open(setup.app_url, ledger="x")
        assert "\n" not in str(raised.value)
        result = CliRunner().invoke(cli, ["--db", setup.app_url, "--ledger", "x", "info"])
        assert result.exit_code == 2
        assert result.output.count("\n") == 1
        assert "lacks INSERT on civicledger_tiles" in result.output
    finally:
        provision(setup.admin, owner=setup.owner, app=setup.app)
        engine.dispose()
    Ledger.open(setup.app_url, ledger="x").close()


def test_outdated_guard_functions_are_named_for_the_app_role_and_replaced_by_the_owner(
    setup: Setup,
) -> None:
    """A database whose guard functions predate this civicledger: the app role is told to have
    the owner provision it; provisioning (or the owner opening it) installs them."""
    engine = create_engine(setup.admin)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM civicledger_meta WHERE key = 'guards_version'"))
    try:
        with pytest.raises(StoreError, match="functions are missing or older") as raised:
            Ledger.open(setup.app_url, ledger="x")
        assert f"--app-role {setup.app}" in str(raised.value)
        Ledger.open(setup.admin, ledger="x").close()  # the superuser acts as the owner
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT value FROM civicledger_meta WHERE key = 'guards_version'")
            ).scalar_one()
        assert stored == str(GUARDS_VERSION)
        Ledger.open(setup.app_url, ledger="x").close()
    finally:
        provision(setup.admin, owner=setup.owner, app=setup.app)
        engine.dispose()


def test_a_schema_upgrade_is_left_to_the_owner(setup: Setup) -> None:
    """An older schema version is not upgraded by the app role (it could not ALTER anyway):
    it is told who should; provisioning upgrades it."""
    engine = create_engine(setup.admin)
    version = text("SELECT value FROM civicledger_meta WHERE key = 'schema_version'")
    with engine.begin() as conn:
        current = conn.execute(version).scalar_one()
        conn.execute(text("UPDATE civicledger_meta SET value = '1' WHERE key = 'schema_version'"))
    try:
        with pytest.raises(StoreError, match=r"schema version 1 and role .* does not own"):
            Ledger.open(setup.app_url, ledger="x")
    finally:
        provision(setup.admin, owner=setup.owner, app=setup.app)
    with engine.connect() as conn:
        assert conn.execute(version).scalar_one() == current
    engine.dispose()
    Ledger.open(setup.app_url, ledger="x").close()


def test_info_and_verify_say_which_role_runs_and_warn_an_owner(setup: Setup) -> None:
    """As the app role they say it cannot alter history; as a superuser verify warns."""
    name = f"test-{uuid.uuid4().hex}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", setup.app_url, "--ledger", name, "init"]).exit_code == 0
    info = runner.invoke(cli, ["--db", setup.app_url, "--ledger", name, "info"])
    assert f"role            {setup.app} (tables owned by {setup.owner})" in info.output
    assert "alters history  no" in info.output
    verify = runner.invoke(cli, ["--db", setup.app_url, "--ledger", name, "verify"])
    assert verify.exit_code == 0, verify.output
    assert f"role {setup.app} cannot alter history" in verify.output
    verify = runner.invoke(cli, ["--db", setup.admin, "--ledger", name, "verify"])
    assert verify.exit_code == 0, verify.output
    assert "civicledger: warning: role postgres could alter history: it is a superuser" in (
        verify.output
    )
    info = runner.invoke(cli, ["--db", setup.admin, "--ledger", name, "info"])
    assert "alters history  YES: it is a superuser" in info.output


def test_init_with_roles_provisions_and_creates_the_ledger(setup: Setup) -> None:
    """`civicledger init --owner-role --app-role` provisions, then makes the ledger."""
    name = f"test-{uuid.uuid4().hex}"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            setup.admin,
            "--ledger",
            name,
            "init",
            "--owner-role",
            setup.owner,
            "--app-role",
            setup.app,
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(f"provisioned: role {setup.app} cannot")
    assert f"ledger '{name}' ready" in result.output
    half = CliRunner().invoke(cli, ["--db", setup.admin, "init", "--owner-role", setup.owner])
    assert half.exit_code == 2
    assert "--owner-role and --app-role go together" in half.output


@pytest.mark.parametrize(
    ("owner", "app", "message"),
    [
        ("{owner}", "{owner}", "must differ"),
        ("{owner}", "nobody_{suffix}", "app role 'nobody_"),
        ("nobody_{suffix}", "{app}", "owner role 'nobody_"),
        ("{owner}", "postgres", "is a superuser"),
    ],
)
def test_provision_refuses_unsafe_or_unknown_roles(
    setup: Setup, owner: str, app: str, message: str
) -> None:
    """Missing roles, one role for both, and a superuser app role are refused, naming them."""
    values = {"owner": setup.owner, "app": setup.app, "suffix": uuid.uuid4().hex[:8]}
    with pytest.raises(ValidationError, match=message):
        provision(setup.admin, owner=owner.format(**values), app=app.format(**values))


def test_provision_refuses_an_app_role_that_is_a_member_of_the_owner(setup: Setup) -> None:
    """A member of the owner role could SET ROLE to it, so it cannot be the app role."""
    member = f"cl_member_{uuid.uuid4().hex[:12]}"
    engine = create_engine(setup.admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {member} IN ROLE {setup.owner}"))
    try:
        with pytest.raises(ValidationError, match="is a member of owner role"):
            provision(setup.admin, owner=setup.owner, app=member)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP ROLE {member}"))
        engine.dispose()


def test_provision_needs_postgresql(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="needs PostgreSQL"):
        provision(f"sqlite:///{tmp_path / 'x.db'}", owner="a", app="b")


def test_a_single_role_database_becomes_a_two_role_one(setup: Setup) -> None:
    """A database the application role set up alone (owning the tables) is taken over by the
    owner: afterwards the same role appends but can no longer drop a trigger."""
    suffix = uuid.uuid4().hex[:12]
    database, single = f"cl_single_{suffix}", f"cl_single_{suffix}"
    root = create_engine(setup.admin_url, isolation_level="AUTOCOMMIT")
    with root.connect() as conn:
        conn.execute(text(f"CREATE ROLE {single} LOGIN"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin = setup.admin_url.set(database=database)
    # The single-role way: the application may create in the schema, and so owns the tables.
    with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"GRANT CREATE ON SCHEMA public TO {single}"))
    own_url = admin.set(username=single).render_as_string(hide_password=False)
    try:
        with Ledger.open(own_url, ledger="old") as ledger:
            ledger.append("s", [note("before")], actor="clerk")
            ledger.seal()
            access = ledger.access()
            assert access is not None
            assert access.could_alter_history
        provision(admin.render_as_string(hide_password=False), owner=setup.owner, app=single)
        with Ledger.open(own_url, ledger="old") as ledger:
            ledger.append("s", [note("after")], actor="clerk")
            assert ledger.verify().ok
            access = ledger.access()
            assert access is not None
            assert not access.could_alter_history
        engine = create_engine(own_url)
        refused(
            engine,
            "DROP TRIGGER civicledger_events_append_only ON civicledger_events",
            "must be owner",
        )
        engine.dispose()
    finally:
        drop(root, database, single)


# -- the contracts, unchanged, as the application role --------------------------------------


class TestAppRoleStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, setup: Setup) -> Iterator[MakeStore]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> EventStore:
            name = f"test-{uuid.uuid4().hex}"
            ledgers.append(Ledger.open(setup.app_url, ledger=name, **options))
            return ledgers[-1].store

        yield make
        for opened in ledgers:
            opened.close()


class _AppRoleLedgers:
    @pytest.fixture
    def make_ledger(self, setup: Setup) -> Iterator[MakeLedger]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> Ledger:
            options.setdefault("clock", StepClock())
            name = f"test-{uuid.uuid4().hex}"
            ledgers.append(Ledger.open(setup.app_url, ledger=name, **options))
            return ledgers[-1]

        yield make
        for opened in ledgers:
            opened.close()


class TestAppRoleAudit(_AppRoleLedgers, AuditContract):
    pass


class TestAppRoleCorrections(_AppRoleLedgers, CorrectionsContract):
    pass


class TestAppRoleCheckpoints(CheckpointContract):
    @pytest.fixture
    def ledger(self, setup: Setup) -> Iterator[Ledger]:
        with Ledger.open(setup.app_url, ledger=f"test-{uuid.uuid4().hex}") as opened:
            yield opened
