"""What a PostgreSQL role may do to a ledger's tables: the grants it needs, and what it could alter.

An application role needs exactly the grants in :data:`APP_GRANTS`; opening a
database as a role that lacks one fails naming it. A role "could alter history"
when it can rewrite, delete or unprotect recorded rows by any route: as a
superuser, as (a member of) the tables' owner, which may drop and disable
triggers, or through a privilege such as ``UPDATE`` or ``TRUNCATE``.
"""

from __future__ import annotations

import attrs
from sqlalchemy import Connection, text

from civicledger.errors import StoreError
from civicledger.store.sql.guards import APP_FUNCTIONS, table_owner
from civicledger.store.sql.positions import positions_table
from civicledger.store.sql.schema import events, ledgers, meta, tiles
from civicledger.store.sql.seals import cosignatures, seals

APP_GRANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # INSERT: the first push to a replica records its marker row; without
    # UPDATE or DELETE a version or marker once written stays.
    (meta.name, ("SELECT", "INSERT")),
    (ledgers.name, ("SELECT", "INSERT")),
    (events.name, ("SELECT", "INSERT")),
    (tiles.name, ("SELECT", "INSERT")),
    (seals.name, ("SELECT", "INSERT")),
    (cosignatures.name, ("SELECT", "INSERT")),
    # Projection positions are derived state that runners move, replace and forget.
    (positions_table.name, ("SELECT", "INSERT", "UPDATE", "DELETE")),
)
"""Table privileges an application role needs: append, read, seal, cosign, receive pushes,
keep projection positions."""

SERIAL_TABLES: tuple[str, ...] = (ledgers.name, seals.name, cosignatures.name)
"""Tables whose ``id`` sequence an application role uses (``USAGE``) when it inserts."""

HISTORY_TABLES: tuple[str, ...] = (
    events.name,
    tiles.name,
    seals.name,
    cosignatures.name,
    ledgers.name,
)
"""Tables whose rows are history: no application role may update, delete or truncate them."""

_ALTERING = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")


@attrs.frozen
class Access:
    """Which role a ledger runs as, and whether that role could alter recorded history.

    Attributes:
        role: the database role (PostgreSQL ``current_user``).
        owner: the role that owns civicledger's tables.
        could_alter_history: whether ``role`` could rewrite, delete or unprotect rows.
        reasons: why it could (empty when it could not).
    """

    role: str
    owner: str
    could_alter_history: bool
    reasons: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.could_alter_history:
            return (
                f"role {self.role} could alter history: {'; '.join(self.reasons)} "
                "(run the application as a role provisioned with "
                "`civicledger init --owner-role OWNER --app-role APP`)"
            )
        return (
            f"role {self.role} cannot alter history (the tables belong to {self.owner}; "
            "it may only append, read, seal and redact through checked functions)"
        )


def current_role(connection: Connection) -> str:
    """The role the connection acts as (``current_user``)."""
    return str(connection.execute(text("SELECT current_user")).scalar_one())


def missing_grants(connection: Connection, role: str) -> list[str]:
    """The grants of :data:`APP_GRANTS`, sequences and guard functions that ``role`` lacks.

    Tables that do not exist yet are skipped (whoever creates them owns them).
    """
    checks: list[tuple[str, str]] = []
    for table, privileges in APP_GRANTS:
        for privilege in privileges:
            checks.append(
                (
                    f"{privilege} on {table}",
                    f"coalesce(has_table_privilege(:role, to_regclass('{table}'), "
                    f"'{privilege}'), true)",
                )
            )
    for table in SERIAL_TABLES:
        checks.append(
            (
                f"USAGE on sequence {table}_id_seq",
                f"CASE WHEN to_regclass('{table}') IS NULL THEN true ELSE coalesce("
                f"has_sequence_privilege(:role, to_regclass(pg_get_serial_sequence("
                f"'{table}', 'id')), 'USAGE'), true) END",
            )
        )
    for function in APP_FUNCTIONS:
        checks.append(
            (
                f"EXECUTE on function {function}",
                f"coalesce(has_function_privilege(:role, to_regprocedure('{function}'), "
                "'EXECUTE'), false)",
            )
        )
    row = connection.execute(
        text(f"SELECT {', '.join(expression for _, expression in checks)}"), {"role": role}
    ).one()
    return [label for (label, _), granted in zip(checks, row, strict=True) if not granted]


def check_grants(connection: Connection) -> None:
    """Refuse to go on as a role that lacks a grant the store needs.

    Raises:
        StoreError: one line naming the missing grants and how to give them.
    """
    role = current_role(connection)
    missing = missing_grants(connection, role)
    if missing:
        raise StoreError(
            f"role {role!r} lacks {', '.join(missing)}; have the schema owner grant them with "
            f"`civicledger init --owner-role OWNER --app-role {role}` "
            "(see docs/howto/postgresql.md)"
        )


def access(connection: Connection, role: str) -> Access:
    """What ``role`` could do to the history stored in this database.

    Raises:
        StoreError: the database has no civicledger tables.
    """
    owner = table_owner(connection)
    if owner is None:
        raise StoreError("the database has no civicledger tables")
    facts = connection.execute(
        text(
            "SELECT r.rolsuper, pg_has_role(:role, :owner, 'MEMBER') "
            "FROM pg_roles AS r WHERE r.rolname = :role"
        ),
        {"role": role, "owner": owner},
    ).one()
    reasons: list[str] = []
    if facts[0]:
        reasons.append("it is a superuser")
    elif role == owner:
        reasons.append("it owns the tables, so it may drop or disable their triggers")
    elif facts[1]:
        reasons.append(f"it is a member of {owner}, which owns the tables")
    checks = [(table, privilege) for table in HISTORY_TABLES for privilege in _ALTERING]
    granted = connection.execute(
        text(
            "SELECT "
            + ", ".join(
                f"coalesce(has_table_privilege(:role, to_regclass('{t}'), '{p}'), false)"
                for t, p in checks
            )
        ),
        {"role": role},
    ).one()
    if not reasons:
        reasons += [f"it has {p} on {t}" for (t, p), ok in zip(checks, granted, strict=True) if ok]
        schema = connection.execute(
            text(
                "SELECT n.nspname FROM pg_class AS c JOIN pg_namespace AS n "
                "ON n.oid = c.relnamespace WHERE c.oid = to_regclass(:t)"
            ),
            {"t": events.name},
        ).scalar_one()
        creates = connection.execute(
            text("SELECT has_schema_privilege(:role, :schema, 'CREATE')"),
            {"role": role, "schema": schema},
        ).scalar_one()
        if creates:
            # The erasure function resolves names in that schema (see .erasure).
            reasons.append(
                f"it may create objects in schema {schema}, where the erasure function looks "
                f"up names (REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC, {role})"
            )
    return Access(role=role, owner=owner, could_alter_history=bool(reasons), reasons=tuple(reasons))
