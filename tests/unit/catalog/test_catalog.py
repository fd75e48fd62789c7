"""The civic catalog: validation rules, personal-data marking, vocabularies, stream names."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

from civicledger import ValidationError, Vocabulary, catalog
from civicledger.catalog import vocabularies
from civicledger.events import Event, from_dict, is_personal
from civicledger.testing.strategies import catalog_strategies

DAY = date(2023, 6, 2)


def meeting(**changes: Any) -> catalog.MeetingHeld:
    fields: dict[str, Any] = {
        "occurred_on": DAY,
        "body": catalog.MeetingBody.PARTY_COMMITTEE,
        "topic": "研究月度工作",
        "attendees": 7,
    }
    return catalog.MeetingHeld(**(fields | changes))


def test_negative_attendee_count_is_refused() -> None:
    """A meeting with a negative attendee count raises ValidationError naming the field."""
    with pytest.raises(ValidationError) as caught:
        meeting(attendees=-1)
    assert caught.value.field == "attendees"


def test_unknown_body_is_refused_when_decoding() -> None:
    """A stored body outside the vocabulary is refused, listing the allowed values."""
    with pytest.raises(ValidationError, match="party_committee"):
        from_dict(
            "meeting_held",
            1,
            {
                "occurred_on": "2023-06-02",
                "body": "book_club",
                "topic": "t",
                "attendees": 1,
                "location": None,
                "branch": None,
            },
        )


def test_failed_inspection_needs_a_finding() -> None:
    """An inspection that failed without saying why is refused."""
    with pytest.raises(ValidationError) as caught:
        catalog.InspectionFailed(
            occurred_on=DAY,
            level=catalog.InspectionLevel.CITY,
            checkpoint="育才小学",
            checkpoint_kind=catalog.CheckpointKind.SCHOOL,
            findings=(),
        )
    assert caught.value.field == "findings"


def test_rectification_deadline_cannot_precede_the_inspection() -> None:
    """A failed inspection's rectify_by date must not be before the inspection."""
    with pytest.raises(ValidationError) as caught:
        catalog.InspectionFailed(
            occurred_on=DAY,
            level=catalog.InspectionLevel.DISTRICT,
            checkpoint="兴华路商圈",
            checkpoint_kind=catalog.CheckpointKind.BUSINESS_DISTRICT,
            findings=("垃圾桶满溢",),
            rectify_by=date(2023, 6, 1),
        )
    assert caught.value.field == "rectify_by"


def test_mediation_cannot_open_after_it_completed() -> None:
    """A mediation whose opened_on is after its completion date is refused."""
    with pytest.raises(ValidationError) as caught:
        catalog.MediationCompleted(
            occurred_on=DAY,
            case_id="TJ2023-001",
            dispute_kind=catalog.DisputeKind.NEIGHBOURHOOD,
            parties=2,
            outcome=catalog.MediationOutcome.ORAL_AGREEMENT,
            opened_on=date(2023, 6, 3),
        )
    assert caught.value.field == "opened_on"


def test_assistance_review_cannot_decide_more_households_than_it_reviewed() -> None:
    """Approved plus discontinued households may not exceed the households reviewed."""
    with pytest.raises(ValidationError, match="exceeds"):
        catalog.AssistanceReviewed(
            occurred_on=DAY,
            scheme=catalog.AssistanceScheme.MINIMUM_LIVING_ALLOWANCE,
            households_reviewed=10,
            households_approved=9,
            households_discontinued=2,
        )


def test_cleanup_hours_are_decimal_and_give_volunteer_hours() -> None:
    """Cleanup hours are a Decimal (never a float), and volunteer hours multiply by volunteers."""
    cleanup = catalog.VolunteerCleanupHeld(
        occurred_on=DAY, area="建设家属院", volunteers=20, hours=Decimal("1.5")
    )
    assert cleanup.volunteer_hours() == Decimal("30.0")
    with pytest.raises(ValidationError):
        catalog.VolunteerCleanupHeld(occurred_on=DAY, area="建设家属院", volunteers=20, hours=1.5)  # type: ignore[arg-type]


