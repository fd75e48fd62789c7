"""Operation groups on the facade: ``ledger.audit`` holds every audit call."""

from __future__ import annotations

import pytest

from civicledger import Ledger, ReadFilter
from civicledger.audit.auditor import Auditor
from store_testkit import note


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger.in_memory()
    ledger.append("meeting/1", [note(str(i), day=i + 1) for i in range(5)], actor="clerk")
    return ledger


def test_the_audit_group_is_one_auditor_that_keeps_the_ledger_s_seals(ledger: Ledger) -> None:
    """ledger.audit is made once; a seal made through it is the ledger's seal."""
    assert isinstance(ledger.audit, Auditor)
    assert ledger.audit is ledger.audit
    seal = ledger.audit.seal()
    assert ledger.seals() == [seal]
    assert ledger.check_seal(seal.text) == seal
    assert ledger.audit.verify(workers=1).ok


@pytest.mark.parametrize(
    ("name", "args", "new_call"),
    [
        ("inclusion_proof", (2, 5), "ledger.audit.inclusion_proof(position, tree_size)"),
        ("consistency_proof", (2, 5), "ledger.audit.consistency_proof(old_size, new_size)"),
        ("envelopes", (5,), "ledger.audit.envelopes(tree_size)"),
    ],
)
def test_raw_audit_calls_on_the_ledger_warn_and_give_the_group_s_answer(
    ledger: Ledger, name: str, args: tuple[int, ...], new_call: str
) -> None:
    """The raw proofs moved to ledger.audit; the old calls name the new one and still work."""
    with pytest.warns(DeprecationWarning, match=f"Ledger.{name} is deprecated; use") as caught:
        old = list(getattr(ledger, name)(*args))
    assert new_call in str(caught[0].message)
    assert old == list(getattr(ledger.audit, name)(*args))
    assert old


def test_the_corrections_group_amends_the_ledger_it_belongs_to(ledger: Ledger) -> None:
    """A retraction and a correction made through ledger.corrections shape the ledger's view."""
    assert ledger.corrections is ledger.corrections
    first, second, *_ = ledger.read()
    ledger.corrections.retract(first.event_id, reason="entered twice", actor="clerk")
    ledger.corrections.correct(second.event_id, note("fixed", day=2), reason="typo", actor="li")
    effective = list(ledger.read(effective=True))
    assert first.event_id not in {r.event_id for r in effective}
    (fixed,) = [r for r in effective if r.event_id == second.event_id]
    assert fixed.payload == note("fixed", day=2)
    assert [r.event_id for r in ledger.corrections.read(ReadFilter(stream="meeting/1"))] == [
        r.event_id for r in effective
    ]
