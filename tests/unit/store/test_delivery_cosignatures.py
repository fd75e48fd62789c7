"""Cosignatures travel in delivery files (civicledger-delivery/2) as they do by push: each is
checked before anything is written, kept once, and a bad one is refused naming its seal and
cosigner with the receiving database unchanged; files in format /1 still read."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import civicledger.delivery
from civicledger import Ledger, ValidationError, VerificationError
from civicledger.audit import Signer
from civicledger.delivery import FORMAT, read_delivery
from civicledger.errors import LedgerNotFoundError
from unit.store.test_sync import record

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "delivery_v1"

WITNESS = Signer.generate("auditor.example")
STREET = Signer.generate("street.example")


def dump(path: Path) -> list[tuple[object, ...]]:
    """Every row of every civicledger table of a SQLite database, read with raw SQL (an
    absent database reads as empty)."""
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'civicledger%' "
                "ORDER BY name"
            )
        ]
        return [
            (table, *row)
            for table in tables
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1")
        ]


def holds_nothing(path: Path) -> bool:
    """Whether a database holds no ledger (opening one to look for a replica writes the
    schema's version row, and nothing else)."""
    return all(row[0] == "civicledger_meta" for row in dump(path))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, items: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


def cosignature_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i["cosignature"] for i in items if "cosignature" in i]


@pytest.fixture
def sender(tmp_path: Path) -> Ledger:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'community.db'}", "hehua")
    record(ledger, *"ABCD")
    seal = ledger.seal()
    ledger.cosign(seal, WITNESS)
    ledger.cosign(seal, STREET)
    return ledger


def test_a_delivery_carries_every_cosignature_and_the_replica_keeps_each_once(
    sender: Ledger, tmp_path: Path
) -> None:
    delivered = sender.deliver(tmp_path / "first.delivery", batch=3)
    assert delivered.cosignatures == 2
    items = lines(tmp_path / "first.delivery")
    assert items[0]["header"]["format"] == FORMAT == "civicledger-delivery/2"
    assert items[-1]["end"]["cosignatures"] == 2
    url = f"sqlite:///{tmp_path / 'street.db'}"
    got = Ledger.receive(tmp_path / "first.delivery", url, ledger="street-x/hehua")
    assert (got.events, got.seals, got.cosignatures) == (4, 1, 2)
    before = dump(tmp_path / "street.db")
    again = Ledger.receive(tmp_path / "first.delivery", url, ledger="street-x/hehua")
    assert (again.events, again.seals, again.cosignatures) == (0, 0, 0)
    assert dump(tmp_path / "street.db") == before
    with Ledger.open(url, "street-x/hehua", create=False) as replica:
        assert replica.cosignatures() == sender.cosignatures()
        report = replica.verify([WITNESS.verifier(), STREET.verifier()])
        assert report.ok
        assert report.cosignatures_checked == 2


def test_a_later_delivery_brings_cosignatures_of_seals_the_replica_already_holds(
    sender: Ledger, tmp_path: Path
) -> None:
    """As push does: the first seal was cosigned again after the first delivery."""
    first = sender.seals()[0]
    sender.deliver(tmp_path / "first.delivery")
    url = f"sqlite:///{tmp_path / 'street.db'}"
    Ledger.receive(tmp_path / "first.delivery", url)
    late = Signer.generate("late.example")
    sender.cosign(first, late)
    record(sender, "E")
    second = sender.seal()
    sender.cosign(second, WITNESS)
    result = sender.deliver(tmp_path / "second.delivery", since=first)
    assert (result.events, result.seals, result.cosignatures) == (1, 1, 4)
    got = Ledger.receive(tmp_path / "second.delivery", url)
    assert (got.events, got.seals, got.cosignatures) == (1, 1, 2)
    with Ledger.open(url, "hehua", create=False) as replica:
        assert sorted(c.line for c in replica.cosignatures()) == sorted(
            c.line for c in sender.cosignatures()
        )
        assert replica.verify().ok


def test_the_replicas_own_cosignatures_stay_beside_the_delivered_ones(
    sender: Ledger, tmp_path: Path
) -> None:
    first = sender.seals()[0]
    sender.deliver(tmp_path / "first.delivery")
    url = f"sqlite:///{tmp_path / 'street.db'}"
    Ledger.receive(tmp_path / "first.delivery", url)
    own = Signer.generate("street-own.example")
    with Ledger.open(url, "hehua", create=False) as replica:
        replica.cosign(replica.seals()[0], own)
    record(sender, "E")
    sender.seal()
    sender.deliver(tmp_path / "second.delivery", since=first)
    assert Ledger.receive(tmp_path / "second.delivery", url).cosignatures == 0
    with Ledger.open(url, "hehua", create=False) as replica:
        assert [c.signer for c in replica.cosignatures()] == [
            "auditor.example",
            "street.example",
            "street-own.example",
        ]


