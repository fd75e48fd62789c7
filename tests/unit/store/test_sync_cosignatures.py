"""Cosignatures travel with push: a witness's countersignature of a community's seal is
delivered to the street's replica, checked there, and never twice; the street countersigns
its replica's seals itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger import Ledger, StoreError, VerificationError
from civicledger.audit import Cosignature, Signer
from civicledger.cli import cli
from unit.store.test_sync import record


@pytest.fixture
def sender(tmp_path: Path) -> Ledger:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'community.db'}", "hehua")
    record(ledger, *"ABC")
    ledger.seal()
    return ledger


def test_a_push_delivers_cosignatures_once(sender: Ledger, tmp_path: Path) -> None:
    witness = Signer.generate("auditor.example")
    sender.cosign(sender.seals()[0], witness)
    url = f"sqlite:///{tmp_path / 'street.db'}"
    first = sender.push(url, ledger="street-x/hehua")
    assert (first.seals, first.cosignatures) == (1, 1)
    again = sender.push(url, ledger="street-x/hehua")
    assert (again.seals, again.cosignatures) == (0, 0)
    with Ledger.open(url, "street-x/hehua", create=False) as replica:
        assert replica.cosignatures() == sender.cosignatures()
        assert replica.verify(witness.verifier()).cosignatures_checked == 1


def test_the_street_countersigns_its_replica_and_later_pushes_keep_it(
    sender: Ledger, tmp_path: Path
) -> None:
    street = Signer.generate("street.example")
    url = f"sqlite:///{tmp_path / 'street.db'}"
    sender.push(url, ledger="street-x/hehua")
    with Ledger.open(url, "street-x/hehua", create=False) as replica:
        with pytest.raises(StoreError, match="replica"):
            replica.seal()
        replica.cosign(replica.seals()[0], street)
    record(sender, "D")
    sender.seal()
    assert sender.push(url, ledger="street-x/hehua").events == 1
    with Ledger.open(url, "street-x/hehua", create=False) as replica:
        assert [c.signer for c in replica.cosignatures()] == ["street.example"]
        assert replica.verify().ok


def test_a_cosignature_that_does_not_verify_is_refused_by_the_receiver(
    sender: Ledger, tmp_path: Path
) -> None:
    """The receiver checks each delivered cosignature; a bad one is refused, named."""
    url = f"sqlite:///{tmp_path / 'street.db'}"
    sender.push(url, ledger="street-x/hehua")
    seal = sender.seals()[0]
    made = Cosignature.make(seal, Signer.generate("auditor.example"), seal.sealed_at)  # type: ignore[arg-type]
    forged = Cosignature(seal, made.verifier, made.timestamp + 1, made.signature)
    with Ledger.open(url, "street-x/hehua", create=False) as replica:
        with pytest.raises(VerificationError, match=r"auditor\.example"):
            replica.store_cosignature(forged)
        assert replica.cosignatures() == []
        assert replica.store_cosignature(made) is True
        assert replica.store_cosignature(made) is False


def test_the_cli_push_counts_cosignatures(sender: Ledger, tmp_path: Path) -> None:
    sender.cosign(sender.seals()[0], Signer.generate("auditor.example"))
    community = tmp_path / "community.db"
    street = tmp_path / "street.db"
    args = ["--db", str(community), "--ledger", "hehua", "push", "--to", str(street)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("pushed 3 events and 1 seals, 1 cosignatures to 'hehua'")
    again = CliRunner().invoke(cli, args)
    assert again.stdout.startswith("pushed 0 events and 0 seals to 'hehua'")
