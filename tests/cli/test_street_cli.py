"""The street example end to end: demo --street, report and followups over --ledgers."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger import Ledger
from civicledger.cli import cli
from civicledger.reports import verify_set_report

ROOT = Path(__file__).resolve().parents[2]
STREET = ROOT / "examples" / "street_2023"
COMMUNITIES = ["XX社区", "荷花社区", "莲花社区", "桂花社区", "梅园社区"]


def build(runner: CliRunner, out: Path, *db: str) -> str:
    """Run ``demo --street`` (on ``db`` when given) and return its standard output."""
    result = runner.invoke(cli, ["demo", "--street", "--dir", str(out), *db])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def check_street(url: str, out: Path, runner: CliRunner) -> None:
    """The files, the seals, the per-community breakdown; the report renders again from its
    seals byte for byte and verifies against every ledger."""
    for suffix in ("md", "html", "docx", "json"):
        assert (out / f"street-report.{suffix}").stat().st_size > 0
    text = (out / "street-report.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == "civicledger-rollup-report/1"
    assert [s["label"] for s in data["ledgers"]] == COMMUNITIES
    assert all(s["checkpoint"] for s in data["ledgers"])
    markdown = (out / "street-report.md").read_text(encoding="utf-8")
    assert "| 1 | XX社区 |" in markdown
    assert "| 序号 | 社区 | 问题 |" in markdown  # the rectification table names the community
    names = [f"和平街道/{c}" for c in COMMUNITIES]
    with Ledger.open_many(url, prefix="和平街道/") as street:
        assert list(street.names) == sorted(names)
        check = verify_set_report(text, street)
        assert check.ok, check.problems
        rows = street.followups("2023")
        assert {row.ledger for row in rows} == {n for n in names if "桂花" not in n}
    again = runner.invoke(
        cli,
        [
            "--db",
            url,
            "report",
            "--year",
            "2023",
            "--template",
            str(STREET / "report.toml"),
            *(a for n in names for a in ("--ledger", n)),
            "--latest-seals",
            "--format",
            "json",
        ],
    )
    assert again.exit_code == 0, again.stderr
    assert again.stdout == text


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The street demo's folder (built once for the tests that only read it), and what it
    printed."""
    out = tmp_path_factory.mktemp("street")
    return out, build(CliRunner(), out)


