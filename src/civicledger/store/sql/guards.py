"""PostgreSQL functions through which a ledger's head and its erasures change.

An application role that may only ``SELECT`` and ``INSERT`` (see
:mod:`.provision`) still has to lock a ledger's row, move its head and erase
redacted values. It does each through a ``SECURITY DEFINER`` function owned by
the schema owner, which checks its own preconditions, so the role can do
exactly that and nothing more:

- ``civicledger_lock_ledger(ledger)`` locks the ledger's row and returns its head
  and frontier (``SELECT … FOR UPDATE`` needs ``UPDATE`` privilege otherwise);
- ``civicledger_advance_head(ledger, head, frontier)`` moves the head forward,
  only over rows the calling transaction inserted, with a frontier of that size;
- ``civicledger_erase(ledger, event_id, payload, commitments)`` erases values a
  recorded redaction event names (its checks live in :mod:`.erasure`).

Every function pins ``search_path`` (to ``pg_catalog, pg_temp``; the erasure
also to the tables' schema, in which the application role may not create) and
names tables with their schema, so no object another role creates can stand in
for one of ours. The store calls these functions whichever role it runs as, so a
single-role database and a provisioned one take the same path.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, text, update

from civicledger.errors import StoreError
from civicledger.store.sql.erasure import erasure_ddl
from civicledger.store.sql.schema import events, ledgers, meta

GUARDS_VERSION = 1
"""Version of these functions, kept in ``civicledger_meta``; older ones are replaced on open."""

GUARDS_VERSION_KEY = "guards_version"
"""Key of the guard functions' version in ``civicledger_meta``."""

PINNED = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
"""The clause every guard function carries: run as its owner, see no one else's objects."""

LOCK_FUNCTION = "civicledger_lock_ledger"
ADVANCE_FUNCTION = "civicledger_advance_head"
ERASE_FUNCTION = "civicledger_erase"

APP_FUNCTIONS: tuple[str, ...] = (
    f"{LOCK_FUNCTION}(integer)",
    f"{ADVANCE_FUNCTION}(integer, bigint, bytea)",
    f"{ERASE_FUNCTION}(integer, uuid, text, text)",
)
"""The functions an application role executes (signatures as ``GRANT`` takes them)."""


def current_schema(connection: Connection) -> str:
    """The schema unqualified names resolve to, where the store's tables live."""
    return str(connection.execute(text("SELECT current_schema()")).scalar_one())


def quoted(connection: Connection, name: str) -> str:
    """A name quoted as an SQL identifier for this connection's dialect."""
    return str(connection.dialect.identifier_preparer.quote_identifier(name))


def table_owner(connection: Connection) -> str | None:
    """The owner of the events table, or None when there is no such table."""
    found = connection.execute(
        text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(:t)"),
        {"t": events.name},
    ).scalar_one_or_none()
    return None if found is None else str(found)


def acts_as_owner(connection: Connection, role: str) -> bool:
    """Whether ``role`` has the table owner's privileges (superusers always have)."""
    owner = table_owner(connection)
    if owner is None:
        return True
    return bool(
        connection.execute(
            text("SELECT pg_has_role(:role, :owner, 'USAGE')"), {"role": role, "owner": owner}
        ).scalar_one()
    )


def guard_ddl(schema: str) -> list[str]:
    """The statements that create (or replace) the guard functions and the new-ledger trigger.

    Args:
        schema: the quoted schema holding civicledger's tables.

    Returns:
        DDL statements, safe to run again; EXECUTE on each function is revoked
        from PUBLIC (grant it to the application role, see :mod:`.provision`).
    """
    led = f"{schema}.{ledgers.name}"
    ev = f"{schema}.{events.name}"
    size = f"{schema}.civicledger_frontier_size"
    statements = [
        # The tree size recorded in a frontier (Frontier.to_bytes: version, name length,
        # name, then the size as 8 bytes big-endian). Pure, so everyone may run it: the
        # new-ledger trigger calls it as the inserting role.
        f"CREATE OR REPLACE FUNCTION {size}(frontier bytea) RETURNS bigint "
        "LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$ "
        "SELECT ('x' || encode(substring(frontier FROM 3 + get_byte(frontier, 1) FOR 8), "
        "'hex'))::bit(64)::bigint $$",
        f"CREATE OR REPLACE FUNCTION {schema}.civicledger_new_ledger_is_empty() RETURNS trigger "
        "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$ BEGIN "
        f"IF NEW.head <> 0 OR {size}(NEW.frontier) <> 0 THEN RAISE EXCEPTION "
        "'civicledger: a new ledger starts empty (head 0), not at %', NEW.head; END IF; "
        "RETURN NEW; END $$",
        f"CREATE OR REPLACE TRIGGER {ledgers.name}_start_empty BEFORE INSERT ON {led} "
        f"FOR EACH ROW EXECUTE FUNCTION {schema}.civicledger_new_ledger_is_empty()",
        f"CREATE OR REPLACE FUNCTION {schema}.{LOCK_FUNCTION}(p_ledger integer) "
        f"RETURNS TABLE (head bigint, frontier bytea) LANGUAGE sql {PINNED} AS $$ "
        f"SELECT l.head, l.frontier FROM {led} AS l WHERE l.id = p_ledger FOR UPDATE $$",
        _advance_head(schema, led, ev, size),
        *erasure_ddl(schema),
    ]
    functions = (
        f"{LOCK_FUNCTION}(integer)",
        f"{ADVANCE_FUNCTION}(integer, bigint, bytea)",
        "civicledger_new_ledger_is_empty()",
    )
    statements += [f"REVOKE ALL ON FUNCTION {schema}.{f} FROM PUBLIC" for f in functions]
    statements.append(f"GRANT EXECUTE ON FUNCTION {size}(bytea) TO PUBLIC")
    return statements


