"""Every catalog event type survives encode → canonical JSON → decode unchanged."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import civicledger
from civicledger import catalog
from civicledger.events import Codec, EventRegistry, canonical_bytes, default_codec, event
from civicledger.testing.strategies import catalog_strategies, events_of

CODEC = default_codec()


def _round_trip(codec: Codec, instance: civicledger.Event) -> civicledger.Event:
    data = codec.to_dict(instance)
    decoded_json = json.loads(canonical_bytes(data))
    return codec.from_dict(
        type(instance).__event_type__, type(instance).__schema_version__, decoded_json
    )


def _shuffled(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        items = list(data.items())
        rng.shuffle(items)
        return {key: _shuffled(value, rng) for key, value in items}
    if isinstance(data, list):
        return [_shuffled(value, rng) for value in data]
    return data


@pytest.mark.parametrize(
    "cls", catalog.ALL_EVENT_TYPES, ids=[c.__event_type__ for c in catalog.ALL_EVENT_TYPES]
)
def test_catalog_type_round_trips_through_canonical_json(cls: type[civicledger.Event]) -> None:
    """An event of each catalog type decodes from its canonical JSON to an equal event."""

    @given(catalog_strategies()[cls])
    def check(instance: civicledger.Event) -> None:
        decoded = _round_trip(CODEC, instance)
        assert decoded == instance
        assert canonical_bytes(CODEC.to_dict(decoded)) == canonical_bytes(CODEC.to_dict(instance))

    check()


@given(st.data())
def test_canonical_bytes_do_not_depend_on_key_order(data: st.DataObject) -> None:
    """Reordering the keys of an encoded catalog event leaves its canonical bytes unchanged."""
    cls = data.draw(st.sampled_from(catalog.ALL_EVENT_TYPES))
    instance = data.draw(catalog_strategies()[cls])
    encoded = CODEC.to_dict(instance)
    reordered = _shuffled(encoded, random.Random(data.draw(st.integers(0, 2**32))))
    assert canonical_bytes(reordered) == canonical_bytes(encoded)


def test_catalog_lists_every_registered_catalog_type() -> None:
    """ALL_EVENT_TYPES holds each catalog class once and every one is registered by name."""
    names = [cls.__event_type__ for cls in catalog.ALL_EVENT_TYPES]
    assert len(names) == len(set(names))
    registered = civicledger.events.default_registry().type_names()
    assert set(names) <= set(registered)
    for name in names:
        assert name.islower()


# A user's own event type, in its own registry, with a nested value class.
USER_REGISTRY = EventRegistry()
USER_CODEC = Codec(USER_REGISTRY)


@attrs.frozen(kw_only=True)
class Address:
    street: str
    number: int


@event("acme.permit_issued", registry=USER_REGISTRY)
class PermitIssued(civicledger.Event):
    permit_id: uuid.UUID
    holder: str = civicledger.field(personal=True)
    fee: Decimal
    balance: int = civicledger.field(signed=True)
    remark: str = civicledger.field(allow_empty=True)
    issued_at: datetime | None
    address: Address
    tags: tuple[str, ...]
    valid_from: datetime
    valid_to: datetime


@given(events_of(PermitIssued))
def test_strategies_build_valid_events_of_user_defined_types(permit: PermitIssued) -> None:
    """events_of builds valid instances of a user's type, which then round-trip."""
    assert permit.valid_to >= permit.valid_from
    assert _round_trip(USER_CODEC, permit) == permit
