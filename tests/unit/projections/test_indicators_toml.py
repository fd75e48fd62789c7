"""Indicator sets in TOML: loading, saving, and errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicledger import ProjectionError, ValidationError
from civicledger import indicators as ind
from civicledger.projections import CountDistinct, Indicator, IndicatorSet, Ratio, Sum

GOOD = """\
title = "测试"

[[indicator]]
id = "a.meetings"
label = "会议"
unit = "次"
source = ["ptest.meeting_held"]
where = 'body == "committee" and attendees >= 3'

[[indicator]]
id = "a.people"
label = "人数"
unit = "人"
source = ["ptest.meeting_held"]
measure = { sum = "attendees * hours" }

[[indicator]]
id = "a.groups"
label = "群"
unit = "个"
source = ["ptest.group_opened"]
where = { kind = "a" }
measure = { count_distinct = "group_id", removed_by = ["ptest.group_closed"] }
state = true
group_by = ["kind"]
period = "quarter"

[[indicator]]
id = "a.share"
label = "占比"
unit = "%"
measure = { ratio = ["a.meetings", "a.people"], factor = 1000, decimals = 1 }

[[rule]]
id = "a.sane"
check = "a.meetings <= a.people"
description = "fewer meetings than people"
"""


def test_load_reads_every_part_of_an_indicator(tmp_path: Path) -> None:
    """Source, filter, measures, stock flag, grouping, period and rules all load."""
    path = tmp_path / "indicators.toml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = ind.load(path)
    assert loaded.title == "测试"
    assert loaded.ids() == ("a.meetings", "a.people", "a.groups", "a.share")
    groups = loaded["a.groups"]
    assert groups.measure == CountDistinct("group_id", removed_by=("ptest.group_closed",))
    assert (groups.state, groups.group_by, groups.period) == (True, ("kind",), "quarter")
    assert str(groups.where) == 'kind == "a"'
    assert isinstance(loaded["a.people"].measure, Sum)
    share = loaded["a.share"].measure
    assert isinstance(share, Ratio)
    assert share.resolved
    assert share.numerator == loaded["a.meetings"]
    assert [str(r) for r in loaded.rules] == ["a.meetings <= a.people"]


def test_dump_then_load_gives_an_equal_set() -> None:
    """dumps() writes TOML that loads back to an equal indicator set."""
    loaded = ind.loads(GOOD)
    assert ind.loads(ind.dumps(loaded)) == loaded


def test_a_python_callable_filter_cannot_be_saved() -> None:
    """Saving an indicator with a Python callable filter is refused with a clear message."""
    indicator = Indicator("a.x", "x", "次", source=["t"], where=ind.predicate(lambda r: True))
    with pytest.raises(ProjectionError, match="cannot be saved to TOML"):
        ind.dumps(IndicatorSet((indicator,)))


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (('unit = "次"\n', ""), r"line 3 \(a\.meetings\): missing required key 'unit'"),
        (("where = 'body", "where = 'body =="), r"line 8 \(a\.meetings\): filter .* column"),
        (('period = "quarter"', 'period = "week"'), r"line 26 \(a\.groups\): period 'week'"),
        (("state = true", "state = 1"), r"line 24 \(a\.groups\): state must be true or false"),
        (
            ('{ sum = "attendees * hours" }', '{ avg = "x" }'),
            r"line 15 \(a\.people\): measure table needs exactly one of",
        ),
        (('{ sum = "attendees * hours" }', '{ sum = "a", factor = 2 }'), "sum does not take"),
        (('id = "a.people"', 'id = "a.people"\ncolour = 1'), "unknown key.*colour"),
        (
            ('"a.meetings", "a.people"]', '"a.meetings", "a.nobody"]'),
            "unknown indicator 'a.nobody'",
        ),
        (('id = "a.people"', 'id = "a.meetings"'), "defined twice"),
        (('check = "a.meetings <= a.people"', 'check = "a.meetings"'), "expected a comparison"),
        (('check = "a.meetings <= a.people"', 'check = "a.x <= 1"'), "unknown indicator"),
        (('title = "测试"', "title = [1"), "not valid TOML"),
        (('source = ["ptest.meeting_held"]\nwhere', "where"), "at least one source"),
    ],
)
def test_invalid_files_are_refused_naming_the_line_and_field(
    mutation: tuple[str, str], message: str
) -> None:
    """Each kind of mistake gives a ValidationError naming where it is."""
    old, new = mutation
    assert old in GOOD
    with pytest.raises(ValidationError, match=message):
        ind.loads(GOOD.replace(old, new, 1), source="indicators.toml")


def test_ratios_in_a_cycle_are_refused() -> None:
    """Ratios that refer to each other in a loop are refused."""
    text = """
[[indicator]]
id = "a.x"
label = "x"
unit = "%"
measure = { ratio = ["a.y", "a.y"] }

[[indicator]]
id = "a.y"
label = "y"
unit = "%"
measure = { ratio = ["a.x", "a.x"] }
"""
    with pytest.raises(ValidationError, match="cycle"):
        ind.loads(text)


def test_missing_file_is_a_validation_error(tmp_path: Path) -> None:
    """An unreadable file is reported by name."""
    with pytest.raises(ValidationError, match="cannot read indicator file"):
        ind.load(tmp_path / "absent.toml")


def test_example_indicator_set_loads_and_round_trips() -> None:
    """The example's indicators.toml loads and survives a dump/load round trip."""
    loaded = ind.load(Path("examples/community_2023/indicators.toml"))
    assert "mediation.success_rate" in loaded
    assert ind.loads(ind.dumps(loaded)) == loaded