@pytest.mark.parametrize("first", [True, False], ids=["first-delivery", "later-delivery"])
def test_a_forged_cosignature_is_refused_naming_seal_and_cosigner_with_nothing_written(
    sender: Ledger, tmp_path: Path, first: bool
) -> None:
    street = tmp_path / "street.db"
    url = f"sqlite:///{street}"
    path = tmp_path / "d.delivery"
    since = None
    if not first:
        since = sender.seals()[0]
        sender.push(url)
        record(sender, "E")
        sender.cosign(sender.seal(), Signer.generate("late.example"))
    sender.deliver(path, since=since)
    items = lines(path)
    forged = cosignature_lines(items)[-1]
    # Another time than the one signed: the signature no longer verifies.
    signature = forged["signature"].split(" ")
    raw = bytearray(base64.b64decode(signature[2]))
    raw[11] ^= 1  # inside the 8-byte time that follows the 4-byte key id
    signature[2] = base64.b64encode(bytes(raw)).decode()
    forged["signature"] = " ".join(signature)
    write_lines(path, items)
    before = dump(street)
    number = len(items) - 1  # the last cosignature line, just before the end line
    signer = forged["verifier"].split("+")[0]
    with pytest.raises(
        VerificationError,
        match=rf"d\.delivery, line {number}: the cosignature by {signer} .* of the seal at size "
        rf"{forged['tree_size']} does not verify.*nothing was written",
    ):
        Ledger.receive(path, url)
    if first:
        assert holds_nothing(street)
    else:
        assert dump(street) == before


def test_a_cosignature_of_a_seal_neither_the_file_nor_the_replica_holds_is_refused(
    sender: Ledger, tmp_path: Path
) -> None:
    street = tmp_path / "street.db"
    path = tmp_path / "d.delivery"
    sender.deliver(path)
    items = lines(path)
    stray = cosignature_lines(items)[0]
    stray["tree_size"] = 3
    write_lines(path, items)
    with pytest.raises(
        ValidationError,
        match=r"the cosignature by 'auditor\.example' names a seal of size 3 .* that neither "
        "the file nor the replica holds; refused, nothing was written",
    ):
        Ledger.receive(path, f"sqlite:///{street}")
    assert holds_nothing(street)  # a first delivery: no replica was created
    # A later delivery: the replica holds the first seal; the file names one it never made.
    first = sender.seals()[0]
    sender.push(f"sqlite:///{street}")
    record(sender, "E")
    sender.seal()
    sender.deliver(path, since=first)
    items = lines(path)
    cosignature_lines(items)[0]["root_hash"] = bytes(32).hex()
    write_lines(path, items)
    before = dump(street)
    with pytest.raises(ValidationError, match=r"names a seal of size 4 .* neither the file nor"):
        Ledger.receive(path, f"sqlite:///{street}")
    assert dump(street) == before


def test_a_cosignature_line_that_cannot_be_read_is_refused_before_anything_is_written(
    sender: Ledger, tmp_path: Path
) -> None:
    street = tmp_path / "street.db"
    url = f"sqlite:///{street}"
    path = tmp_path / "d.delivery"
    sender.deliver(path)
    good = lines(path)

    def refused(items: list[dict[str, Any]], match: str) -> None:
        write_lines(path, items)
        with pytest.raises(ValidationError, match=match):
            Ledger.receive(path, url)
        assert holds_nothing(street)

    number = next(n for n, i in enumerate(good, start=1) if "cosignature" in i)
    for member, value, match in [
        ("verifier", "auditor.example+00000000+AAAA", "cannot be read"),
        ("signature", "— auditor.example AAAA", "cannot be read"),
        ("root_hash", "zz", rf"line {number}: the cosignature's 'root_hash' is not hex"),
        ("sealed_at", 7, rf"line {number}: the cosignature's 'sealed_at' is 7, not a str"),
    ]:
        items = json.loads(json.dumps(good))
        cosignature_lines(items)[0][member] = value
        refused(items, match)
    items = json.loads(json.dumps(good))
    del cosignature_lines(items)[0]["verifier"]
    refused(items, rf"line {number}: the cosignature has no 'verifier'")
    # The end line counts the cosignatures: one dropped is a damaged file.
    refused(good[: number - 1] + good[number:], r"the end line counts .* but the file holds")
    refused(good[:-1], "without its end line: it is truncated")
    # A cosignature line among a batch's rows is out of order.
    refused(
        [*good[:3], good[number - 1], *good[3:]],
        "line 4: a 'cosignature' line where the format has event or batch",
    )
    write_lines(path, good)
    assert Ledger.receive(path, url).cosignatures == 2


