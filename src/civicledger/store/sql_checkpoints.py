"""Deprecated module: projection positions live in :mod:`civicledger.store.sql.positions`."""

from civicledger.deprecation import renamed_attributes
from civicledger.store.sql import positions

__getattr__ = renamed_attributes(
    __name__,
    {
        "SqlCheckpoints": (
            "civicledger.store.sql.positions.SqlProjectionPositions",
            lambda: positions.SqlProjectionPositions,
        ),
        "checkpoints_table": (
            "civicledger.store.sql.positions.positions_table",
            lambda: positions.positions_table,
        ),
        "create_checkpoint_table": (
            "civicledger.store.sql.positions.create_positions_table",
            lambda: positions.create_positions_table,
        ),
    },
)
