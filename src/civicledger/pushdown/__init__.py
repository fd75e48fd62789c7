"""SQL pushdown of declarative indicators: identical figures, computed with the database.

An adapter between :mod:`civicledger.projections` and the SQL store; nothing
below it imports it. See ``docs/indicators.md`` ("SQL pushdown").
"""

from civicledger.pushdown.sql import SqlPushdown

__all__ = ["SqlPushdown"]
