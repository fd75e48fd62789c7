"""Resource exhaustion (issue 17, item 2): outside input is bounded, and refused in one line.

Each break of the hostile-input review is reproduced through the public API or
the CLI: an XLSX declaring ``A1:XFD1048576``, a zip bomb, oversized rows,
columns, cells and JSON Lines lines, and templates that build huge strings or
numbers or loop without end.
"""

from __future__ import annotations

import re
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli
from civicledger.errors import ValidationError
from civicledger.followups import problem_stream
from civicledger.ledger import Ledger
from civicledger.limits import LimitError, Limits
from followup_testkit import identified
from report_testkit import small_ledger, write_template

ROOT = Path(__file__).parents[2]


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory() as ledger:
        ledger.append(problem_stream("P1"), [identified("P1", date(2023, 3, 1))], actor="clerk")
        yield ledger


def exported_xlsx(ledger: Ledger, folder: Path) -> Path:
    path = folder / "ledger.xlsx"
    ledger.export_followups(path, on=date(2023, 12, 31))
    return path


def rewrite_member(path: Path, member: str, change: object) -> None:
    """Rewrite one member of a zip archive in place (``change`` maps old bytes to new)."""
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents[member] = change(contents[member])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def test_xlsx_declaring_the_whole_sheet_is_refused_before_loading(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A few-KB XLSX declaring A1:XFD1048576 is refused at once, naming the limit."""
    path = exported_xlsx(ledger, tmp_path)
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml),
    )
    assert path.stat().st_size < 10_000
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(LimitError) as caught:
        ledger.import_followups(path, actor="clerk")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.limit == "sheet_max_rows"
    assert "A1:XFD1048576" in str(caught.value)
    assert "sheet_max_rows=100000" in str(caught.value)
    assert elapsed < 2
    assert peak < 20_000_000


def test_xlsx_declaring_too_many_columns_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """A declared width beyond sheet_max_columns is refused too."""
    path = exported_xlsx(ledger, tmp_path)
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD2"', xml),
    )
    with pytest.raises(LimitError, match="sheet_max_columns=200"):
        ledger.import_followups(path, actor="clerk")


def test_zip_bomb_is_refused_from_the_zip_directory(ledger: Ledger, tmp_path: Path) -> None:
    """An XLSX whose members unpack to hundreds of MB is refused without unpacking them."""
    path = exported_xlsx(ledger, tmp_path)
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/media/padding.bin", "w") as member,
    ):
        for _ in range(300):
            member.write(chunk)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    with pytest.raises(LimitError) as caught:
        ledger.import_followups(path, actor="clerk")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.limit == "sheet_max_uncompressed_bytes"
    assert peak < 20_000_000


def _declare_size(path: Path, member: str, size: int) -> None:
    """Overwrite a member's uncompressed size in its local header and the zip directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, size)
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length] == member.encode():
            struct.pack_into("<I", data, position + 24, size)
        position = data.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(data))


