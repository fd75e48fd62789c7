"""The civic event catalog: ready event types for the everyday work of a community office.

Every type is registered in the default registry when this package is imported.
Modules by topic: :mod:`~civicledger.catalog.meetings`,
:mod:`~civicledger.catalog.party`, :mod:`~civicledger.catalog.organisations`,
:mod:`~civicledger.catalog.governance`, :mod:`~civicledger.catalog.welfare`,
:mod:`~civicledger.catalog.environment`, :mod:`~civicledger.catalog.notes`,
:mod:`~civicledger.catalog.followups`; the closed vocabularies are in
:mod:`~civicledger.catalog.vocabularies` and the stream naming convention in
:mod:`~civicledger.catalog.streams`.
"""

from civicledger.catalog.environment import (
    CompoundHandedOver,
    CompoundRegistered,
    InspectionFailed,
    InspectionPassed,
    VolunteerCleanupHeld,
)
from civicledger.catalog.followups import (
    FollowUpStatus,
    ProblemIdentified,
    ProblemReopened,
    ProblemResolved,
    ProblemSource,
    RectificationPlanned,
    RectificationProgressed,
    problem_stream,
)
from civicledger.catalog.governance import (
    FloatingPopulationChecked,
    KeyPersonVisited,
    MediationCompleted,
    StabilityDutyScheduled,
)
from civicledger.catalog.meetings import ActivityHeld, MeetingHeld
from civicledger.catalog.notes import SECTION_KEYS, NarrativeNoteRecorded
from civicledger.catalog.organisations import (
    ContactGroupClosed,
    ContactGroupCreated,
    ContactGroupMembershipChanged,
    OrganisationDissolved,
    OrganisationRegistered,
    OrganisationRenamed,
)
from civicledger.catalog.party import (
    HouseholdVisited,
    MemberHouseholdContactAssigned,
    MemberHouseholdContactEnded,
)
from civicledger.catalog.streams import default_stream
from civicledger.catalog.vocabularies import (
    ActivityKind,
    AssistanceScheme,
    CertificationMethod,
    CheckpointKind,
    ContactGroupKind,
    DisputeKind,
    InspectionLevel,
    InsuranceScheme,
    KeyPersonCategory,
    MediationOutcome,
    MeetingBody,
    OrganisationKind,
    TrainingProgramme,
)
from civicledger.catalog.welfare import (
    AssistanceProvided,
    AssistanceReviewed,
    ElderlyAllowanceCertified,
    InsuranceEnrolmentReported,
    JobFairHeld,
    TrainingHeld,
)
from civicledger.events import Event

ALL_EVENT_TYPES: tuple[type[Event], ...] = (
    MeetingHeld,
    ActivityHeld,
    MemberHouseholdContactAssigned,
    MemberHouseholdContactEnded,
    HouseholdVisited,
    OrganisationRegistered,
    OrganisationRenamed,
    OrganisationDissolved,
    ContactGroupCreated,
    ContactGroupMembershipChanged,
    ContactGroupClosed,
    MediationCompleted,
    KeyPersonVisited,
    FloatingPopulationChecked,
    StabilityDutyScheduled,
    TrainingHeld,
    JobFairHeld,
    AssistanceReviewed,
    AssistanceProvided,
    InsuranceEnrolmentReported,
    ElderlyAllowanceCertified,
    VolunteerCleanupHeld,
    InspectionPassed,
    InspectionFailed,
    CompoundRegistered,
    CompoundHandedOver,
    NarrativeNoteRecorded,
    ProblemIdentified,
    RectificationPlanned,
    RectificationProgressed,
    ProblemResolved,
    ProblemReopened,
)
"""Every event type in the catalog, in the order of the modules above."""

__all__ = [
    "ALL_EVENT_TYPES",
    "SECTION_KEYS",
    "ActivityHeld",
    "ActivityKind",
    "AssistanceProvided",
    "AssistanceReviewed",
    "AssistanceScheme",
    "CertificationMethod",
    "CheckpointKind",
    "CompoundHandedOver",
    "CompoundRegistered",
    "ContactGroupClosed",
    "ContactGroupCreated",
    "ContactGroupKind",
    "ContactGroupMembershipChanged",
    "DisputeKind",
    "ElderlyAllowanceCertified",
    "FloatingPopulationChecked",
    "FollowUpStatus",
    "HouseholdVisited",
    "InspectionFailed",
    "InspectionLevel",
    "InspectionPassed",
    "InsuranceEnrolmentReported",
    "InsuranceScheme",
    "JobFairHeld",
    "KeyPersonCategory",
    "KeyPersonVisited",
    "MediationCompleted",
    "MediationOutcome",
    "MeetingBody",
    "MeetingHeld",
    "MemberHouseholdContactAssigned",
    "MemberHouseholdContactEnded",
    "NarrativeNoteRecorded",
    "OrganisationDissolved",
    "OrganisationKind",
    "OrganisationRegistered",
    "OrganisationRenamed",
    "ProblemIdentified",
    "ProblemReopened",
    "ProblemResolved",
    "ProblemSource",
    "RectificationPlanned",
    "RectificationProgressed",
    "StabilityDutyScheduled",
    "TrainingHeld",
    "TrainingProgramme",
    "VolunteerCleanupHeld",
    "default_stream",
    "problem_stream",
]