def test_files_in_format_1_made_before_cosignatures_travelled_still_read(tmp_path: Path) -> None:
    """tests/fixtures/delivery_v1 was written by the release before format /2."""
    first, later = FIXTURES / "first.delivery", FIXTURES / "since_first_seal.delivery"
    assert lines(first)[0]["header"]["format"] == "civicledger-delivery/1"
    assert read_delivery(first).cosignatures == []
    url = f"sqlite:///{tmp_path / 'street.db'}"
    got = Ledger.receive(first, url)
    assert (got.events, got.seals, got.cosignatures, got.head) == (4, 1, 0, 4)
    assert Ledger.receive(first, url).events == 0
    got = Ledger.receive(later, url)
    assert (got.events, got.seals, got.erasures, got.cosignatures, got.head) == (2, 1, 1, 0, 6)
    before = dump(tmp_path / "street.db")
    again = Ledger.receive(later, url)
    assert (again.events, again.seals, again.erasures, again.cosignatures) == (0, 0, 0, 0)
    assert dump(tmp_path / "street.db") == before
    with Ledger.open(url, "community", create=False) as replica:
        assert replica.origin == "fixture.example/delivery-v1"
        assert replica.seals()[0].text == (FIXTURES / "first_seal.txt").read_text("utf-8")
        assert replica.cosignatures() == []
        assert replica.verify().ok


def test_a_format_1_file_with_a_cosignature_line_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "first.delivery"
    shutil.copy(FIXTURES / "first.delivery", path)
    items = lines(path)
    seal = items[1]["seal"]
    line = {
        "tree_size": seal["tree_size"],
        "root_hash": seal["root_hash"],
        "sealed_at": seal["sealed_at"],
        "verifier": WITNESS.verifier().to_text(),
        "signature": "— auditor.example AAAA",
    }
    write_lines(path, [*items[:-1], {"cosignature": line}, items[-1]])
    with pytest.raises(
        ValidationError, match=r"line 9: a 'cosignature' line in a civicledger-delivery/1 file"
    ):
        read_delivery(path)


def test_rows_are_hashed_once_on_the_way_and_a_file_changed_after_its_check_is_refused(
    sender: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader checks each row against its leaf once; the re-reads (checking against the
    replica, then applying) compare each batch's bytes with what was checked instead. The
    store still checks each new row itself."""
    path = tmp_path / "d.delivery"
    sender.deliver(path, batch=2)
    checked: list[int] = []
    real = civicledger.delivery.check_row

    def counting(row: Any, **kwargs: Any) -> None:
        checked.append(row.position)
        real(row, **kwargs)

    monkeypatch.setattr(civicledger.delivery, "check_row", counting)
    assert Ledger.receive(path, f"sqlite:///{tmp_path / 'street.db'}").events == 4
    assert checked == [1, 2, 3, 4]
    delivery = read_delivery(path)
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert '"position":3' in text[5]
    text[5] = text[5].replace('"actor":"clerk"', '"actor":"clerc"')  # row 3, second batch
    path.write_text("".join(text), encoding="utf-8")
    batches = delivery.batches()
    assert [r.position for r in next(batches).rows] == [1, 2]
    with pytest.raises(
        ValidationError, match=r"line 8: the batch ending at position 4 is not the one"
    ):
        next(batches)
    # Cut short after its first batch since it was checked: the missing batch is named.
    path.write_text("".join(text[:5]), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"has 1 of the 2 batches that were checked"):
        list(delivery.batches())


def test_on_sqlite_and_postgresql_a_file_brings_cosignatures_once_and_a_forged_one_nothing(
    sender: Ledger, tmp_path: Path, ledger_url: str, ledger_name: str
) -> None:
    path = tmp_path / "d.delivery"
    sender.deliver(path)
    items = lines(path)
    forged = json.loads(json.dumps(items))
    line = cosignature_lines(forged)[1]
    line["signature"] = cosignature_lines(items)[0]["signature"]  # the other key's line
    write_lines(tmp_path / "forged.delivery", forged)
    with pytest.raises(ValidationError, match=r"the cosignature by 'street\.example' of the seal"):
        Ledger.receive(tmp_path / "forged.delivery", ledger_url, ledger=ledger_name)
    with pytest.raises(LedgerNotFoundError):  # refused before the replica was made
        Ledger.open(ledger_url, ledger_name, create=False)
    assert Ledger.receive(path, ledger_url, ledger=ledger_name).cosignatures == 2
    assert Ledger.receive(path, ledger_url, ledger=ledger_name).cosignatures == 0
    with Ledger.open(ledger_url, ledger_name, create=False) as replica:
        assert replica.cosignatures() == sender.cosignatures()
        assert replica.verify().ok
