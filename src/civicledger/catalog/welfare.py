"""Employment and welfare: trainings, job fairs, assistance reviews, insurance, allowances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from civicledger.catalog.vocabularies import (
    AssistanceScheme,
    CertificationMethod,
    InsuranceScheme,
    TrainingProgramme,
)
from civicledger.errors import ValidationError
from civicledger.events import Event, event, field


@event("training_held", version=1)
class TrainingHeld(Event):
    """Record when a training has been held for residents (re-employment, skills, ...).

    Record one event per training course on its last day; ``sessions`` says how many
    sittings it had.

    Attributes:
        programme: the programme it belongs to.
        title: the course title.
        attendees: how many people attended (each counted once per course).
        sessions: how many sittings the course had.
        free: whether it was free of charge to attendees.
        provider: the training provider, if not the community.
    """

    programme: TrainingProgramme
    title: str
    attendees: int
    sessions: int = field(default=1)
    free: bool = field(default=True)
    provider: str | None = field(default=None)


@event("job_fair_held", version=1)
class JobFairHeld(Event):
    """Record when a job fair or recruitment session has been held for residents.

    Attributes:
        title: the fair's title.
        employers: how many employers took part.
        positions_offered: how many vacancies were offered.
        job_seekers: how many job seekers attended.
        online: whether it was held online (e.g. a livestream).
    """

    title: str
    employers: int
    positions_offered: int
    job_seekers: int
    online: bool = field(default=False)


@event("assistance_reviewed", version=1)
class AssistanceReviewed(Event):
    """Record when a round of assistance cases has been reviewed and the results made public.

    For example the quarterly review of minimum-living-allowance households.

    Record it on the day the review meeting decided; the publicity period follows.

    Attributes:
        scheme: the assistance scheme reviewed.
        households_reviewed: households whose cases were reviewed.
        households_approved: households approved or kept on the scheme.
        households_discontinued: households taken off the scheme.
        democratic_appraisal: whether residents' representatives appraised the cases.
        publicity_starts_on: first day the results were posted publicly.
        publicity_ends_on: last day of the public notice.
    """

    scheme: AssistanceScheme
    households_reviewed: int
    households_approved: int
    households_discontinued: int = field(default=0)
    democratic_appraisal: bool = field(default=True)
    publicity_starts_on: date | None = field(default=None)
    publicity_ends_on: date | None = field(default=None, not_before="publicity_starts_on")

    def __attrs_post_init__(self) -> None:
        # A review cannot decide on more households than it reviewed.
        decided = self.households_approved + self.households_discontinued
        if (
            type(self.households_approved) is int
            and type(self.households_discontinued) is int
            and type(self.households_reviewed) is int
            and decided > self.households_reviewed
        ):
            raise ValidationError(
                f"assistance_reviewed.households_approved: approved plus discontinued ({decided})"
                f" exceeds households_reviewed ({self.households_reviewed})",
                event_type="assistance_reviewed",
                field="households_approved",
            )


@event("assistance_provided", version=1)
class AssistanceProvided(Event):
    """Record when a household in hardship has received help (cash, goods, a referral).

    Attributes:
        household_id: the household helped.
        scheme: the scheme the help came under.
        description: what was given or done.
        amount_yuan: the cash value in yuan, if any.
    """

    household_id: str = field(personal=True)
    scheme: AssistanceScheme
    description: str = field(multiline=True)
    amount_yuan: Decimal | None = field(default=None)


@event("insurance_enrolment_reported", version=1)
class InsuranceEnrolmentReported(Event):
    """Record when the community reports its enrolment figures for a social insurance scheme.

    Attributes:
        scheme: the insurance scheme.
        coverage_year: the year the enrolment is for.
        target: the number of enrolments the office asked for.
        enrolled: the number of people enrolled.
        task_completed: whether the office accepted the task as completed.
    """

    scheme: InsuranceScheme
    coverage_year: int
    target: int
    enrolled: int
    task_completed: bool


@event("elderly_allowance_certified", version=1)
class ElderlyAllowanceCertified(Event):
    """Record when an elderly resident's old-age allowance entitlement has been certified.

    Attributes:
        resident_id: the resident's id.
        method: how the certification was done.
        group_id: the certification contact group used, for online certification.
    """

    resident_id: str = field(personal=True)
    method: CertificationMethod
    group_id: str | None = field(default=None)
