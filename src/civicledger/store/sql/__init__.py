"""The SQL backend: SQLAlchemy 2 Core over SQLite and PostgreSQL."""

from civicledger.store.sql.store import SqlNodeReader, SqlStore

__all__ = ["SqlNodeReader", "SqlStore"]
