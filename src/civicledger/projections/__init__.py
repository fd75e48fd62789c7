"""Projections: pure folds over recorded events, and indicators whose figures carry lineage.

Nothing here does I/O of its own: stores are passed in, and the same events
always give the same figures.
"""

from civicledger.projections.expressions import parse_arith, parse_filter
from civicledger.projections.figures import AsOf, Contribution, Figure
from civicledger.projections.filters import And, Compare, Failure, Filter, In, Not, Or, Predicate
from civicledger.projections.indicators import Indicator, IndicatorSet, ValidationRule
from civicledger.projections.measures import Count, CountDistinct, Latest, Measure, Ratio, Sum
from civicledger.projections.periods import Period

__all__ = [
    "And",
    "AsOf",
    "Compare",
    "Contribution",
    "Count",
    "CountDistinct",
    "Failure",
    "Figure",
    "Filter",
    "In",
    "Indicator",
    "IndicatorSet",
    "Latest",
    "Measure",
    "Not",
    "Or",
    "Period",
    "Predicate",
    "Ratio",
    "Sum",
    "ValidationRule",
    "parse_arith",
    "parse_filter",
]
