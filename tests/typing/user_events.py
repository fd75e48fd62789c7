"""Checked by `mypy --strict` in scripts/test: users' event classes type-check.

Not a pytest module: if a type checker stops understanding how ``@event``
builds classes, this file fails the type check.
"""

from __future__ import annotations

from datetime import date

import civicledger
from civicledger.catalog import MeetingBody, MeetingHeld


@civicledger.event("acme.permit_issued")
class PermitIssued(civicledger.Event):
    """A user's own event type."""

    permit: str
    fee_paid: bool = civicledger.field(default=False)


def build() -> list[civicledger.Event]:
    """Constructor calls check field names and types, including the inherited occurred_on."""
    permit = PermitIssued(occurred_on=date(2023, 1, 1), permit="P-1")
    meeting = MeetingHeld(
        occurred_on=date(2023, 1, 6),
        body=MeetingBody.PARTY_COMMITTEE,
        topic="学习",
        attendees=9,
    )
    text: str = permit.permit
    assert text
    return [permit, meeting]
