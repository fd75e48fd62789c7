"""Export the rectification ledger to CSV/XLSX, edit it, and import the edits back."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from civicledger.errors import ValidationError
from civicledger.followups import COLUMNS, FollowUpStatus, problem_stream
from civicledger.ledger import Ledger
from followup_testkit import sample_events

S = FollowUpStatus
AS_OF = date(2024, 6, 30)
HEADERS = [c.header for c in COLUMNS]


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory() as ledger:
        for event in sample_events():
            ledger.append(problem_stream(event.problem_id), [event], actor="clerk")  # type: ignore[attr-defined]
        yield ledger


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)


def edit(rows: list[list[str]], row: int, **cells: str) -> None:
    """Set cells of a data row (1 = the first data row) by English column key."""
    keys = [c.key for c in COLUMNS]
    for key, value in cells.items():
        rows[row][keys.index(key)] = value


def exported(ledger: Ledger, tmp_path: Path) -> tuple[Path, list[list[str]]]:
    path = tmp_path / "ledger.csv"
    ledger.export_followups(path, on=AS_OF)
    return path, read_csv(path)


def test_csv_export_uses_the_office_headers_and_one_row_per_problem(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The CSV has the Chinese headers in order and the status labels offices use."""
    _, rows = exported(ledger, tmp_path)
    assert rows[0] == HEADERS
    assert rows[0][:1] + rows[0][2:4] == ["序号", "问题来源", "问题描述"]
    assert [r[HEADERS.index("整改状态")] for r in rows[1:]] == [
        "长期坚持",
        "已销号",
        "正在整改",
        "正在整改",
    ]
    second = dict(zip(HEADERS, rows[2], strict=True))
    assert second["整改措施"] == "M1. 措施M1\nM2. 措施M2"
    assert (second["责任人"], second["责任单位"]) == ("李某", "社区党委、社区居委会")
    assert (second["整改时限"], second["销号日期"], second["是否逾期"]) == (
        "2024-05-31",
        "2024-06-15",
        "否",
    )
    assert dict(zip(HEADERS, rows[1], strict=True))["整改时限"] == "2024-03-31"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unedited_export_imports_as_no_change(
    ledger: Ledger, tmp_path: Path, suffix: str
) -> None:
    """Export then import without edits records nothing."""
    path = tmp_path / f"ledger{suffix}"
    ledger.export_followups(path, on=AS_OF)
    head = ledger.head()
    assert ledger.import_followups(path, actor="office") == []
    assert ledger.head() == head


