"""Meetings and themed activities: who met, about what, and how many took part."""

from __future__ import annotations

from civicledger.catalog.vocabularies import ActivityKind, MeetingBody
from civicledger.events import Event, event, field


@event("meeting_held", version=1)
class MeetingHeld(Event):
    """Record when a body of the community has met.

    Bodies include the party committee, a branch general assembly, the residents'
    oversight committee and the social organisation joint meeting.

    Record one event per meeting, on the day it was held, once it has taken place.

    Attributes:
        body: the body that met.
        topic: what the meeting was about, in a line.
        attendees: how many people attended.
        location: where it was held, if worth recording.
        branch: the party branch or sub-body, when the body has several (e.g.
            which grid branch held its general assembly).
    """

    body: MeetingBody
    topic: str
    attendees: int
    location: str | None = field(default=None)
    branch: str | None = field(default=None)


@event("activity_held", version=1)
class ActivityHeld(Event):
    """Record when a themed activity has been held for members or residents.

    Activities include study sessions, legal or anti-fraud publicity, care-season
    events for minors, youth or elders, recruitment publicity and business promotions.

    Record one event per activity, on the day it took place (for an activity that
    spans days, on its last day).

    Attributes:
        kind: the kind of activity.
        title: the activity's title as announced (e.g. "青年伴读").
        participants: how many people took part in running or attending it.
        people_served: how many residents it reached (leaflets handed out, people
            advised); zero when not counted.
        organiser: who organised it, if not the community office itself.
        location: where it took place.
    """

    kind: ActivityKind
    title: str
    participants: int
    people_served: int = field(default=0)
    organiser: str | None = field(default=None)
    location: str | None = field(default=None)
