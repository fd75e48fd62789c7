"""Events: registration, validation on construction, and upcasting."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

import civicledger
from civicledger import EventDefinitionError, UnknownEventTypeError, ValidationError
from civicledger.events import Codec, EventRegistry, Vocabulary, event, field, upcast


class Outcome(Vocabulary):
    AGREED = "agreed", "达成协议"
    FAILED = "failed", "调解不成"


class Colour(enum.Enum):
    RED = "red"


@pytest.fixture
def registry() -> EventRegistry:
    return EventRegistry()


def define_case(registry: EventRegistry) -> type[civicledger.Event]:
    @event("case_closed", registry=registry)
    class CaseClosed(civicledger.Event):
        """A test event with one field of each supported kind."""

        case_id: str
        parties: int
        outcome: Outcome
        amount: Decimal | None = None
        opened_on: date | None = None
        closed_on: date | None = field(default=None, not_before="opened_on")
        names: tuple[str, ...] = field(default=(), personal=True)
        noted_at: datetime | None = None
        delta: int = field(default=0, signed=True)
        remark: str = field(default="", allow_empty=True)

    return CaseClosed


def valid(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "occurred_on": date(2023, 3, 1),
        "case_id": "M-1",
        "parties": 2,
        "outcome": Outcome.AGREED,
    }
    values.update(overrides)
    return values


def test_registered_class_is_frozen_slotted_and_keyword_only(registry: EventRegistry) -> None:
    """@event turns a plain Event subclass into a frozen, slotted, keyword-only attrs class."""
    cls = define_case(registry)
    instance = cls(**valid())
    assert attrs.has(cls)
    assert "__slots__" in cls.__dict__
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        instance.parties = 3  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        cls(date(2023, 3, 1), "M-1", 2, Outcome.AGREED)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("overrides", "field_name"),
    [
        ({"parties": -1}, "parties"),
        ({"parties": "2"}, "parties"),
        ({"parties": True}, "parties"),
        ({"parties": 2**53}, "parties"),
        ({"case_id": ""}, "case_id"),
        ({"case_id": "   "}, "case_id"),
        ({"case_id": 7}, "case_id"),
        ({"outcome": "agreed_orally"}, "outcome"),
        ({"amount": 1.5}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"occurred_on": datetime(2023, 3, 1, tzinfo=UTC)}, "occurred_on"),
        ({"occurred_on": "2023-03-01"}, "occurred_on"),
        ({"opened_on": date(2023, 3, 2), "closed_on": date(2023, 3, 1)}, "closed_on"),
        ({"names": ["a"]}, "names"),
        ({"names": ("a", "")}, "names[1]"),
        ({"noted_at": datetime(2023, 3, 1)}, "noted_at"),
        ({"noted_at": datetime(2023, 3, 1, tzinfo=timezone(timedelta(hours=8)))}, "noted_at"),
        ({"remark": "\ud800"}, "remark"),
    ],
)
def test_invalid_values_raise_validation_error_naming_the_field(
    registry: EventRegistry, overrides: dict[str, object], field_name: str
) -> None:
    """Each kind of bad value is refused on construction with the type and field named."""
    cls = define_case(registry)
    with pytest.raises(ValidationError) as caught:
        cls(**valid(**overrides))
    assert caught.value.field == field_name
    assert caught.value.event_type == "case_closed"
    assert f"case_closed.{field_name}" in str(caught.value)


def test_missing_and_unknown_fields_are_named(registry: EventRegistry) -> None:
    """A missing required field and an unexpected field both surface as ValidationError."""
    cls = define_case(registry)
    values = valid()
    del values["case_id"]
    with pytest.raises(ValidationError) as missing:
        cls(**values)
    assert missing.value.field == "case_id"
    with pytest.raises(ValidationError) as extra:
        cls(**valid(colour="red"))
    assert extra.value.field == "colour"


def test_allowed_edge_values_are_accepted(registry: EventRegistry) -> None:
    """Signed ints, empty text where allowed, equal start and end dates all pass."""
    cls = define_case(registry)
    cls(**valid(delta=-5, remark="", opened_on=date(2023, 1, 1), closed_on=date(2023, 1, 1)))


def test_user_attrs_validator_errors_become_validation_errors(registry: EventRegistry) -> None:
    """A user's own attrs validator raising ValueError surfaces as ValidationError."""

    def must_be_even(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if value % 2:
            raise ValueError(f"{attribute.name} must be even")

    @event("even_counted", registry=registry)
    @attrs.frozen(kw_only=True)
    class EvenCounted(civicledger.Event):
        count: int = attrs.field(validator=must_be_even)

    with pytest.raises(ValidationError) as caught:
        EvenCounted(occurred_on=date(2023, 1, 1), count=3)
    assert "must be even" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert EvenCounted(occurred_on=date(2023, 1, 1), count=4).count == 4


def test_registering_another_class_under_a_taken_name_fails(registry: EventRegistry) -> None:
    """Two classes cannot share a name and schema version."""
    define_case(registry)
    with pytest.raises(EventDefinitionError, match="already registered"):
        define_case(registry)


def test_registration_needs_an_event_subclass_and_a_good_name(registry: EventRegistry) -> None:
    """Non-Event classes, malformed names and bad versions are refused."""
    with pytest.raises(EventDefinitionError):
        event("plain", registry=registry)(type("Plain", (), {}))  # type: ignore[type-var]
    with pytest.raises(EventDefinitionError):
        event("Meeting Held", registry=registry)
    with pytest.raises(EventDefinitionError):
        event("meeting_held", version=0, registry=registry)


def test_float_annotations_are_refused_at_registration(registry: EventRegistry) -> None:
    """A float field cannot be declared: the canonical form must be unambiguous."""
    with pytest.raises(EventDefinitionError, match="floats are not allowed"):

        @event("weighed", registry=registry)
        class Weighed(civicledger.Event):
            kilograms: float


def test_enum_labels_are_kept_apart_from_stored_values() -> None:
    """A Vocabulary member stores an ASCII key and shows a Chinese label."""
    assert Outcome.AGREED.value == "agreed"
    assert Outcome.AGREED.label == "达成协议"
    assert str(Outcome.AGREED) == "agreed"


def test_plain_enums_are_supported(registry: EventRegistry) -> None:
    """An ordinary Enum field works and is encoded by value."""

    @event("painted", registry=registry)
    class Painted(civicledger.Event):
        colour: Colour

    codec = Codec(registry)
    data = codec.to_dict(Painted(occurred_on=date(2023, 1, 1), colour=Colour.RED))
    assert data["colour"] == "red"
    assert codec.from_dict("painted", 1, data).colour is Colour.RED  # type: ignore[attr-defined]


def test_upcaster_chain_turns_v1_data_into_the_newest_class(registry: EventRegistry) -> None:
    """Stored v1 data decodes through v1→v2→v3 upcasters into the v3 class."""

    @event("visit_made", version=1, registry=registry)
    class VisitMadeV1(civicledger.Event):
        visitor: str

    @event("visit_made", version=3, registry=registry)
    class VisitMade(civicledger.Event):
        visitors: tuple[str, ...]
        households: int

    @upcast("visit_made", from_version=1, registry=registry)
    def split_visitor(data: dict[str, object]) -> dict[str, object]:
        data["visitors"] = [data.pop("visitor")]
        return data

    @upcast("visit_made", from_version=2, registry=registry)
    def add_households(data: dict[str, object]) -> dict[str, object]:
        return {**data, "households": 1}

    codec = Codec(registry)
    decoded = codec.from_dict("visit_made", 1, {"occurred_on": "2023-05-01", "visitor": "王"})
    assert decoded == VisitMade(occurred_on=date(2023, 5, 1), visitors=("王",), households=1)
    assert codec.from_dict("visit_made", 3, codec.to_dict(decoded)) == decoded


def test_missing_upcaster_and_unknown_versions_are_reported(registry: EventRegistry) -> None:
    """A gap in the upcaster chain or a version newer than any class is a clear error."""

    @event("form_filed", version=2, registry=registry)
    class FormFiled(civicledger.Event):
        form: str

    codec = Codec(registry)
    with pytest.raises(UnknownEventTypeError, match="no upcaster"):
        codec.from_dict("form_filed", 1, {"occurred_on": "2023-01-01", "form": "a"})
    with pytest.raises(UnknownEventTypeError, match="no schema version 3"):
        codec.from_dict("form_filed", 3, {"occurred_on": "2023-01-01", "form": "a"})
    with pytest.raises(UnknownEventTypeError, match="unknown event type"):
        codec.from_dict("form_flied", 2, {})


def test_postponed_annotations_are_resolved(registry: EventRegistry) -> None:
    """Classes written with `from __future__ import annotations` get real type checks."""
    cls = define_case(registry)  # this module uses postponed annotations
    with pytest.raises(ValidationError):
        cls(**valid(parties="many"))