def test_demo_street_builds_seals_and_reports_on_sqlite(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    out, shown = built
    assert "5 community ledgers" in shown
    assert "verified against every seal" in shown
    url = f"sqlite:///{out / 'street.db'}"
    check_street(url, out, runner)
    # A second run starts afresh in its own folder; a database that holds the street is refused.
    result = runner.invoke(cli, ["demo", "--street", "--dir", str(tmp_path / "again"), "--db", url])
    assert result.exit_code != 0
    assert "already holds the street's ledger(s) 和平街道/XX社区" in result.stderr
    assert not (tmp_path / "again" / "keys").exists()  # a refused run writes no keys


@pytest.mark.postgres
def test_demo_street_builds_seals_and_reports_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    runner = CliRunner()
    out = tmp_path / "street"
    build(runner, out, "--db", postgres_url)
    assert not (out / "street.db").exists()
    check_street(postgres_url, out, runner)


def test_report_over_a_set_takes_seal_files_matched_by_origin(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    out, _ = built
    db = str(out / "street.db")
    seals = []
    with Ledger.open_many(f"sqlite:///{db}", prefix="和平街道/") as street:
        for number, ledger in enumerate(street):
            path = tmp_path / f"seal-{number}.txt"
            # With the street's cosignature line, as the demo's report embeds it.
            path.write_text(ledger.cosigned(ledger.seals()[-1]).text, encoding="utf-8")
            seals += ["--seal", str(path)]
    common = ["--db", db, "report", "--year", "2023", "--template", str(STREET / "report.toml")]
    in_order = [a for c in COMMUNITIES for a in ("--ledger", f"和平街道/{c}")]
    result = runner.invoke(cli, [*common, *in_order, *seals, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (out / "street-report.json").read_text(encoding="utf-8")
    # By prefix, the ledgers come sorted by name: the same figures, another order.
    result = runner.invoke(cli, [*common, "--ledgers", "和平街道/", *seals, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert [s["label"] for s in json.loads(result.stdout)["ledgers"]] == sorted(COMMUNITIES)
    # A seal of a ledger outside the set is refused, naming the set's ledgers.
    outside = ["--ledger", "和平街道/荷花社区", *seals[:2]]
    result = runner.invoke(cli, [*common, *outside])
    assert result.exit_code != 0
    assert "no ledger of the set (和平街道/荷花社区)" in result.stderr
    result = runner.invoke(cli, [*common, "--ledgers", "和平街道/", "--latest-seals", *seals[:2]])
    assert result.exit_code != 0
    assert "not both" in result.stderr
    result = runner.invoke(cli, [*common, "--ledgers", "别的街道/"])
    assert result.exit_code != 0
    assert "别的街道/" in result.stderr


def test_followups_over_a_set_name_each_rows_ledger(built: tuple[Path, str]) -> None:
    runner = CliRunner()
    out, _ = built
    base = ["--db", str(out / "street.db"), "followups", "--on", "2023-12-31"]
    result = runner.invoke(cli, [*base, "--ledgers", "和平街道/", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["ledger"] for r in rows} == {
        "和平街道/XX社区",
        "和平街道/荷花社区",
        "和平街道/莲花社区",
        "和平街道/梅园社区",
    }
    table = runner.invoke(cli, [*base, "--ledger", "和平街道/梅园社区"])
    assert table.exit_code == 0, table.stderr
    assert "和平街道/梅园社区" in table.stdout
    assert "MY-2023-01" in table.stdout
    sheet = runner.invoke(cli, [*base, "--ledgers", "和平街道/", "--format", "xlsx", "-o", "x"])
    assert sheet.exit_code != 0
    assert "one ledger's editable sheet" in sheet.stderr


def test_the_street_generator_writes_the_committed_files(tmp_path: Path) -> None:
    """Deterministic: the generator, run again, writes the communities byte for byte."""
    subprocess.run(
        [sys.executable, str(STREET / "generate.py"), "--output", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in (STREET / "communities").iterdir())
    for name in written:
        assert (tmp_path / name).read_bytes() == (STREET / "communities" / name).read_bytes()


def test_verify_report_checks_a_set_report_against_every_ledger_it_names(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    out, _ = built
    db = ["--db", str(out / "street.db")]
    report = out / "street-report.json"
    result = runner.invoke(cli, [*db, "verify-report", str(report)])
    assert result.exit_code == 0, result.stderr
    assert "figures across 5 ledgers" in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    entry = next(f for f in data["figures"] if f.get("ledger") == "和平街道/荷花社区")
    entry["value"] = "999"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, [*db, "verify-report", str(forged)])
    assert result.exit_code == 1
    assert f"figure {entry['ref']} ({entry['indicator']})" in result.stderr
    data["ledgers"][0]["name"] = "和平街道/别的社区"
    forged.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, [*db, "verify-report", str(forged)])
    assert result.exit_code != 0
    assert "和平街道/别的社区" in result.stderr


def test_the_street_reports_community_series_and_follow_ups(built: tuple[Path, str]) -> None:
    """The street template's chart by community and its 整改 table by community are in
    the report, which names the street as each community's cosigner."""
    out, _ = built
    markdown = (out / "street-report.md").read_text(encoding="utf-8")
    assert "**各社区全年逐月调解纠纷件数**" in markdown
    assert "| 项目 | XX社区 | 荷花社区 | 莲花社区 | 桂花社区 | 梅园社区 | 单位 |" in markdown
    assert "| 序号 | 社区 | 整改问题总数（个） |" in markdown
    assert "梅园社区的封存经会签：heping.example（" in markdown


def test_the_printed_offline_check_passes_every_figure_and_cosignature(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    """The street demo's evidence bundle (each community's seal signed by its demo key and
    countersigned by the street's) passes the offline check as printed, with each
    community's key and the street's; examples/verify_evidence.py imports nothing from
    civicledger. A cosignature line changed in the bundle fails it, naming the community."""
    from evidence_testkit import printed_offline_check, rewrite, run_printed, run_verifier

    out, shown = built
    words = printed_offline_check(shown)
    slugs = ["xx", "hehua", "lianhua", "guihua", "meiyuan"]
    keys = [a for s in slugs for a in ("--key", str(out / "keys" / f"{s}.heping.example.pub"))]
    street_key = str(out / "keys" / "heping.example.pub")
    assert words[1:] == [
        "examples/verify_evidence.py",
        str(out / "street-evidence.zip"),
        *keys,
        "--cosigner-key",
        street_key,
    ]
    result = run_printed(words)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "OK: every figure checked or partly checked"
    cosigned = [line for line in lines if ": cosignature by heping.example (" in line]
    assert [line.split(":")[0] for line in cosigned] == [f"和平街道/{c}" for c in COMMUNITIES]
    assert all(line.endswith(": checked") for line in cosigned)
    assert any("和平街道/梅园社区: " in line and "followups.overdue = 1" in line for line in lines)
    isolated = run_verifier(out / "street-evidence.zip", *words[3:])  # civicledger unimportable
    assert isolated.stdout == result.stdout

    def forge_hehuas_cosignature(files: dict[str, bytes]) -> None:
        """Flip a bit of the street's signature on 荷花社区's seal, in its folder and in
        the report, which embeds the seal."""
        seal = files["ledgers/2/seal.txt"].decode()
        line = seal.rstrip("\n").split("\n")[-1]
        head, encoded = line.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(encoded))
        raw[-1] ^= 1
        forged = seal.replace(line, f"{head} {base64.b64encode(raw).decode()}")
        files["ledgers/2/seal.txt"] = forged.encode()
        report = json.loads(files["report.json"])
        report["ledgers"][1]["checkpoint"] = forged
        files["report.json"] = json.dumps(report, ensure_ascii=False).encode()

    forged = rewrite(out / "street-evidence.zip", tmp_path / "forged.zip", forge_hehuas_cosignature)
    result = run_printed([*words[:2], str(forged), *words[3:]])
    assert result.returncode == 1, result.stdout
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert failed[0].startswith("和平街道/荷花社区: cosignature by heping.example ("), failed
    assert failed[-1] == "FAILED: see above"
