"""Comprehensive governance: mediation, key-person visits, population checks, duty rosters."""

from __future__ import annotations

from datetime import date

from civicledger.catalog.vocabularies import DisputeKind, KeyPersonCategory, MediationOutcome
from civicledger.errors import ValidationError
from civicledger.events import Event, event, field


@event("mediation_completed", version=1)
class MediationCompleted(Event):
    """Record when the mediation of a dispute has finished, whatever its outcome.

    Record it on the day the mediation ended; ``opened_on`` says when the case began.

    Attributes:
        case_id: the mediation case number.
        dispute_kind: what the dispute was about.
        parties: how many parties (people or households) took part.
        outcome: how it ended; both written and oral agreements count as success.
        opened_on: when the case was taken up, if recorded.
        mediator: who mediated.
        summary: a short, de-identified summary of the case.
    """

    case_id: str
    dispute_kind: DisputeKind
    parties: int
    outcome: MediationOutcome
    opened_on: date | None = field(default=None)
    mediator: str | None = field(default=None, personal=True)
    summary: str | None = field(default=None, multiline=True)

    def __attrs_post_init__(self) -> None:
        # Checked here rather than via not_before: the end date is occurred_on.
        if self.opened_on is not None and self.opened_on > self.occurred_on:
            raise ValidationError(
                f"mediation_completed.opened_on: {self.opened_on} is after the completion "
                f"date {self.occurred_on}",
                event_type="mediation_completed",
                field="opened_on",
            )


@event("key_person_visited", version=1)
class KeyPersonVisited(Event):
    """Record when a person under support and supervision (the seven kinds) has been visited.

    Attributes:
        person_id: the person's id in the community's key-person register.
        category: which of the kinds the person belongs to.
        visitor: who made the visit.
        in_person: whether the visit was face to face.
        note: what was found or agreed, if worth recording.
    """

    person_id: str = field(personal=True)
    category: KeyPersonCategory
    visitor: str = field(personal=True)
    in_person: bool = field(default=True)
    note: str | None = field(default=None, personal=True, multiline=True)


@event("floating_population_checked", version=1)
class FloatingPopulationChecked(Event):
    """Record when an area has been checked for floating population, incomers and renters.

    Attributes:
        area: the grid, compound or street checked.
        persons_checked: people whose registration was checked.
        rental_households_checked: rented dwellings checked.
        newly_registered: people found unregistered and registered on the spot.
    """

    area: str
    persons_checked: int
    rental_households_checked: int
    newly_registered: int = field(default=0)


@event("stability_duty_scheduled", version=1)
class StabilityDutyScheduled(Event):
    """Record when a duty roster has been set for a sensitive period (a holiday, a major event).

    Record it on the day the roster is issued; ``starts_on`` to ``ends_on`` is the
    period covered.

    Attributes:
        occasion: the holiday or event the duty covers.
        starts_on: first day of duty.
        ends_on: last day of duty.
        staff_on_duty: how many people are on the roster.
        contingency_plan: whether a written contingency plan was issued with it.
    """

    occasion: str
    starts_on: date
    ends_on: date
    staff_on_duty: int
    contingency_plan: bool = field(default=False)
