"""Organisations and contact groups the community hosts or works through.

Every event carries the organisation's or group's kind as well as its id, so an
indicator can count by kind from single events, without joining streams.
"""

from __future__ import annotations

from civicledger.catalog.vocabularies import ContactGroupKind, OrganisationKind
from civicledger.events import Event, event, field


@event("organisation_registered", version=1)
class OrganisationRegistered(Event):
    """Record when an organisation is set up in, or first recorded by, the community.

    Covers the community's self-managed ("三自") groups, a federation of social
    organisations, volunteer teams and councils. Record it on the day the
    organisation was founded or taken on.

    Attributes:
        organisation_id: a stable id for the organisation, never reused.
        kind: what kind of organisation it is.
        name: its name as registered.
        members: how many members it has at registration, if known.
        leader: the name of its leader, if recorded.
        member_organisation_ids: for a federation, the organisations it brings together.
    """

    organisation_id: str
    kind: OrganisationKind
    name: str
    members: int | None = field(default=None)
    leader: str | None = field(default=None, personal=True)
    member_organisation_ids: tuple[str, ...] = field(default=())


@event("organisation_renamed", version=1)
class OrganisationRenamed(Event):
    """Record when an organisation takes a new name (e.g. a hobby group taking on a service role).

    Attributes:
        organisation_id: the organisation's id.
        kind: its kind (unchanged by the renaming).
        name: the new name.
        previous_name: the name it had until now.
        reason: why it was renamed, in a line.
    """

    organisation_id: str
    kind: OrganisationKind
    name: str
    previous_name: str
    reason: str | None = field(default=None)


@event("organisation_dissolved", version=1)
class OrganisationDissolved(Event):
    """Record when an organisation stops existing or leaves the community's care.

    Attributes:
        organisation_id: the organisation's id.
        kind: its kind.
        name: its name at dissolution.
        reason: why it was dissolved, in a line.
    """

    organisation_id: str
    kind: OrganisationKind
    name: str
    reason: str | None = field(default=None)


@event("contact_group_created", version=1)
class ContactGroupCreated(Event):
    """Record when the community sets up a contact group (merchants, allowance certification, ...).

    Attributes:
        group_id: a stable id for the group.
        kind: what the group is for.
        name: the group's name.
        platform: where it lives (e.g. "微信群"), if worth recording.
    """

    group_id: str
    kind: ContactGroupKind
    name: str
    platform: str | None = field(default=None)


@event("contact_group_membership_changed", version=1)
class ContactGroupMembershipChanged(Event):
    """Record how many members joined and left a contact group since the last count.

    Record it whenever the group is counted (weekly or monthly); the group's size
    at a date is the sum of ``joined`` minus the sum of ``left`` up to that date.

    Attributes:
        group_id: the group's id.
        kind: the group's kind (repeated so indicators can filter on it).
        joined: members who joined in the period counted.
        left: members who left in the period counted.
    """

    group_id: str
    kind: ContactGroupKind
    joined: int
    left: int = field(default=0)


@event("contact_group_closed", version=1)
class ContactGroupClosed(Event):
    """Record when a contact group is closed or merged into another.

    Attributes:
        group_id: the group's id.
        kind: the group's kind.
        reason: why it was closed.
        merged_into: the group that took over its members, if any.
    """

    group_id: str
    kind: ContactGroupKind
    reason: str
    merged_into: str | None = field(default=None)
