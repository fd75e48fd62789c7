"""Properties of the codec: round trips, key-order stability, fast path = reference."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

import civicledger
from civicledger.events import Codec, EventRegistry, Vocabulary, canonical_bytes, event
from civicledger.events.fields import MAX_SAFE_INTEGER


class Kind(Vocabulary):
    A = "kind_a", "甲"
    B = "kind_b", "乙"


REGISTRY = EventRegistry()
CODEC = Codec(REGISTRY)


@event("sample_recorded", registry=REGISTRY)
class SampleRecorded(civicledger.Event):
    text: str
    count: int
    kind: Kind
    flag: bool
    amount: Decimal | None
    at: datetime | None
    names: tuple[str, ...]


texts = st.text(min_size=1).filter(lambda s: bool(s.strip()))
# The whole range a datetime holds: years below 1000 once encoded to text that could
# not be decoded (four-digit years are the format).
timestamps = st.datetimes(timezones=st.just(UTC))
samples = st.builds(
    SampleRecorded,
    occurred_on=st.dates(),
    text=texts,
    count=st.integers(min_value=0, max_value=MAX_SAFE_INTEGER),
    kind=st.sampled_from(Kind),
    flag=st.booleans(),
    amount=st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    at=st.none() | timestamps,
    names=st.lists(texts, max_size=3).map(tuple),
)

# JSON values inside the fast path's domain: what encoded payloads are made of.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=("Cs",)))
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(max_codepoint=127)), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(samples)
def test_event_round_trips_through_dict_and_canonical_bytes(sample: SampleRecorded) -> None:
    """object → dict → canonical bytes → JSON → object is the identity."""
    data = CODEC.to_dict(sample)
    decoded = CODEC.from_dict("sample_recorded", 1, json.loads(canonical_bytes(data)))
    assert decoded == sample
    assert canonical_bytes(CODEC.to_dict(decoded)) == canonical_bytes(data)


@given(samples, st.randoms())
def test_canonical_bytes_ignore_key_order(sample: SampleRecorded, rnd: object) -> None:
    """Reordering a payload's keys never changes its canonical bytes."""
    data = CODEC.to_dict(sample)
    keys = list(data)
    rnd.shuffle(keys)  # type: ignore[attr-defined]
    assert canonical_bytes({k: data[k] for k in keys}) == canonical_bytes(data)


@given(json_values)
def test_fast_path_matches_the_rfc8785_reference(value: object) -> None:
    """Over the payload domain, the orjson fast path gives the reference encoder's bytes."""
    assert canonical_bytes(value) == rfc8785.dumps(value)


@given(
    st.dictionaries(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=3), json_scalars, max_size=4
    )
)
def test_non_ascii_keys_sort_like_the_reference(value: dict[str, object]) -> None:
    """Objects with any keys (outside the fast path) still encode as RFC 8785 says."""
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_canonical_bytes_are_stable_across_processes() -> None:
    """A fresh interpreter (new hash seed) produces the same bytes and digest."""
    value = {"z": [1, "二", None], "a": {"y": True, "b": "x"}}
    script = (
        "import hashlib, sys; from civicledger.events import canonical_bytes; "
        "print(hashlib.sha256(canonical_bytes(" + repr(value) + ")).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in (1, 2)
    }
    assert digests == {hashlib.sha256(canonical_bytes(value)).hexdigest()}


@given(samples)
def test_compiled_encoder_matches_cattrs_unstructuring(sample: SampleRecorded) -> None:
    """The per-class encoder used on every append gives cattrs' reference encoding."""
    assert CODEC.to_dict(sample) == CODEC.reference_dict(sample)
    assert list(CODEC.to_dict(sample)) == list(CODEC.reference_dict(sample))
    assert CODEC.payload_bytes(sample) == rfc8785.dumps(CODEC.reference_dict(sample))


@given(st.data())
def test_compiled_encoder_matches_cattrs_for_every_catalog_type(data: st.DataObject) -> None:
    """For every catalog type, the fast encoder and payload bytes equal the reference."""
    from civicledger.events import default_codec
    from civicledger.testing.strategies import catalog_events

    codec = default_codec()
    instance = data.draw(catalog_events())
    assert codec.to_dict(instance) == codec.reference_dict(instance)
    assert codec.payload_bytes(instance) == rfc8785.dumps(codec.reference_dict(instance))


@given(st.data())
def test_stored_decoder_matches_the_full_decoder(data: st.DataObject) -> None:
    """Decoding a recorded payload the fast way gives what from_dict gives, for every type."""
    from civicledger.events import default_codec
    from civicledger.testing.strategies import catalog_events

    codec = default_codec()
    instance = data.draw(catalog_events())
    name, version = type(instance).__event_type__, type(instance).__schema_version__
    stored = json.loads(codec.payload_bytes(instance))
    assert codec.from_stored(name, version, stored) == codec.from_dict(name, version, stored)
    assert codec.from_stored(name, version, stored) == instance


