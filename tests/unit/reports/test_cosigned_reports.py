"""Reports name who countersigned the seal they were rendered as of (one ledger, and each
ledger of a set), and refuse a cosignature line the ledger does not store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from civicledger import Ledger, ValidationError
from civicledger.audit import Cosignature, Signer, cosigners, with_cosignatures
from civicledger.ledgerset import LATEST_SEAL
from civicledger.reports import verify_report, verify_set_report
from evidence_testkit import STREET_TEMPLATE, two_communities
from report_testkit import ONE_SECTION, small_ledger, write_template


@pytest.fixture(scope="module")
def street_key() -> Signer:
    return Signer.generate("street.example/office")


def test_a_report_as_of_a_cosigned_seal_names_the_cosigner(
    tmp_path: Path, street_key: Signer
) -> None:
    template = write_template(tmp_path, ONE_SECTION)
    with small_ledger() as ledger:
        seal = ledger.seal()
        made = ledger.cosign(seal, street_key)
        cosigned = ledger.cosigned(seal)
        assert cosigners(cosigned) == [(street_key.name, made.cosigned_at)]
        report = ledger.report(template, period="2023", as_of=cosigned)
        when = made.cosigned_at.strftime("%Y-%m-%d %H:%M:%S")
        expected = f"封存经会签：{street_key.name}（{when} UTC）"
        assert expected in report.to_markdown()
        assert expected in report.to_html()
        data = json.loads(report.to_json())
        assert data["as_of"]["checkpoint"] == cosigned.text
        assert verify_report(data, ledger).ok
        bare = ledger.report(template, period="2023", as_of=seal)
        assert "会签" not in bare.to_markdown()


def test_a_cosignature_line_the_ledger_does_not_store_is_refused(
    tmp_path: Path, street_key: Signer
) -> None:
    template = write_template(tmp_path, ONE_SECTION)
    with small_ledger() as ledger:
        seal = ledger.seal()
        pasted = Cosignature.make(seal, street_key, datetime(2024, 1, 5, tzinfo=UTC))
        with pytest.raises(ValidationError, match=r"cosignature by street\.example/office"):
            ledger.report(template, period="2023", as_of=with_cosignatures(seal, [pasted]))


def test_a_set_report_at_the_latest_seals_names_each_ledgers_cosigners(
    tmp_path: Path, street_key: Signer
) -> None:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    two_communities(url)
    with Ledger.open(url, "和平街道/莲花社区") as lianhua:
        made = lianhua.cosign(lianhua.seals()[-1], street_key)
    template = write_template(tmp_path, STREET_TEMPLATE)
    with Ledger.open_many(url, prefix="和平街道/") as street:
        report = street.report(template, period="2023", as_of=LATEST_SEAL)
        text = report.to_markdown()
        when = made.cosigned_at.strftime("%Y-%m-%d %H:%M:%S")
        assert f"莲花社区的封存经会签：{street_key.name}（{when} UTC）" in text
        assert "荷花社区的封存经会签" not in text
        data = json.loads(report.to_json())
        assert cosigners(lianhua.cosigned(lianhua.seals()[-1])) != []
        assert street_key.name in data["ledgers"][1]["checkpoint"]
        check = verify_set_report(data, street)
        assert check.ok, check.problems
