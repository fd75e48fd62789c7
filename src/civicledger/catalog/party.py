"""Party work: members assigned to keep in touch with households, and their visits.

Member ids and household ids identify people, so every such field is declared
personal and can be redacted later.
"""

from __future__ import annotations

from civicledger.events import Event, event, field


@event("member_household_contact_assigned", version=1)
class MemberHouseholdContactAssigned(Event):
    """Record when a party member has been assigned households to keep in touch with (党员联户).

    Record one event per member and assignment, on the day the assignment starts.
    A later assignment for the same member adds households; it does not replace
    the earlier one (end that with :class:`MemberHouseholdContactEnded`).

    Attributes:
        member_id: the member's id in the branch roll.
        in_service: whether the member is in employment (在职党员) rather than retired.
        household_ids: the households assigned, by household id.
        branch: the grid branch the member belongs to.
    """

    member_id: str = field(personal=True)
    in_service: bool
    household_ids: tuple[str, ...] = field(personal=True)
    branch: str | None = field(default=None)


@event("member_household_contact_ended", version=1)
class MemberHouseholdContactEnded(Event):
    """Record when a member stops keeping in touch with some or all of their households.

    For example: the member moved away or fell ill, or the households were reassigned.

    Attributes:
        member_id: the member's id in the branch roll.
        household_ids: the households no longer in the member's care.
        reason: why the contact ended, in a line.
    """

    member_id: str = field(personal=True)
    household_ids: tuple[str, ...] = field(personal=True)
    reason: str


@event("household_visited", version=1)
class HouseholdVisited(Event):
    """Record when a member or cadre has visited, called or messaged a household in their care.

    Record one event per contact, on its day, once it has happened.

    Attributes:
        member_id: who made the contact.
        household_id: the household contacted.
        in_person: whether the contact was a home visit (False: phone or message).
        concern: a need or complaint raised by the household, if any.
    """

    member_id: str = field(personal=True)
    household_id: str = field(personal=True)
    in_person: bool
    concern: str | None = field(default=None, personal=True)
