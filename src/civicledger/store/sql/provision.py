"""Two roles on PostgreSQL: an owner that holds the schema, and an application role that cannot
rewrite what it recorded.

:func:`provision` creates (or brings up to date) every civicledger table, trigger
and guard function as the owner role, then grants the application role exactly
what appending, reading, sealing, projection positions and redaction need:
``SELECT`` and ``INSERT`` on the history tables, no ``UPDATE``, ``DELETE``,
``TRUNCATE``, ``REFERENCES`` or ``TRIGGER`` on them, and ``EXECUTE`` on the three
guard functions of :mod:`.guards` through which the head moves and values are
erased. Running it again changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL, make_url

from civicledger.errors import StoreError, ValidationError
from civicledger.store.sql import guards
from civicledger.store.sql.dialect import write_transaction
from civicledger.store.sql.engine import open_engine
from civicledger.store.sql.errors import translated
from civicledger.store.sql.ledgers import prepare_schema
from civicledger.store.sql.partitioning import check_partitions, partition_names
from civicledger.store.sql.positions import create_positions_table, positions_table
from civicledger.store.sql.privileges import APP_GRANTS, SERIAL_TABLES, Access, access
from civicledger.store.sql.schema import metadata
from civicledger.store.sql.seals import SEAL_TABLES


def provision(url: str | URL, *, owner: str, app: str, partitions: int | None = None) -> Access:
    """Create civicledger's schema as ``owner`` and grant ``app`` what the library needs.

    Connect as a role that may act as the owner: the owner itself, a member of it,
    or a superuser (which may also take over tables another role owns, e.g. those
    an earlier single-role setup created as the application role). Both roles must
    exist (``CREATE ROLE``); passwords and logins stay the administrator's business.

    Args:
        url: a PostgreSQL URL (``postgresql+psycopg://admin@host/dbname``).
        owner: the role that will own the tables and guard functions.
        app: the role the application connects as.
        partitions: create a new database's events and tiles partitioned by ledger
            into this many hash partitions (see :func:`.partition_by_ledger`).

    Returns:
        The application role's access (it cannot alter history).

    Raises:
        ValidationError: not a PostgreSQL URL, a role is missing, the two are the
            same, or ``app`` could act as the owner (superuser or member of it).
        SchemaMismatchError: the database holds another schema version.
        StoreError: the database failed or refused (e.g. the connected role may not
            act as the owner).
    """
    if partitions is not None:
        check_partitions(partitions)
    for field, value in (("owner", owner), ("app", app)):
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{field} must be a role name, got {value!r}", field=field)
    with translated("opening the database"):
        parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValidationError(
            "provisioning an owner and an application role needs PostgreSQL (a SQLite file has "
            "no roles: protect it with file permissions, see docs/howto/postgresql.md)",
            field="url",
        )
    engine = open_engine(parsed)
    try:
        with translated("provisioning the civicledger roles"), write_transaction(engine) as conn:
            _check_roles(conn, owner, app)
            _take_over(conn, owner)
            # The owner creates in the schema; the connected role grants that (a no-op when
            # the owner already may, e.g. when it owns the schema).
            schema = guards.quoted(conn, guards.current_schema(conn))
            conn.execute(
                text(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {guards.quoted(conn, owner)}")
            )
            # The application must not create there, where the erasure function resolves
            # names; a grant to PUBLIC is the administrator's to withdraw (access() below
            # refuses to finish while it stands).
            conn.execute(text(f"REVOKE CREATE ON SCHEMA {schema} FROM {guards.quoted(conn, app)}"))
            conn.execute(text(f"SET LOCAL ROLE {guards.quoted(conn, owner)}"))
            prepare_schema(conn, partitions=partitions)
            guards.install_guards(conn)
            create_positions_table(conn)
            _grant(conn, app)
            granted = access(conn, app)
    finally:
        engine.dispose()
    if granted.could_alter_history:
        raise StoreError(
            f"after provisioning, role {app!r} could still alter history: "
            f"{'; '.join(granted.reasons)}; revoke that (it comes from outside civicledger)"
        )
    return granted


def _check_roles(conn: Connection, owner: str, app: str) -> None:
    found: dict[str, bool] = dict(
        conn.execute(
            text("SELECT rolname, rolsuper FROM pg_roles WHERE rolname IN (:owner, :app)"),
            {"owner": owner, "app": app},
        ).all()
    )
    for field, name in (("owner", owner), ("app", app)):
        if name not in found:
            raise ValidationError(
                f"{field} role {name!r} does not exist; create it first (CREATE ROLE)",
                field=field,
            )
    if owner == app:
        raise ValidationError(
            f"the owner and the application role are both {owner!r}; they must differ, or the "
            "application could drop the triggers",
            field="app",
        )
    if found[app]:
        raise ValidationError(
            f"application role {app!r} is a superuser, which can alter anything; use an "
            "ordinary role",
            field="app",
        )
    member = conn.execute(
        text("SELECT pg_has_role(:app, :owner, 'MEMBER')"), {"app": app, "owner": owner}
    ).scalar_one()
    if member:
        raise ValidationError(
            f"application role {app!r} is a member of owner role {owner!r}, so it could act as "
            "the owner; revoke that membership first",
            field="app",
        )


def _take_over(conn: Connection, owner: str) -> None:
    """Give the owner role tables and functions of ours that another role owns.

    A database that a single role set up (the application role owning everything)
    becomes a two-role one this way; owned sequences follow their tables, and the
    partitions of a partitioned table are handed over with it.
    """
    role = guards.quoted(conn, owner)
    names = [t.name for t in metadata.sorted_tables] + [*SEAL_TABLES, positions_table.name]
    tables = conn.execute(
        text(
            "SELECT c.relname FROM pg_class AS c "
            "WHERE c.relnamespace = to_regnamespace(current_schema()) "
            "AND c.relkind IN ('r', 'p') AND c.relname = ANY(:names) "
            "AND pg_get_userbyid(c.relowner) <> :owner"
        ),
        {"names": names + partition_names(conn), "owner": owner},
    ).scalars()
    for table in list(tables):
        conn.execute(text(f"ALTER TABLE {guards.quoted(conn, table)} OWNER TO {role}"))
    functions = conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc AS p "
            "WHERE p.pronamespace = to_regnamespace(current_schema()) "
            "AND starts_with(p.proname, 'civicledger_') AND pg_get_userbyid(p.proowner) <> :owner"
        ),
        {"owner": owner},
    ).scalars()
    for function in list(functions):
        conn.execute(text(f"ALTER FUNCTION {function} OWNER TO {role}"))


def _grant(conn: Connection, app: str) -> None:
    """Revoke all from ``app`` and PUBLIC on our objects, then grant exactly what it needs."""
    role = guards.quoted(conn, app)
    schema = guards.quoted(conn, guards.current_schema(conn))
    tables = [name for name, _ in APP_GRANTS]
    listed = ", ".join(guards.quoted(conn, t) for t in tables)
    conn.execute(text(f"REVOKE ALL ON TABLE {listed} FROM PUBLIC, {role}"))
    for table, privileges in APP_GRANTS:
        conn.execute(
            text(f"GRANT {', '.join(privileges)} ON TABLE {guards.quoted(conn, table)} TO {role}")
        )
    for table in SERIAL_TABLES:
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}
        ).scalar_one()
        conn.execute(text(f"REVOKE ALL ON SEQUENCE {sequence} FROM PUBLIC, {role}"))
        conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {role}"))
    for function in guards.APP_FUNCTIONS:
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {schema}.{function} TO {role}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
