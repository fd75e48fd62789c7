"""Problem follow-ups (整改台账): the rectification ledger derived from problem events.

Pure: this package folds events and reads or writes spreadsheet files, but never
touches a database. The event types are in :mod:`civicledger.catalog.followups`;
``docs/followups.md`` has the status and transition tables and the roll-up rules.
"""

from civicledger.catalog.followups import FollowUpStatus, ProblemSource, problem_stream
from civicledger.followups.fold import (
    PROBLEM_TYPES,
    FollowUpFold,
    FollowUpState,
    carried_over,
    followups,
    project,
)
from civicledger.followups.guards import (
    Change,
    check_changes,
    require_allowed,
    with_expected_versions,
)
from civicledger.followups.importing import STATUS_ALIASES, plan_import, read_changes
from civicledger.followups.model import (
    DONE_STATUSES,
    FollowUp,
    Measure,
    ProgressEntry,
    Rejection,
    TimelineEntry,
)
from civicledger.followups.rollups import FIGURE_IDS, FollowUpRollup, in_scope, rollup
from civicledger.followups.tabular import (
    COLUMNS,
    Column,
    SheetRow,
    read_table,
    table_rows,
    write_csv,
    write_table,
    write_xlsx,
)
from civicledger.followups.transitions import ALLOWED_FROM

__all__ = [
    "ALLOWED_FROM",
    "COLUMNS",
    "DONE_STATUSES",
    "FIGURE_IDS",
    "PROBLEM_TYPES",
    "STATUS_ALIASES",
    "Change",
    "Column",
    "FollowUp",
    "FollowUpFold",
    "FollowUpRollup",
    "FollowUpState",
    "FollowUpStatus",
    "Measure",
    "ProblemSource",
    "ProgressEntry",
    "Rejection",
    "SheetRow",
    "TimelineEntry",
    "carried_over",
    "check_changes",
    "followups",
    "in_scope",
    "plan_import",
    "problem_stream",
    "project",
    "read_changes",
    "read_table",
    "require_allowed",
    "rollup",
    "table_rows",
    "with_expected_versions",
    "write_csv",
    "write_table",
    "write_xlsx",
]
