"""Renamed public names keep working, and warn with the name to use instead."""

from __future__ import annotations

import importlib
from datetime import date

import pytest

import civicledger
from civicledger import Ledger
from civicledger.catalog import TrainingHeld, TrainingProgramme
from civicledger.corrections import CorrectionIndex, read_effective
from civicledger.projections import ProjectionPosition
from civicledger.revisions import OBS_STATUS, revise
from civicledger.store.parts import MemoryProjectionPositions, ProjectionPositions
from civicledger.store.sql.positions import SqlProjectionPositions
from civicledger.testing.strategies import catalog_events, catalog_strategies

RENAMED = [
    ("civicledger.projections", "Checkpoint", "ProjectionPosition", ProjectionPosition),
    ("civicledger.projections", "CheckpointStore", "ProjectionPositions", ProjectionPositions),
    (
        "civicledger.projections",
        "MemoryCheckpoints",
        "MemoryProjectionPositions",
        MemoryProjectionPositions,
    ),
    ("civicledger.projections.runner", "Checkpoint", "ProjectionPosition", ProjectionPosition),
    (
        "civicledger.projections.runner",
        "MemoryCheckpoints",
        "MemoryProjectionPositions",
        MemoryProjectionPositions,
    ),
    ("civicledger.corrections", "effective_read", "read_effective", read_effective),
    ("civicledger.corrections.fold", "effective_read", "read_effective", read_effective),
    (
        "civicledger.testing.strategies",
        "catalogue_strategies",
        "catalog_strategies",
        catalog_strategies,
    ),
    ("civicledger.testing.strategies", "catalogue_events", "catalog_events", catalog_events),
    (
        "civicledger.store.sql_checkpoints",
        "SqlCheckpoints",
        "SqlProjectionPositions",
        SqlProjectionPositions,
    ),
    ("civicledger.corrections.revision", "revise", "civicledger.revisions.revise", revise),
    (
        "civicledger.corrections.revision",
        "OBS_STATUS",
        "civicledger.revisions.OBS_STATUS",
        OBS_STATUS,
    ),
]


@pytest.mark.parametrize(("module", "old", "new", "obj"), RENAMED)
def test_an_old_name_warns_and_gives_the_new_object(
    module: str, old: str, new: str, obj: object
) -> None:
    """The old name is the new object, with a DeprecationWarning naming the new name."""
    imported = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is deprecated; use .*{new}"):
        assert getattr(imported, old) is obj


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    """The fallback serves only the renamed names."""
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        civicledger.projections.nothing_here  # noqa: B018


def _ledger_with_a_retraction() -> tuple[Ledger, list[int]]:
    ledger = Ledger.in_memory()
    held = TrainingHeld(
        occurred_on=date(2023, 1, 1),
        programme=TrainingProgramme.REEMPLOYMENT,
        title="x",
        attendees=3,
    )
    kept, dropped = ledger.append("t", [held, held], actor="a")
    ledger.retract(dropped.event_id, reason="twice", actor="b")
    return ledger, [kept.position]


@pytest.mark.parametrize("module", ["civicledger.corrections", "civicledger.corrections.fold"])
def test_effective_still_applies_an_index(module: str) -> None:
    """effective(records, index) is CorrectionIndex.apply_all under its old name."""
    ledger, kept = _ledger_with_a_retraction()
    index = CorrectionIndex.collect(ledger.read(types=["event_retracted"]))
    with pytest.warns(DeprecationWarning, match="use civicledger.corrections.CorrectionIndex"):
        effective = importlib.import_module(module).effective
    shown = effective(ledger.read(types=["training_held"]), index)
    assert [r.position for r in shown] == kept


def test_ledger_checkpoints_is_ledger_projection_positions() -> None:
    """Ledger.checkpoints warns and returns the ledger's projection positions."""
    ledger = Ledger.in_memory()
    with pytest.warns(DeprecationWarning, match="use Ledger.projection_positions"):
        assert ledger.checkpoints is ledger.projection_positions
