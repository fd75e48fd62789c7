"""How verify() splits a ledger's positions between this process and its workers."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from civicledger.audit.parallel import EVENTS_PER_WORKER, split
from civicledger.audit.walk import RANGE_ALIGNMENT


@given(head=st.integers(min_value=1, max_value=10**8), workers=st.integers(1, 64))
def test_ranges_cover_every_position_once_on_tile_boundaries(head: int, workers: int) -> None:
    """Contiguous ranges from 1 to the head, at most one per worker, each after the first
    starting one past a multiple of 256, none empty, none below a worker's share."""
    ranges = split(head, workers)
    assert ranges[0][0] == 1
    assert ranges[-1][1] == head
    assert all(last + 1 == first for (_, last), (first, _) in itertools.pairwise(ranges))
    assert all(first <= last for first, last in ranges)
    assert all((first - 1) % RANGE_ALIGNMENT == 0 for first, _ in ranges)
    assert 1 <= len(ranges) <= workers
    assert len(ranges) == 1 or head >= len(ranges) * EVENTS_PER_WORKER


def test_this_process_takes_a_head_start_while_workers_start() -> None:
    """The first range is longer than the others by half a worker's threshold (to the
    nearest 256), the rest are equal to within one block."""
    ranges = split(1_000_000, 2)
    lengths = [last - first + 1 for first, last in ranges]
    head_start = EVENTS_PER_WORKER // 2 // RANGE_ALIGNMENT * RANGE_ALIGNMENT
    assert abs(lengths[0] - lengths[1] - head_start) <= RANGE_ALIGNMENT
    rest = [last - first + 1 for first, last in split(1_000_000, 4)[1:]]
    assert max(rest) - min(rest) <= RANGE_ALIGNMENT


def test_a_small_ledger_is_walked_in_one_range() -> None:
    """Below two workers' threshold, one process walks it all."""
    assert split(2 * EVENTS_PER_WORKER - 1, 8) == [(1, 2 * EVENTS_PER_WORKER - 1)]