def test_a_zip_directory_that_lies_about_sizes_is_refused_without_inflating(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A member declaring its small original size but holding 100 MB fails its CRC check."""
    path = exported_xlsx(ledger, tmp_path)
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        original = archive.read(member)
    padding = b"<!--" + b"x" * 100_000_000 + b"-->"
    rewrite_member(path, member, lambda xml: xml + padding)
    _declare_size(path, member, len(original))
    tracemalloc.start()
    with pytest.raises(ValidationError, match="not a readable XLSX workbook"):
        ledger.import_followups(path, actor="clerk")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20_000_000


def test_a_declaration_that_lies_is_caught_while_reading(ledger: Ledger, tmp_path: Path) -> None:
    """Rows beyond the limit are refused as they are read, whatever the file declares."""
    path = tmp_path / "ledger.csv"
    ledger.export_followups(path, on=date(2023, 12, 31))
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    path.write_text(header + "\n" + "P1\n" * 20, encoding="utf-8")
    with (
        Ledger.in_memory(limits=Limits(sheet_max_rows=10)) as small,
        pytest.raises(LimitError, match=r"row 11: .*sheet_max_rows=10"),
    ):
        small.import_followups(path, actor="clerk")


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        ("问题编号\n" + "x" * 40_000 + "\n", "sheet_max_cell_chars"),
        (",".join(["问题编号"] + [f"c{i}" for i in range(300)]) + "\n", "sheet_max_columns"),
    ],
)
def test_csv_cells_and_columns_are_bounded(
    ledger: Ledger, tmp_path: Path, body: str, limit: str
) -> None:
    """A huge cell or a very wide row is refused by the limit's name."""
    path = tmp_path / "sheet.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LimitError) as caught:
        ledger.import_followups(path, actor="clerk")
    assert caught.value.limit == limit


def test_file_size_is_bounded_and_the_cli_can_raise_limits(tmp_path: Path) -> None:
    """`--limit` sets a limit for one run; a file beyond it is refused in one line, exit 2."""
    path = tmp_path / "sheet.csv"
    path.write_text("问题编号\n" + "P1\n" * 100, encoding="utf-8")
    db = str(tmp_path / "office.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "init"]).exit_code == 0
    limited = ["--db", db, "--limit", "sheet_max_file_bytes=100"]
    result = runner.invoke(cli, [*limited, "followups", "import", str(path), "--actor", "clerk"])
    assert result.exit_code == 2
    assert "exceeds the limit sheet_max_file_bytes=100" in result.output
    assert "Traceback" not in result.output
    bad = runner.invoke(cli, ["--db", db, "--limit", "no_such_limit=3", "info"])
    assert bad.exit_code == 2
    assert "expected NAME=VALUE" in bad.output


def test_a_huge_json_lines_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    """A line beyond jsonl_max_line_bytes is refused by number; nothing is imported."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"{}\n" + b'{"x": "' + b"y" * 3_000_000 + b'"}\n')
    tracemalloc.start()
    with Ledger.in_memory() as ledger, pytest.raises(LimitError) as caught:
        ledger.import_jsonl(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.limit == "jsonl_max_line_bytes"
    assert caught.value.line == 2
    assert "line 2" in str(caught.value)
    assert peak < 3_000_000


def test_a_long_line_within_a_raised_limit_is_read(tmp_path: Path) -> None:
    """The limit is a setting: raised, the same kind of line is read (and judged as JSON)."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"x": "' + b"y" * 2_000_000 + b'"}\n')
    with (
        Ledger.in_memory(limits=Limits(jsonl_max_line_bytes=3_000_000)) as ledger,
        pytest.raises(ValidationError) as caught,
    ):
        ledger.import_jsonl(path)
    assert not isinstance(caught.value, LimitError)


# -- templates ------------------------------------------------------------------------


def render(tmp_path: Path, text: str, limits: Limits | None = None) -> str:
    body = (
        '[[sections]]\nkey = "w"\nheading = "工作"\n\n'
        f"  [[sections.items]]\n  text = '''{text}'''\n"
    )
    template = write_template(tmp_path, body)
    ledger = small_ledger()
    if limits is not None:
        ledger = Ledger(ledger.store, limits=limits)
    return ledger.report(template, period="2023").to_markdown()


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ('{% set a = "x" * 2000000000 %}完成。', "template_max_string_chars"),
        ('{% set a = ["x"] * 2000000000 %}完成。', "template_max_string_chars"),
        (
            '{% set a = "x" * 900000 %}{% set b = a ~ a %}{{ b | length if false }}完成。',
            "template_max_string_chars",
        ),
        ("{% set b = 10**8 %}{% set c = 7 ** b %}完成。", "template_max_number_digits"),
        (
            '{% for i in "x" * 40000 %}{% for j in "x" * 40000 %}{% endfor %}{% endfor %}完成。',
            "template_max_iterations",
        ),
        ('{% for i in "x" * 5000 %}{{ "y" * 500 }}{% endfor %}', "template_max_output_chars"),
    ],
    ids=["string", "list", "concat", "power", "nested-loops", "output"],
)
def test_templates_cannot_exhaust_time_or_memory(tmp_path: Path, text: str, limit: str) -> None:
    """Each attack is refused quickly, naming the limit and the template."""
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(LimitError) as caught:
        render(tmp_path, text)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.limit == limit
    assert "report.toml" in str(caught.value)
    assert elapsed < 10
    assert peak < 50_000_000


def test_render_time_is_bounded_inside_the_sandbox(tmp_path: Path) -> None:
    """With the iteration budget raised, the time limit stops nested loops itself."""
    limits = Limits(template_max_iterations=10**12, template_max_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(LimitError) as caught:
        render(
            tmp_path,
            '{% for i in "x" * 40000 %}{% for j in "x" * 40000 %}{% endfor %}{% endfor %}完成。',
            limits,
        )
    assert caught.value.limit == "template_max_seconds"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "text",
    [
        '{{ "x".center(2000000000) }}',
        '{{ "{:>2000000000}".format(1) }}',
        '{{ "%2000000000d" % 1 }}',
    ],
)
def test_string_methods_that_amplify_are_refused(tmp_path: Path, text: str) -> None:
    """center, format and % formatting could build any size: they are not available."""
    with pytest.raises(ValidationError, match="not available in report templates"):
        render(tmp_path, text)


def test_set_blocks_and_recursive_loops_are_refused_at_load(tmp_path: Path) -> None:
    """Constructs that would slip past the budget are refused when the template loads."""
    with pytest.raises(ValidationError, match="set %} block"):
        render(tmp_path, "{% set a %}x{% endset %}完成。")
    with pytest.raises(ValidationError, match="recursive loop"):
        render(tmp_path, "{% for a in [1] recursive %}{{ a }}{% endfor %}")


def test_ordinary_loops_and_arithmetic_still_work(tmp_path: Path) -> None:
    """The budget does not get in the way of what sentences really do."""
    text = render(
        tmp_path,
        '{% for i in [1, 2, 3] %}{{ i * 2 }}、{% endfor %}{{ 2 ** 10 }}，{{ "甲" ~ "乙" }}。',
    )
    assert "2、4、6、1024，甲乙。" in text


def test_every_limit_is_documented_with_its_default() -> None:
    """docs/limits.md lists each limit of Limits, so none is a hidden setting."""
    page = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", page, flags=re.MULTILINE))
    assert set(rows) == set(Limits.names())
    defaults = Limits()
    for name, shown in rows.items():
        value = getattr(defaults, name)
        number = shown.replace(",", "").replace(" MiB", "").strip()
        expected = value / 2**20 if "MiB" in shown else value
        assert float(number) == expected, name