def _advance_head(schema: str, led: str, ev: str, size: str) -> str:
    # xmin is the id of the transaction that inserted a row: only rows this transaction
    # wrote may be brought under the head, and all of them must be there.
    return (
        f"CREATE OR REPLACE FUNCTION {schema}.{ADVANCE_FUNCTION}"
        "(p_ledger integer, p_head bigint, p_frontier bytea) "
        f"RETURNS void LANGUAGE plpgsql {PINNED} AS $$ "
        "DECLARE old_head bigint; added bigint; BEGIN "
        f"SELECT l.head INTO old_head FROM {led} AS l WHERE l.id = p_ledger FOR UPDATE; "
        "IF NOT FOUND THEN RAISE EXCEPTION 'civicledger: no ledger has id %', p_ledger; END IF; "
        "IF p_head IS NULL OR p_head <= old_head THEN RAISE EXCEPTION "
        "'civicledger: the head of ledger % only moves forward (it is %, not %)', "
        "p_ledger, old_head, p_head; END IF; "
        f"SELECT count(*) INTO added FROM {ev} AS e WHERE e.ledger_id = p_ledger "
        "AND e.position > old_head AND e.position <= p_head "
        "AND e.xmin = pg_current_xact_id()::xid; "
        "IF added <> p_head - old_head THEN RAISE EXCEPTION "
        "'civicledger: the head of ledger % moves only over rows this transaction inserted "
        "(% of positions % to % are)', p_ledger, added, old_head + 1, p_head; END IF; "
        f"IF p_frontier IS NULL OR {size}(p_frontier) <> p_head THEN RAISE EXCEPTION "
        "'civicledger: the new frontier of ledger % does not cover % events', "
        "p_ledger, p_head; END IF; "
        f"UPDATE {led} SET head = p_head, frontier = p_frontier WHERE id = p_ledger; "
        "END $$"
    )


def ensure_guards(connection: Connection) -> None:
    """Install the guard functions when the database's are missing or older than these.

    Raises:
        StoreError: they need installing and the connected role does not own the tables.
    """
    stored = _stored_version(connection)
    if guards_current(connection):
        return
    require_owner(
        connection,
        f"the database's civicledger functions are missing or older than this version's "
        f"(version {stored or 'none'}, this one installs {GUARDS_VERSION})",
    )
    install_guards(connection)


def guards_current(connection: Connection) -> bool:
    """Whether the database's guard functions are this version's (or newer)."""
    stored = _stored_version(connection)
    return stored is not None and stored.isdigit() and int(stored) >= GUARDS_VERSION


def _stored_version(connection: Connection) -> str | None:
    value = connection.execute(
        select(meta.c.value).where(meta.c.key == GUARDS_VERSION_KEY)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def require_owner(connection: Connection, why: str) -> None:
    """Refuse to upgrade the schema as a role that does not own it, saying who should.

    Args:
        connection: the connection, inside the schema transaction.
        why: what needs upgrading, for the message.

    Raises:
        StoreError: the connected role does not act as the tables' owner.
    """
    role = str(connection.execute(text("SELECT current_user")).scalar_one())
    if not acts_as_owner(connection, role):
        raise StoreError(
            f"{why} and role {role!r} does not own the tables, so it cannot upgrade them; "
            f"have the owner run `civicledger init --owner-role OWNER --app-role {role}`"
        )


def install_guards(connection: Connection) -> None:
    """Create or replace the guard functions and record their version (as the tables' owner)."""
    for statement in guard_ddl(quoted(connection, current_schema(connection))):
        connection.execute(text(statement))
    changed = connection.execute(
        update(meta).where(meta.c.key == GUARDS_VERSION_KEY).values(value=str(GUARDS_VERSION))
    )
    if changed.rowcount == 0:
        connection.execute(insert(meta).values(key=GUARDS_VERSION_KEY, value=str(GUARDS_VERSION)))