def test_csv_edits_round_trip_into_events_and_back_into_the_export(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A new note and percentage, a done, and a sign-off become events the next export shows."""
    path, rows = exported(ledger, tmp_path)
    edit(rows, 3, progress="新增在职党员报到5名", percent="70", updated_on="2024-07-05")
    edit(rows, 4, status="已完成", updated_on="2024-07-02", evidence="轮换排班表")
    write_csv(path, rows)
    recorded = ledger.import_followups(path, actor="office")
    assert [(r.type, r.stream, r.actor) for r in recorded] == [
        ("rectification_progressed", "problem/2023-03", "office"),
        ("problem_resolved", "problem/2023-04", "office"),
    ]
    again = tmp_path / "again.csv"
    ledger.export_followups(again, on=date(2024, 7, 31))
    after = read_csv(again)
    edit(rows, 3, overdue="是")  # M1 is now past its deadline
    edit(rows, 4, status="已整改", percent="100", overdue="否")  # 已完成 is read as done
    assert after[3] == rows[3]
    assert after[4] == rows[4]
    assert ledger.import_followups(again, actor="office") == []


def test_xlsx_edits_round_trip(ledger: Ledger, tmp_path: Path) -> None:
    """The XLSX export can be edited in a spreadsheet program and imported."""
    path = tmp_path / "ledger.xlsx"
    ledger.export_followups(path, on=AS_OF)
    workbook = load_workbook(path)
    sheet = workbook["整改台账"]
    assert [c.value for c in sheet[1]] == HEADERS
    status_column = HEADERS.index("整改状态") + 1
    sheet.cell(row=5, column=status_column, value="已整改")
    # A spreadsheet program turns a typed date into a date cell.
    sheet.cell(row=5, column=HEADERS.index("更新日期") + 1, value=date(2024, 7, 2))
    workbook.save(path)
    (record,) = ledger.import_followups(path, actor="office")
    assert (record.stream, record.occurred_on) == ("problem/2023-04", date(2024, 7, 2))
    assert ledger.followups(date(2024, 7, 2))[3].status is S.DONE


def test_sign_off_is_dated_by_the_closing_date_column(ledger: Ledger, tmp_path: Path) -> None:
    """Setting 已销号 with a 销号日期 closes the problem on that date."""
    path, rows = exported(ledger, tmp_path)
    edit(rows, 4, status="已整改", updated_on="2024-07-02")
    write_csv(path, rows)
    ledger.import_followups(path, actor="office")
    path, rows = exported(ledger, tmp_path)
    edit(rows, 4, status="已销号", closed_on="2024-07-20", updated_on="2024-07-02")
    write_csv(path, rows)
    ledger.import_followups(path, actor="office")
    assert ledger.followups(date(2024, 8, 1))[3].closed_on == date(2024, 7, 20)


def test_reopening_takes_its_reason_from_the_progress_cell(ledger: Ledger, tmp_path: Path) -> None:
    """Setting 回头看复发 with a new note records a reopening with that reason."""
    path, rows = exported(ledger, tmp_path)
    edit(rows, 2, status="回头看", progress="复查发现仍有推诿现象", updated_on="2024-07-10")
    write_csv(path, rows)
    (record,) = ledger.import_followups(path, actor="inspector")
    assert record.type == "problem_reopened"
    assert record.payload.reason == "复查发现仍有推诿现象"  # type: ignore[attr-defined]


def test_english_headers_are_accepted(ledger: Ledger, tmp_path: Path) -> None:
    """A sheet headed by the English keys, with only the needed columns, imports too."""
    path = tmp_path / "en.csv"
    write_csv(
        path,
        [
            ["Problem_ID", "status", "updated_on", "progress"],
            ["2023-03", "basically_done", "2024-07-01", "报到党员覆盖所有网格"],
        ],
    )
    (record,) = ledger.import_followups(path, actor="office")
    assert record.payload.status is S.BASICALLY_DONE  # type: ignore[attr-defined]


BAD_ROWS = [
    ({"problem_id": "2023-99"}, "problem_id", "unknown problem '2023-99'"),
    ({"problem_id": ""}, "problem_id", "empty"),
    ({"status": "已销号"}, "status", "closed is allowed only from: done"),
    ({"status": "未整改"}, "status", "open is only the starting status"),
    ({"status": "差不多了"}, "status", "unknown status"),
    ({"status": "已整改", "updated_on": "2023-12-01"}, "updated_on", "before the problem was"),
    ({"status": "已整改", "updated_on": "2024-01-01"}, "updated_on", "latest change"),
    ({"status": "已整改", "updated_on": "2024-02-30"}, "updated_on", "is not a date"),
    ({"status": "已整改", "updated_on": "next week"}, "updated_on", "is not a date"),
    ({"status": "已整改", "updated_on": ""}, "updated_on", "give the date"),
    ({"closed_on": "2024-07-01"}, "closed_on", "needs the status 已销号"),
    ({"status": "已销号", "closed_on": "2023-01-01"}, "closed_on", "before the problem was"),
    ({"progress": "补记", "updated_on": "2024-01-01"}, "updated_on", "latest change"),
    ({"percent": "120", "progress": "x", "updated_on": "2024-07-01"}, "percent", "0 to 100"),
    ({"percent": "55.5", "progress": "x", "updated_on": "2024-07-01"}, "percent", "whole"),
    ({"percent": "80", "updated_on": "2024-07-01"}, "progress", "needs a new 整改进展"),
    ({"progress": "", "updated_on": "2024-07-01"}, "progress", "cannot be blanked"),
    ({"status": "基本完成", "updated_on": "2024-07-01"}, "progress", "needs a 整改进展 note"),
    (
        {
            "status": "回头看",
            "progress": "复查",
            "evidence": "复查记录",
            "updated_on": "2024-07-01",
        },
        "evidence",
        "records only its reason",
    ),
]


@pytest.mark.parametrize(("cells", "field", "message"), BAD_ROWS)
def test_each_kind_of_bad_row_is_reported_with_its_row_and_column(
    ledger: Ledger, tmp_path: Path, cells: dict[str, str], field: str, message: str
) -> None:
    """A bad row is refused, naming its row number and column, and nothing is recorded."""
    path, rows = exported(ledger, tmp_path)
    edit(rows, 3, **cells)
    write_csv(path, rows)
    head = ledger.head()
    with pytest.raises(ValidationError) as caught:
        ledger.import_followups(path, actor="office")
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (4, field)
    assert message in problem.message
    assert "row 4" in problem.message
    assert ledger.head() == head


def test_every_bad_row_is_reported_and_good_rows_are_not_recorded(
    ledger: Ledger, tmp_path: Path
) -> None:
    """With one good and three bad rows, all three are listed and nothing is recorded."""
    path, rows = exported(ledger, tmp_path)
    edit(rows, 1, status="已销号")
    edit(rows, 2, updated_on="2024-13-01", progress="新的进展")
    edit(rows, 3, progress="good row", updated_on="2024-07-01")
    edit(rows, 4, problem_id="nope")
    write_csv(path, rows)
    head = ledger.head()
    with pytest.raises(ValidationError) as caught:
        ledger.import_followups(path, actor="office")
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (2, "status"),
        (3, "updated_on"),
        (5, "problem_id"),
    ]
    assert "3 bad row(s); nothing was imported" in str(caught.value)
    assert ledger.head() == head


def test_a_problem_listed_twice_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """Two rows for one problem are ambiguous: the second is reported."""
    path, rows = exported(ledger, tmp_path)
    rows.append(list(rows[3]))
    write_csv(path, rows)
    with pytest.raises(ValidationError) as caught:
        ledger.import_followups(path, actor="office")
    assert [(p.line, p.field) for p in caught.value.problems] == [(6, "problem_id")]


def test_a_sheet_without_a_problem_id_column_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """Without 问题编号 no row can be matched, so the header row is reported."""
    path = tmp_path / "x.csv"
    write_csv(path, [["序号", "整改状态"], ["1", "已整改"]])
    with pytest.raises(ValidationError) as caught:
        ledger.import_followups(path, actor="office")
    assert (caught.value.line, caught.value.field) == (1, "problem_id")


def test_a_repeated_column_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """A header given twice (once in Chinese, once in English) is ambiguous."""
    path = tmp_path / "x.csv"
    write_csv(path, [["问题编号", "status", "整改状态"], ["2023-01", "", ""]])
    with pytest.raises(ValidationError, match="appears twice"):
        ledger.import_followups(path, actor="office")


@pytest.mark.parametrize("name", ["ledger.txt", "ledger"])
def test_files_other_than_csv_or_xlsx_are_refused(
    ledger: Ledger, tmp_path: Path, name: str
) -> None:
    """Export and import choose the format by extension and refuse any other."""
    with pytest.raises(ValidationError, match=r"\.csv or \.xlsx"):
        ledger.export_followups(tmp_path / name)


def test_a_corrupt_xlsx_file_is_a_validation_error(ledger: Ledger, tmp_path: Path) -> None:
    """A file named .xlsx that is not a workbook gives a clear error, not a zipfile one."""
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(ValidationError, match="not a readable XLSX"):
        ledger.import_followups(path, actor="office")


def test_an_empty_sheet_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """A workbook with no header row is reported at row 1."""
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    with pytest.raises(ValidationError) as caught:
        ledger.import_followups(path, actor="office")
    assert caught.value.line == 1


def test_a_concurrent_change_makes_the_import_write_nothing(ledger: Ledger, tmp_path: Path) -> None:
    """Import appends with exact stream versions, so a stale plan cannot be appended."""
    from civicledger.errors import ConcurrencyError
    from civicledger.followups import Change, with_expected_versions
    from civicledger.store import NewEvent
    from followup_testkit import progressed

    change = Change(event=progressed("2023-03", date(2024, 7, 1)), actor="office")
    ((_, version),) = with_expected_versions([change], ledger.store.stream_version)
    ledger.append("problem/2023-03", [progressed("2023-03", date(2024, 7, 1))], actor="other")
    head = ledger.head()
    with pytest.raises(ConcurrencyError):
        ledger.append_batch(
            [
                NewEvent(
                    stream=change.stream,
                    event=change.event,
                    actor="office",
                    expected_version=version,
                )
            ]
        )
    assert ledger.head() == head
