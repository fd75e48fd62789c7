"""The scenarios, one small module per topic; :data:`ALL` lists them in run order."""

from __future__ import annotations

from benchmarks.context import Scenario
from benchmarks.scenarios import (
    append,
    audit,
    importing,
    indicators,
    leaf,
    many_ledgers,
    postgres,
    read,
    refresh,
    reports,
)

ALL: tuple[Scenario, ...] = (
    *append.SCENARIOS,
    *read.SCENARIOS,
    *postgres.SCENARIOS,
    *many_ledgers.SCENARIOS,
    *audit.SCENARIOS,
    *leaf.SCENARIOS,
    *indicators.SCENARIOS,
    *refresh.SCENARIOS,
    *reports.SCENARIOS,
    *importing.SCENARIOS,
)