def test_stored_decoder_hands_bad_data_to_the_full_decoder() -> None:
    """A stored payload with a missing or mistyped field gets from_dict's named error."""
    import pytest

    from civicledger import ValidationError

    sample = SampleRecorded(
        occurred_on=date(2023, 1, 1),
        text="x",
        count=1,
        kind=Kind.A,
        flag=True,
        amount=None,
        at=None,
        names=(),
    )
    stored = json.loads(CODEC.payload_bytes(sample))
    with pytest.raises(ValidationError) as missing:
        CODEC.from_stored("sample_recorded", 1, {k: v for k, v in stored.items() if k != "count"})
    assert missing.value.field == "count"
    with pytest.raises(ValidationError) as mistyped:
        CODEC.from_stored("sample_recorded", 1, {**stored, "count": "1"})
    assert mistyped.value.field == "count"


def _outcome(decode: object, name: str, version: int, data: object) -> object:
    """What a decoder makes of the data: the event, or the error's class, message and field."""
    from civicledger import ValidationError

    try:
        decoded = decode(name, version, data)  # type: ignore[operator]
        return (decoded, repr(decoded))  # repr tells 1 from True and 1.5 from 1.50
    except ValidationError as e:
        return (type(e), e.message, e.field, e.event_type, e.event_id)


@given(st.data())
def test_new_decoder_matches_the_reference_for_every_catalog_type(data: st.DataObject) -> None:
    """from_dict (the per-class decoder, then the event's checks) gives cattrs' event."""
    from civicledger.events import default_codec
    from civicledger.testing.strategies import catalog_events

    codec = default_codec()
    instance = data.draw(catalog_events())
    name, version = type(instance).__event_type__, type(instance).__schema_version__
    payload = json.loads(codec.payload_bytes(instance))
    assert codec.from_dict(name, version, payload) == instance
    assert codec.reference_from_dict(name, version, payload) == instance


# A value that may take the place of a field's: any JSON, or one of the forms a field's
# parser has to tell apart (texts that look like dates, decimals or timestamps, bools and
# integers, empty or blank text, lists of the wrong items).
field_replacements = st.one_of(
    json_values,
    st.sampled_from(
        [
            "",
            " ",
            "2023-01-01",
            "2023-02-30",
            "2023-W01-1",
            "20230101",
            "2023-01-01\n",
            "٢٠٢٣-٠١-٠١",
            "12.50",
            "-0.5",
            "1e3",
            "1.5\n",
            "١٢",
            "NaN",
            "2023-01-01T00:00:00.000000Z",
            "2023-01-01T00:00:00Z",
            0,
            -1,
            1,
            True,
            False,
            1.5,
            None,
            [],
            [""],
            ["a", 1],
        ]
    ),
)


@given(st.data())
def test_new_decoder_fails_exactly_like_the_reference(data: st.DataObject) -> None:
    """On a payload with one field replaced, removed, added or renamed, from_dict and the
    reference decode the same event or raise the same error (class, message, field);
    from_stored raises only the reference's errors."""
    from civicledger.events import default_codec
    from civicledger.testing.strategies import catalog_events

    codec = default_codec()
    instance = data.draw(catalog_events())
    name, version = type(instance).__event_type__, type(instance).__schema_version__
    payload = json.loads(codec.payload_bytes(instance))
    change = data.draw(st.sampled_from(["replace", "remove", "add", "rename"]))
    key = data.draw(st.sampled_from(sorted(payload)))
    if change == "replace":
        payload[key] = data.draw(field_replacements)
    elif change == "remove":
        del payload[key]
    elif change == "add":
        payload[data.draw(st.text(max_size=8))] = data.draw(field_replacements)
    else:  # as many keys as fields, one of them not a field
        payload[data.draw(st.text(max_size=8))] = payload.pop(key)
    reference = _outcome(codec.reference_from_dict, name, version, payload)
    assert _outcome(codec.from_dict, name, version, payload) == reference
    stored = _outcome(codec.from_stored, name, version, payload)
    if not isinstance(reference[0], type) or isinstance(stored[0], type):
        # A payload the full checks accept decodes to the same event from storage, and
        # one the stored decoder refuses gets the reference's error. (The stored decoder
        # skips the constraints, so it may accept what the reference refuses.)
        assert stored == reference


