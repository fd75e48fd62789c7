"""DataFrames and Arrow tables: typed columns that round-trip to the JSON forms."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

from civicledger import (  # noqa: E402
    CivicLedgerError,
    Ledger,
    ValidationError,
    frames,
)
from civicledger.followups import table_rows  # noqa: E402
from civicledger.projections import FigureList, IndicatorSet  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"


@pytest.fixture(scope="module")
def figures(example_ledger: Ledger, example_set: IndicatorSet) -> FigureList:
    """The example's 2023 figures."""
    return example_ledger.indicators(example_set, period="2023")


def _exact(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def test_figure_frame_matches_each_figures_json(figures: FigureList) -> None:
    """Every row holds its figure's JSON value exactly, its period and its event count."""
    frame = figures.to_pandas()
    assert len(frame) == len(figures)
    for (_, row), figure in zip(frame.iterrows(), figures, strict=True):
        data = figure.to_dict()
        assert row["indicator"] == data["indicator"]
        assert row["period"] == data["period"]["key"]
        assert row["start"].date().isoformat() == data["period"]["start"]
        assert row["end"].date().isoformat() == data["period"]["end"]
        assert _exact(row["value"]) == _exact(data["value"])
        assert row["events"] == len(figure.event_ids())
        for field, value in data["group"].items():
            assert row[f"group_{field}"] == value


def test_figure_frame_dtypes_are_typed(figures: FigureList) -> None:
    """Dates are datetime64, counts Int64, values exact Decimals or, when asked, floats."""
    frame = figures.to_pandas()
    assert str(frame["start"].dtype).startswith("datetime64")
    assert frame["events"].dtype == pd.Int64Dtype()
    assert frame["value"].dtype == object
    assert all(isinstance(v, Decimal) for v in frame["value"] if v is not None)
    hours = frame.loc[frame["indicator"] == "volunteer.hours", "value"].item()
    assert hours == Decimal("2964.5")
    floats = figures.to_pandas(decimals="float")
    assert floats["value"].dtype == "float64"
    assert floats.loc[floats["indicator"] == "volunteer.hours", "value"].item() == 2964.5


def test_arrow_schema_keeps_decimals_and_dates(figures: FigureList) -> None:
    """The Arrow table has date32 periods, int64 counts and a decimal128 value column."""
    schema = figures.to_arrow().schema
    assert schema.field("start").type == pa.date32()
    assert schema.field("events").type == pa.int64()
    assert pa.types.is_decimal(schema.field("value").type)


def test_an_unknown_decimals_choice_is_refused(figures: FigureList) -> None:
    """decimals must be exact or float, and the error names the argument."""
    with pytest.raises(ValidationError, match="decimals must be 'exact' or 'float'") as info:
        figures.to_pandas(decimals="round")  # type: ignore[arg-type]
    assert info.value.field == "decimals"


def test_series_frame_matches_the_series_json(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """One row per step with its value and the year-earlier value from the JSON form."""
    series = example_ledger.series(
        example_set["volunteer.participants"], "2023-H2", by="month", previous_year=True
    )
    frame = series.to_pandas()
    data = series.to_dict()
    assert list(frame["step"]) == [1, 2, 3, 4, 5, 6]
    assert list(frame["period"]) == [f["period"]["key"] for f in data["figures"]]
    assert [_exact(v) for v in frame["value"]] == [_exact(f["value"]) for f in data["figures"]]
    assert list(frame["previous_period"]) == [f["period"]["key"] for f in data["previous"]]
    assert frame["value"].dtype == pd.Int64Dtype()
    assert series.to_arrow().num_rows == 6


def test_lineage_frame_has_one_row_per_contribution(figures: FigureList) -> None:
    """Each contribution of each figure (through a ratio's parts) is one row."""
    frame = figures.lineage_to_pandas()
    expected = []
    for figure in figures:
        data = figure.to_dict()
        for part in (data, data["numerator"] or {}, data["denominator"] or {}):
            expected += [(data["indicator"], c["event_id"]) for c in part.get("contributions", [])]
    assert sorted(zip(frame["indicator"], frame["event_id"], strict=True)) == sorted(expected)
    assert str(frame["occurred_on"].dtype).startswith("datetime64")
    ratio = frame[frame["indicator"] == "mediation.success_rate"]
    assert set(ratio["part"]) == {"numerator", "denominator"}


def _json_cell(value: Any) -> Any:
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        return list(value)
    return value


def test_event_frame_matches_the_exported_json_lines(
    example_ledger: Ledger, tmp_path: Path
) -> None:
    """Every payload field in the frame equals the exported JSON Lines payload value."""
    example_ledger.export_jsonl(tmp_path / "out.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    frame = example_ledger.events_frame()
    assert list(frame["event_id"]) == [line["event_id"] for line in lines]
    for (_, row), line in zip(frame.iterrows(), lines, strict=True):
        assert row["type"] == line["type"]
        for field, value in line["payload"].items():
            if field == "occurred_on":
                assert row["occurred_on"].date().isoformat() == value
            else:
                cell = _json_cell(row[f"payload.{field}"])
                if isinstance(cell, Decimal):  # one scale per column: 2 reads as 2.0
                    assert cell == Decimal(value), (line["event_id"], field)
                else:
                    assert cell == value, (line["event_id"], field)


def test_event_frame_types_payload_columns(example_ledger: Ledger) -> None:
    """Payload counts are Int64, flags boolean, hours exact Decimals, times UTC."""
    frame = example_ledger.events_frame(["volunteer_cleanup_held"])
    assert set(frame["type"]) == {"volunteer_cleanup_held"}
    assert frame["payload.volunteers"].dtype == pd.Int64Dtype()
    assert all(isinstance(v, Decimal) for v in frame["payload.hours"])
    assert str(frame["recorded_at"].dtype) == "datetime64[us, UTC]"
    table = example_ledger.events_table(["volunteer_cleanup_held"])
    assert pa.types.is_decimal(table.schema.field("payload.hours").type)


def test_a_redacted_field_is_null_and_named() -> None:
    """After a redaction the erased value is null and the row lists the field."""
    from civicledger.catalog import KeyPersonCategory, KeyPersonVisited

    ledger = Ledger.in_memory()
    (record,) = ledger.append(
        "visits",
        [
            KeyPersonVisited(
                occurred_on=date(2023, 3, 1),
                person_id="P1",
                category=KeyPersonCategory.COMMUNITY_CORRECTION,
                visitor="王",
            )
        ],
        actor="clerk",
    )
    ledger.redact(record.event_id, fields=["visitor"], reason="request", actor="dpo")
    frame = ledger.events_frame(["key_person_visited"])
    assert frame["payload.visitor"].isna().all()
    assert list(frame["redacted"].iloc[0]) == ["visitor"]
    assert frame["payload.category"].iloc[0] == "community_correction"


def test_followup_frame_matches_the_ledger_sheet(example_ledger: Ledger) -> None:
    """Each follow-up row agrees with the exported sheet's text row; dates are dates."""
    frame = example_ledger.followups_frame("2023")
    sheet = table_rows(example_ledger.followups("2023"))
    assert list(frame["problem_id"]) == [r["problem_id"] for r in sheet]
    for (_, row), text in zip(frame.iterrows(), sheet, strict=True):
        assert row["status_label"] == text["status"]
        assert ("" if pd.isna(row["percent"]) else str(row["percent"])) == text["percent"]
        due = "" if pd.isna(row["due_on"]) else row["due_on"].date().isoformat()
        assert due == text["due_on"] or (due == "" and text["due_on"] in ("长期坚持", ""))
        closed = "" if pd.isna(row["closed_on"]) else row["closed_on"].date().isoformat()
        assert closed == text["closed_on"]
    assert str(frame["closed_on"].dtype).startswith("datetime64")
    assert frame["overdue"].dtype == pd.BooleanDtype()


def test_an_empty_table_keeps_its_column_types() -> None:
    """No figures still give typed columns, so code written against them keeps working."""
    schema = frames.figure_table([]).schema
    assert schema.field("start").type == pa.date32()
    assert frames.event_table([]).schema.field("recorded_at").type == pa.timestamp("us", tz="UTC")


def test_without_pandas_the_error_names_the_extra(
    figures: FigureList, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing pandas is one clear error telling how to install the extra."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(CivicLedgerError, match=r"pip install 'civicledger\[frames\]'"):
        figures.to_pandas()


def test_the_core_never_imports_pandas_or_pyarrow(tmp_path: Path) -> None:
    """Opening a ledger, computing figures and a series loads neither library."""
    script = (
        "import sys\n"
        "from civicledger import Ledger\n"
        "from civicledger.indicators import load\n"
        f"ledger = Ledger.open('sqlite:///{tmp_path / 'x.db'}')\n"
        f"s = load({str(EXAMPLE / 'indicators.toml')!r})\n"
        "ledger.indicators(s, period='2023'); ledger.series(s, '2023', by='quarter')\n"
        "import civicledger.reports, civicledger.followups, civicledger.cli\n"
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    assert result.stdout.decode().strip() == "[]"
