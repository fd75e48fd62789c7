"""The SQL backend: SQLAlchemy 2 Core over SQLite and PostgreSQL."""

from civicledger.store.sql.partitioning import partition_by_ledger
from civicledger.store.sql.privileges import Access
from civicledger.store.sql.provision import provision
from civicledger.store.sql.store import SqlStore
from civicledger.store.sql.tree import SqlNodeReader

__all__ = ["Access", "SqlNodeReader", "SqlStore", "partition_by_ledger", "provision"]