@given(samples, st.sampled_from(["text", "count", "kind", "flag", "amount", "at", "names"]))
def test_new_decoder_fails_like_the_reference_for_every_field_type(
    sample: SampleRecorded, key: str
) -> None:
    """The sample type covers decimals and timestamps: each field replaced by wrong values."""
    payload = json.loads(CODEC.payload_bytes(sample))
    for value in ["", "x", "12.50", "1e3", "2023-01-01T00:00:00Z", 1, -1, True, None, 1.5, ["x"]]:
        wrong = {**payload, key: value}
        reference = _outcome(CODEC.reference_from_dict, "sample_recorded", 1, wrong)
        assert _outcome(CODEC.from_dict, "sample_recorded", 1, wrong) == reference


def test_decoders_follow_a_new_schema_version() -> None:
    """A codec that decoded a type's version 1 as the newest upcasts it once a version 2
    is registered: its cache of fast decoders belongs to one registry generation."""
    registry = EventRegistry()
    codec = Codec(registry)

    @event("permit_issued", registry=registry)
    class PermitV1(civicledger.Event):
        holder: str

    data = {"occurred_on": "2023-01-01", "holder": "A"}
    assert codec.from_stored("permit_issued", 1, dict(data)) == PermitV1(
        occurred_on=date(2023, 1, 1), holder="A"
    )
    assert type(codec.from_dict("permit_issued", 1, dict(data))) is PermitV1

    @event("permit_issued", version=2, registry=registry)
    class PermitV2(civicledger.Event):
        holder: str
        office: str

    civicledger.upcast("permit_issued", from_version=1, registry=registry)(
        lambda d: {**d, "office": "unknown"}
    )
    expected = PermitV2(occurred_on=date(2023, 1, 1), holder="A", office="unknown")
    assert codec.from_stored("permit_issued", 1, dict(data)) == expected
    assert codec.from_dict("permit_issued", 1, dict(data)) == expected


def test_classes_whose_init_does_more_than_assign_are_built_by_it() -> None:
    """A class with cache_hash (its __init__ also clears the cached hash) decodes through
    its own __init__, on both the stored and the new path (catalog classes with a
    post-init hook are covered by the properties above)."""
    registry = EventRegistry()
    codec = Codec(registry)

    @event("hashed_note", registry=registry)
    @attrs.frozen(kw_only=True, cache_hash=True)
    class HashedNote(civicledger.Event):
        text: str

    data = {"occurred_on": "2023-01-01", "text": "a"}
    expected = HashedNote(occurred_on=date(2023, 1, 1), text="a")
    for decoded in (
        codec.from_stored("hashed_note", 1, dict(data)),
        codec.from_dict("hashed_note", 1, dict(data)),
    ):
        assert decoded == expected
        assert hash(decoded) == hash(expected)


@attrs.frozen
class Place:
    """A nested value object, at module level so that event annotations resolve it."""

    value: str
    built_on: date | None = None


def test_the_generated_encoder_reads_fields_named_like_its_own_locals() -> None:
    """Each class's encoder is generated source (``fastpath.object_encoder``): fields named
    like the names it uses itself (``value``, ``encode_0``), a nested value object, a tuple
    of them and a class whose fields live in ``__dict__`` encode as the reference does."""
    registry = EventRegistry()

    @event("odd_names", registry=registry)
    @attrs.frozen(kw_only=True, slots=False)
    class OddNames(civicledger.Event):
        value: int
        encode_0: str
        place: Place
        places: tuple[Place, ...] = ()
        amount: Decimal | None = None

    instance = OddNames(
        occurred_on=date(2023, 1, 1),
        value=3,
        encode_0="x",
        place=Place("楼", date(1998, 5, 1)),
        places=(Place("a"), Place("b", date(2001, 1, 2))),
        amount=Decimal("1.50"),
    )
    codec = Codec(registry)
    encoded = codec.to_dict(instance)
    assert encoded == codec.reference_dict(instance)
    assert list(encoded) == list(codec.reference_dict(instance))
    assert encoded["place"] == {"value": "楼", "built_on": "1998-05-01"}
    assert codec.from_dict("odd_names", 1, encoded) == instance


def test_classes_whose_fields_are_not_slots_are_built_by_their_init() -> None:
    """The fast decoders set fields through their slots' descriptors; a class declared
    with ``slots=False`` keeps its fields in ``__dict__`` and is built by its ``__init__``."""
    registry = EventRegistry()
    codec = Codec(registry)

    @event("loose_note", registry=registry)
    @attrs.frozen(kw_only=True, slots=False)
    class LooseNote(civicledger.Event):
        text: str
        pages: int | None = None

    data = {"occurred_on": "2023-01-01", "text": "a", "pages": 2}
    expected = LooseNote(occurred_on=date(2023, 1, 1), text="a", pages=2)
    for decoded in (
        codec.from_stored("loose_note", 1, dict(data)),
        codec.from_dict("loose_note", 1, dict(data)),
    ):
        assert decoded == expected
        assert repr(decoded) == repr(expected)
        assert decoded.__dict__ == {"text": "a", "pages": 2}
