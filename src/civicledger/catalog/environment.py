"""Environment and the civilised-city campaign: cleanups, inspections, compounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from civicledger.catalog.vocabularies import CheckpointKind, InspectionLevel
from civicledger.errors import ValidationError
from civicledger.events import Event, event, field


@event("volunteer_cleanup_held", version=1)
class VolunteerCleanupHeld(Event):
    """Record when volunteers have cleaned an area (the weekly Friday cleanup).

    Attributes:
        area: the compound, lane or street cleaned.
        volunteers: how many volunteers took part.
        hours: how long the cleanup lasted, in hours (e.g. ``Decimal("1.5")``); the
            volunteer hours it contributed are ``volunteers * hours``.
    """

    area: str
    volunteers: int
    hours: Decimal

    def volunteer_hours(self) -> Decimal:
        """Return the volunteer hours this cleanup contributed (volunteers × hours)."""
        return self.hours * self.volunteers


@event("inspection_passed", version=1)
class InspectionPassed(Event):
    """Record when an inspection (civilised-city campaign or similar) passed a checkpoint.

    Attributes:
        level: the level of government that inspected.
        checkpoint: the place inspected, by name.
        checkpoint_kind: what kind of place it is.
        findings: minor remarks made even though it passed (may be empty).
        inspecting_body: who inspected, if worth recording.
    """

    level: InspectionLevel
    checkpoint: str
    checkpoint_kind: CheckpointKind
    findings: tuple[str, ...] = field(default=(), multiline=True)
    inspecting_body: str | None = field(default=None)


@event("inspection_failed", version=1)
class InspectionFailed(Event):
    """Record when an inspection found a checkpoint below standard.

    Attributes:
        level: the level of government that inspected.
        checkpoint: the place inspected, by name.
        checkpoint_kind: what kind of place it is.
        findings: what was found wanting (at least one finding).
        inspecting_body: who inspected, if worth recording.
        rectify_by: the deadline set for putting things right, if any.
    """

    level: InspectionLevel
    checkpoint: str
    checkpoint_kind: CheckpointKind
    findings: tuple[str, ...] = field(multiline=True)
    inspecting_body: str | None = field(default=None)
    rectify_by: date | None = field(default=None, not_before="occurred_on")

    def __attrs_post_init__(self) -> None:
        # A failed inspection must say why it failed.
        if isinstance(self.findings, tuple) and not self.findings:
            raise ValidationError(
                "inspection_failed.findings: a failed inspection needs at least one finding",
                event_type="inspection_failed",
                field="findings",
            )


@event("compound_registered", version=1)
class CompoundRegistered(Event):
    """Record when a residential compound comes under the community's management.

    Attributes:
        compound_id: a stable id for the compound.
        name: its name.
        households: how many households live there, if known.
        property_managed: whether it has a property management company.
    """

    compound_id: str
    name: str
    households: int | None = field(default=None)
    property_managed: bool | None = field(default=None)


@event("compound_handed_over", version=1)
class CompoundHandedOver(Event):
    """Record when a residential compound leaves the community's management.

    For example it was handed to another community after a boundary change, or demolished.

    Attributes:
        compound_id: the compound's id.
        name: its name.
        handed_to: who takes it over, if anyone.
        reason: why it was handed over.
    """

    compound_id: str
    name: str
    handed_to: str | None = field(default=None)
    reason: str | None = field(default=None, multiline=True)
