"""Formula injection (issue 17, item 1): exported text stays text, and imports read it back.

A problem description ``=cmd|' /C calc'!A0`` was written to the follow-up and
report XLSX files as a live formula, and CSV exports kept leading ``=``, ``+``,
``-`` and ``@``. Every writer now goes through :mod:`civicledger.sheets`.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger.catalog import RectificationProgressed
from civicledger.followups import problem_stream
from civicledger.ledger import Ledger
from civicledger.sheets import csv_cell, csv_text, read_csv_rows, read_xlsx_rows
from followup_testkit import identified
from report_testkit import small_ledger, write_template

ATTACK = "=cmd|' /C calc'!A0"
LINK = '=HYPERLINK("http://example.invalid/x","点击")'


def hostile_ledger() -> Ledger:
    ledger = Ledger.in_memory()
    ledger.append(
        problem_stream("P1"),
        [
            identified("P1", date(2023, 3, 1), "+SUM(A1:A9)", description=ATTACK),
            RectificationProgressed(
                occurred_on=date(2023, 4, 1), problem_id="P1", note=LINK, evidence="@evil"
            ),
        ],
        actor="clerk",
    )
    return ledger


def test_followup_xlsx_writes_formula_like_text_as_string_cells(tmp_path: Path) -> None:
    """No cell of the exported 整改台账 is a formula; the text is there as written."""
    path = tmp_path / "ledger.xlsx"
    with hostile_ledger() as ledger:
        ledger.export_followups(path, on=date(2023, 12, 31))
    sheet = openpyxl.load_workbook(path)["整改台账"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {ATTACK, LINK, "+SUM(A1:A9)", "@evil"} <= values


def test_followup_csv_prefixes_formula_like_text_and_import_reads_it_back(tmp_path: Path) -> None:
    """CSV cells starting with = + - @ get an apostrophe; importing the export changes nothing."""
    path = tmp_path / "ledger.csv"
    with hostile_ledger() as ledger:
        ledger.export_followups(path, on=date(2023, 12, 31))
        with path.open(encoding="utf-8-sig", newline="") as f:
            cells = {cell for row in csv.reader(f) for cell in row}
        assert {"'" + ATTACK, "'" + LINK, "'+SUM(A1:A9)", "'@evil"} <= cells
        assert ATTACK not in cells
        head = ledger.head()
        assert ledger.import_followups(path, actor="clerk") == []
        assert ledger.head() == head


def test_followup_xlsx_import_of_the_export_changes_nothing(tmp_path: Path) -> None:
    """The XLSX export read back is the ledger as it is: nothing to record."""
    path = tmp_path / "ledger.xlsx"
    with hostile_ledger() as ledger:
        ledger.export_followups(path, on=date(2023, 12, 31))
        assert ledger.import_followups(path, actor="clerk") == []


def test_report_and_indicator_xlsx_hold_no_formula(tmp_path: Path) -> None:
    """The report workbook and the indicator workbook write text as string cells."""
    ledger = small_ledger()
    ledger.append(
        problem_stream("P9"),
        [identified("P9", date(2023, 11, 1), LINK, description=ATTACK)],
        actor="clerk",
    )
    template = write_template(
        tmp_path,
        '[[sections]]\nkey = "p"\nheading = "问题"\n\n  [[sections.items]]\n  kind = "followups"\n',
    )
    report = ledger.report(template, period="2023")
    path = tmp_path / "report.xlsx"
    report.to_xlsx(path)
    book = openpyxl.load_workbook(path)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ATTACK in {c.value for c in cells}


def test_indicator_csv_from_the_cli_prefixes_formula_like_text(tmp_path: Path) -> None:
    """`indicators --format csv` protects a label starting with '=' and keeps numbers plain."""
    from civicledger.reports.tables import write_csv

    path = tmp_path / "figures.csv"
    rows: list[dict[str, object]] = [
        {"indicator": "x", "label": "=1+1", "value": "-3", "unit": "-件"}
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        write_csv(rows, f)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "indicator,label,value,unit",
        "x,'=1+1,-3,'-件",
    ]


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=20))
def test_csv_escaping_round_trips_any_text(text: str) -> None:
    """Reading a cell gives back exactly the text written, and no cell starts a formula."""
    cell = csv_cell(text)
    assert csv_text(str(cell)) == text
    assert isinstance(cell, str)
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(cell)  # only a plain number may start like a formula


# Text XML can hold (XLSX): no control characters but tab and line feed.
xml_text = st.text(
    st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\t\n=+-@'"), max_size=20
)


@given(st.lists(xml_text, min_size=1, max_size=5))
def test_files_written_and_read_round_trip_any_text(cells: list[str]) -> None:
    """A row written to CSV or XLSX by the project's writers reads back unchanged."""
    import tempfile

    cells = ["key", *cells]  # a row that is never empty
    from civicledger.sheets import append_text_row, csv_row

    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "t.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerow(csv_row(cells))
        assert read_csv_rows(csv_path) == [cells]
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        append_text_row(sheet, cells)
        xlsx_path = Path(folder) / "t.xlsx"
        book.save(xlsx_path)
        read = read_xlsx_rows(xlsx_path)
        expected = [None if c == "" else c for c in cells]
        while expected and expected[-1] is None:
            expected.pop()
        assert read == [expected]


@pytest.mark.parametrize("value", ["-3", "+4", "-2.50"])
def test_plain_numbers_are_not_prefixed(value: str) -> None:
    """A signed number is a number, not a formula: it stays as it is."""
    assert csv_cell(value) == value


formula_like = st.text(
    st.sampled_from("=+-@'\t\n") | st.characters(exclude_categories=["Cs", "Cc"]),
    min_size=1,
    max_size=15,
).filter(lambda s: s == s.strip() and bool(s))
one_line_formula_like = formula_like.filter(lambda s: "\n" not in s)  # evidence is one line


@settings(max_examples=25, deadline=None)
@given(description=formula_like, note=formula_like, evidence=one_line_formula_like)
def test_any_text_survives_export_and_import_through_the_ledger(
    description: str, note: str, evidence: str
) -> None:
    """Exported to CSV or XLSX and imported unedited, any texts plan no change."""
    import tempfile

    with Ledger.in_memory() as ledger, tempfile.TemporaryDirectory() as folder:
        ledger.append(
            problem_stream("P1"),
            [
                identified("P1", date(2023, 3, 1), description=description),
                RectificationProgressed(
                    occurred_on=date(2023, 4, 1), problem_id="P1", note=note, evidence=evidence
                ),
            ],
            actor="clerk",
        )
        for name in ("ledger.csv", "ledger.xlsx"):
            path = Path(folder) / name
            ledger.export_followups(path, on=date(2023, 12, 31))
            assert ledger.import_followups(path, actor="clerk") == []
