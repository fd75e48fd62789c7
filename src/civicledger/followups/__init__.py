"""Problem follow-ups (整改台账): the rectification ledger derived from problem events.

Pure: this package reads events and writes files, but never touches a database.
The event types are in :mod:`civicledger.catalog.followups`.
"""

from civicledger.catalog.followups import FollowUpStatus, ProblemSource, problem_stream
from civicledger.followups.fold import (
    Change,
    FollowUpFold,
    FollowUpState,
    carried_over,
    check_changes,
    followups,
    project,
    require_allowed,
)
from civicledger.followups.model import (
    DONE_STATUSES,
    FollowUp,
    Measure,
    ProgressEntry,
    Rejection,
    TimelineEntry,
)
from civicledger.followups.transitions import ALLOWED_FROM

__all__ = [
    "ALLOWED_FROM",
    "DONE_STATUSES",
    "Change",
    "FollowUp",
    "FollowUpFold",
    "FollowUpState",
    "FollowUpStatus",
    "Measure",
    "ProblemSource",
    "ProgressEntry",
    "Rejection",
    "TimelineEntry",
    "carried_over",
    "check_changes",
    "followups",
    "problem_stream",
    "project",
    "require_allowed",
]
