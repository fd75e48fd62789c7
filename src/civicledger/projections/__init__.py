"""Projections: pure folds over recorded events, and indicators whose figures carry lineage.

Nothing here does I/O of its own: stores are passed in, and the same events
always give the same figures.
"""

from civicledger.deprecation import renamed_attributes
from civicledger.projections.compare import Comparison, compare, compare_figures
from civicledger.projections.engine import compute, compute_from_source, resolve_as_of
from civicledger.projections.explain import WhyNot, explain, why_not
from civicledger.projections.expressions import parse_arith, parse_filter
from civicledger.projections.figures import AsOf, Contribution, Figure, FigureList
from civicledger.projections.filters import And, Compare, Failure, Filter, In, Not, Or, Predicate
from civicledger.projections.indicators import Indicator, IndicatorSet, ValidationRule
from civicledger.projections.matching import Between, Contains, StartsWith
from civicledger.projections.measures import (
    Count,
    CountDistinct,
    Derived,
    Extreme,
    Latest,
    Measure,
    Ratio,
    Sum,
)
from civicledger.projections.periods import Period
from civicledger.projections.rules import RuleResult, check_rules
from civicledger.projections.runner import Fold, Projection, ProjectionPosition, Runner, fold
from civicledger.projections.series import Series
from civicledger.store.parts import MemoryProjectionPositions, ProjectionPositions

__all__ = [
    "And",
    "AsOf",
    "Between",
    "Compare",
    "Comparison",
    "Contains",
    "Contribution",
    "Count",
    "CountDistinct",
    "Derived",
    "Extreme",
    "Failure",
    "Figure",
    "FigureList",
    "Filter",
    "Fold",
    "In",
    "Indicator",
    "IndicatorSet",
    "Latest",
    "Measure",
    "Not",
    "Or",
    "Period",
    "Predicate",
    "Projection",
    "ProjectionPosition",
    "Ratio",
    "RuleResult",
    "Runner",
    "Series",
    "StartsWith",
    "Sum",
    "ValidationRule",
    "WhyNot",
    "check_rules",
    "compare",
    "compare_figures",
    "compute",
    "compute_from_source",
    "explain",
    "fold",
    "parse_arith",
    "parse_filter",
    "resolve_as_of",
    "why_not",
]

__getattr__ = renamed_attributes(
    __name__,
    {
        "Checkpoint": ("civicledger.projections.ProjectionPosition", lambda: ProjectionPosition),
        "CheckpointStore": (
            "civicledger.store.parts.ProjectionPositions",
            lambda: ProjectionPositions,
        ),
        "MemoryCheckpoints": (
            "civicledger.store.parts.MemoryProjectionPositions",
            lambda: MemoryProjectionPositions,
        ),
    },
)
