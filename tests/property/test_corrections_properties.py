"""Random correction and retraction histories: the effective view matches a simple model."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from civicledger import Ledger
from civicledger.errors import CorrectionError
from corrections_testkit import StepClock, attendance, meeting

# An operation: ("append", n) | ("correct", i, n) | ("retract", i) | ("undo", i), where i
# picks an earlier original (or, for "undo", one of its corrections) by index.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 50)),
        st.tuples(st.just("correct"), st.integers(0, 20), st.integers(0, 50)),
        st.tuples(st.just("retract"), st.integers(0, 20)),
        st.tuples(st.just("undo"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=25,
)


class Model:
    """What the effective view should be: each original's live corrections, and retractions."""

    def __init__(self) -> None:
        self.originals: list[tuple[object, int]] = []  # (event id, attendees)
        self.corrections: dict[object, list[tuple[object, int]]] = {}
        self.retracted: set[object] = set()

    def value(self, event_id: object, original: int) -> int:
        live = [v for c, v in self.corrections.get(event_id, []) if c not in self.retracted]
        return live[-1] if live else original

    def view(self) -> list[tuple[object, int]]:
        return [(e, self.value(e, n)) for e, n in self.originals if e not in self.retracted]


@given(operations)
def test_the_effective_view_and_the_figures_follow_the_model(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    """Whatever is corrected, retracted or undone, the view and the sum agree with the model."""
    model = Model()
    with Ledger.in_memory(clock=StepClock()) as ledger:
        for op in ops:
            if op[0] == "append" or not model.originals:
                n = op[1] if op[0] == "append" else 1
                (record,) = ledger.append("m", [meeting(n)], actor="c")
                model.originals.append((record.event_id, n))
                continue
            target, original = model.originals[op[1] % len(model.originals)]
            correction = None
            try:
                if op[0] == "correct":
                    record = ledger.correct(target, meeting(op[2]), reason="r", actor="c")
                    model.corrections.setdefault(target, []).append((record.event_id, op[2]))
                elif op[0] == "retract":
                    ledger.retract(target, reason="r", actor="c")
                    model.retracted.add(target)
                else:
                    corrections = model.corrections.get(target, [])
                    if not corrections:
                        continue
                    correction = corrections[op[1] % len(corrections)][0]
                    ledger.retract(correction, reason="undo", actor="c")
                    model.retracted.add(correction)
            except CorrectionError:
                # Refused: retracted targets, corrections equal to the current payload,
                # double retractions. The model must agree that it was refusable.
                assert (
                    target in model.retracted
                    or (op[0] == "correct" and model.value(target, original) == op[2])
                    or correction in model.retracted
                )
        view = [(r.event_id, r.payload.attendees) for r in ledger.read(effective=True)]  # type: ignore[attr-defined]
        assert view == model.view()
        (figure,) = ledger.indicators([attendance()], year=2023)
        assert figure.value == sum(n for _, n in model.view())
        assert ledger.verify().ok
