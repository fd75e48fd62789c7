"""The stream naming convention for catalog events.

A stream groups the events of one thing whose history is read in order: one
organisation (``org/<organisation_id>``), one mediation case
(``mediation/<case_id>``), one problem (``problem/<problem_id>``). Events that
belong to no single thing go to a stream per topic (``meetings/party_committee``,
``environment/cleanups``).

Stream names never hold personal data. A stream name is part of the hashed
envelope of every event in it and cannot be redacted later, so events about a
person (household contact, key-person visits, allowance certification) go to a
topic stream and keep the person's id in a personal payload field.

The convention:

==================================  =========================================
event types                         stream
==================================  =========================================
MeetingHeld                         ``meetings/<body>``
ActivityHeld                        ``activities/<kind>``
MemberHouseholdContact*             ``party/contact``
HouseholdVisited                    ``party/visits``
Organisation*                       ``org/<organisation_id>``
ContactGroup*                       ``group/<group_id>``
MediationCompleted                  ``mediation/<case_id>``
KeyPersonVisited                    ``governance/key-persons``
FloatingPopulationChecked           ``governance/floating-population``
StabilityDutyScheduled              ``governance/stability-duty``
TrainingHeld                        ``employment/training/<programme>``
JobFairHeld                         ``employment/job-fairs``
AssistanceReviewed / Provided       ``welfare/assistance/<scheme>``
InsuranceEnrolmentReported          ``welfare/insurance/<scheme>``
ElderlyAllowanceCertified           ``welfare/elderly-allowance``
VolunteerCleanupHeld                ``environment/cleanups``
InspectionPassed / Failed           ``inspection/<level>``
Compound*                           ``compound/<compound_id>``
NarrativeNoteRecorded               ``notes/<section>``
Problem* / Rectification*           ``problem/<problem_id>``
any other type                      ``events/<type name>``
==================================  =========================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from civicledger.catalog import environment as env
from civicledger.catalog import followups as fu
from civicledger.catalog import governance as gov
from civicledger.catalog import meetings as mt
from civicledger.catalog import notes as nt
from civicledger.catalog import organisations as org
from civicledger.catalog import party as pt
from civicledger.catalog import welfare as wf
from civicledger.events import Event


def _fixed(name: str) -> Callable[[Any], str]:
    return lambda _: name


_RULES: Mapping[type[Event], Callable[[Any], str]] = MappingProxyType(
    {
        mt.MeetingHeld: lambda e: f"meetings/{e.body.value}",
        mt.ActivityHeld: lambda e: f"activities/{e.kind.value}",
        pt.MemberHouseholdContactAssigned: _fixed("party/contact"),
        pt.MemberHouseholdContactEnded: _fixed("party/contact"),
        pt.HouseholdVisited: _fixed("party/visits"),
        org.OrganisationRegistered: lambda e: f"org/{e.organisation_id}",
        org.OrganisationRenamed: lambda e: f"org/{e.organisation_id}",
        org.OrganisationDissolved: lambda e: f"org/{e.organisation_id}",
        org.ContactGroupCreated: lambda e: f"group/{e.group_id}",
        org.ContactGroupMembershipChanged: lambda e: f"group/{e.group_id}",
        org.ContactGroupClosed: lambda e: f"group/{e.group_id}",
        gov.MediationCompleted: lambda e: f"mediation/{e.case_id}",
        gov.KeyPersonVisited: _fixed("governance/key-persons"),
        gov.FloatingPopulationChecked: _fixed("governance/floating-population"),
        gov.StabilityDutyScheduled: _fixed("governance/stability-duty"),
        wf.TrainingHeld: lambda e: f"employment/training/{e.programme.value}",
        wf.JobFairHeld: _fixed("employment/job-fairs"),
        wf.AssistanceReviewed: lambda e: f"welfare/assistance/{e.scheme.value}",
        wf.AssistanceProvided: lambda e: f"welfare/assistance/{e.scheme.value}",
        wf.InsuranceEnrolmentReported: lambda e: f"welfare/insurance/{e.scheme.value}",
        wf.ElderlyAllowanceCertified: _fixed("welfare/elderly-allowance"),
        env.VolunteerCleanupHeld: _fixed("environment/cleanups"),
        env.InspectionPassed: lambda e: f"inspection/{e.level.value}",
        env.InspectionFailed: lambda e: f"inspection/{e.level.value}",
        env.CompoundRegistered: lambda e: f"compound/{e.compound_id}",
        env.CompoundHandedOver: lambda e: f"compound/{e.compound_id}",
        nt.NarrativeNoteRecorded: lambda e: f"notes/{e.section}",
        **{cls: (lambda e: fu.problem_stream(e.problem_id)) for cls in fu.PROBLEM_EVENTS},
    }
)


def default_stream(event: Event) -> str:
    """Name the stream an event belongs in under the catalog's convention.

    Args:
        event: any event; types outside the catalog go to ``events/<type name>``.

    Returns:
        The stream name.
    """
    rule = _RULES.get(type(event))
    if rule is None:
        return f"events/{type(event).__event_type__}"
    return rule(event)