def test_mediation_outcomes_say_which_are_successful() -> None:
    """Written and oral agreements count as successful mediations; a failed one does not."""
    outcome = catalog.MediationOutcome
    assert [o.successful for o in outcome] == [True, True, False]


PERSONAL = {
    ("member_household_contact_assigned", "member_id"),
    ("member_household_contact_assigned", "household_ids"),
    ("member_household_contact_ended", "member_id"),
    ("member_household_contact_ended", "household_ids"),
    ("household_visited", "member_id"),
    ("household_visited", "household_id"),
    ("household_visited", "concern"),
    ("organisation_registered", "leader"),
    ("mediation_completed", "mediator"),
    ("key_person_visited", "person_id"),
    ("key_person_visited", "visitor"),
    ("key_person_visited", "note"),
    ("assistance_provided", "household_id"),
    ("elderly_allowance_certified", "resident_id"),
    ("narrative_note_recorded", "author"),
    ("rectification_planned", "owner"),
}


def test_fields_naming_people_are_marked_personal() -> None:
    """Exactly the fields that identify people (ids, names) are declared personal."""
    marked = {
        (cls.__event_type__, a.name)
        for cls in catalog.ALL_EVENT_TYPES
        for a in attrs.fields(cls)
        if is_personal(a)
    }
    assert marked == PERSONAL


def test_every_catalog_docstring_says_when_to_record_the_event() -> None:
    """Each catalog type's docstring begins with 'Record'."""
    for cls in catalog.ALL_EVENT_TYPES:
        assert (cls.__doc__ or "").startswith("Record"), cls.__name__


def test_type_names_are_snake_case_past_tense() -> None:
    """Stored type names are snake_case and end in a past participle."""
    for cls in catalog.ALL_EVENT_TYPES:
        name = cls.__event_type__
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", name), name
        assert name.endswith(("ed", "held", "over", "_done")), name


def test_vocabularies_store_ascii_keys_and_show_chinese_labels() -> None:
    """Every vocabulary member stores an ASCII key and carries a Chinese label."""
    found = [
        v
        for v in vars(vocabularies).values()
        if isinstance(v, type) and issubclass(v, Vocabulary) and v is not Vocabulary
    ]
    assert len(found) >= 10
    for vocabulary in found:
        for member in vocabulary:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", member.value), member
            assert re.search(r"[\u4e00-\u9fff]", member.label), member


@pytest.mark.parametrize(
    ("event", "stream"),
    [
        (meeting(), "meetings/party_committee"),
        (
            catalog.OrganisationRenamed(
                occurred_on=DAY,
                organisation_id="ORG-01",
                kind=catalog.OrganisationKind.SELF_MANAGED_GROUP,
                name="文明风尚宣传队",
                previous_name="模特队",
            ),
            "org/ORG-01",
        ),
        (
            catalog.MemberHouseholdContactAssigned(
                occurred_on=DAY, member_id="M0001", in_service=True, household_ids=("H00001",)
            ),
            "party/contact",
        ),
        (
            catalog.ProblemReopened(occurred_on=DAY, problem_id="2023-04", reason="回头看发现漏登"),
            "problem/2023-04",
        ),
    ],
)
def test_default_stream_follows_the_convention(event: Any, stream: str) -> None:
    """default_stream names streams by thing or topic, never by a person's id."""
    assert catalog.default_stream(event) == stream


@pytest.mark.parametrize(
    "cls", catalog.ALL_EVENT_TYPES, ids=[c.__event_type__ for c in catalog.ALL_EVENT_TYPES]
)
def test_every_catalog_type_has_a_stream_rule(cls: type[Event]) -> None:
    """No catalog type falls through to the generic events/<type> stream."""

    @settings(max_examples=3)
    @given(catalog_strategies()[cls])
    def check(instance: Event) -> None:
        assert not catalog.default_stream(instance).startswith("events/")

    check()
