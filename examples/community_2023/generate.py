"""Generate the example community's 2023 ledger as JSON Lines (deterministic).

A plausible year of civic work for one community, XX社区: meetings, party
household contact, self-managed organisations, contact groups, mediation,
inspections, weekly Friday cleanups, trainings, welfare work, the four problems
of the year-end report and the narrative notes no figure can produce.

The output depends only on the fixed seed (``random.Random(2023)``): no wall
clock, no environment, so two runs write identical bytes. The key figures are
fixed targets (283 re-employment trainees, 612 merchants, 41 compounds, ...);
README.md lists every figure and the exact value the ledger yields.

Usage::

    python examples/community_2023/generate.py --output examples/community_2023/events.jsonl
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from almanac import Draft, Year, jsonl_bytes
from community import activities, compounds, contact_groups, meetings, organisations, party_contact
from services import environment, governance, notes, problems, welfare

SEED = 2023
"""The generator's only source of variety: same seed, same bytes."""


def build_year(rng: random.Random) -> list[Draft]:
    """Every event of the year, in ledger order."""
    year = Year()
    names = compounds(rng, year)
    organisations(year)
    meetings(rng, year)
    activities(rng, year)
    party_contact(rng, year)
    contact_groups(rng, year)
    welfare(rng, year)
    governance(rng, year)
    environment(rng, year, names)
    problems(year)
    notes(year)
    return year.in_order()


def render(rng: random.Random) -> bytes:
    """The whole ledger as JSON Lines bytes (canonical JSON, one event per line)."""
    return jsonl_bytes(rng, build_year(rng))


def main(argv: Sequence[str] | None = None) -> int:
    """Write the example ledger; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "events.jsonl",
        help="file to write (a directory gets events.jsonl inside it)",
    )
    args = parser.parse_args(argv)
    output: Path = args.output
    if output.is_dir():
        output = output / "events.jsonl"
    data = render(random.Random(SEED))
    output.write_bytes(data)
    lines = data.count(b"\n")
    print(f"wrote {lines} events to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
