"""SQL pushdown of declarative indicators: identical figures, computed with the database.

An adapter between :mod:`civicledger.projections` and a backend's SQL database
(:meth:`civicledger.store.EventStore.sql_target`); nothing below it imports it.
See ``docs/indicators.md`` ("SQL pushdown").
"""

from civicledger.pushdown.sql import SqlPushdown
from civicledger.store.base import EventStore

__all__ = ["SqlPushdown", "pushdown_for"]


def pushdown_for(store: EventStore) -> SqlPushdown | None:
    """The SQL pushdown over ``store``, or None for a backend without a SQL database."""
    target = store.sql_target()
    return None if target is None else SqlPushdown(store, target)
