"""Timing discipline shared by every scenario: interleaved repetitions, medians and ratios.

Machines are shared and noisy, so no single timing is ever reported: each
contender (our code, the floor, the peer) runs once per round, in a rotating
order, for several rounds, and the median of each is compared inside the same
run.
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Sample = Callable[[], float]
"""Runs one repetition and returns its measured value (a rate or a duration)."""


@dataclass
class Series:
    """The repeated samples of one contender in one scenario."""

    contender: str
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median sample (never a single timing)."""
        return statistics.median(self.samples)

    def to_json(self) -> dict[str, Any]:
        """The series as plain data for the results file."""
        return {
            "unit": self.unit,
            "median": self.median,
            "min": min(self.samples),
            "max": max(self.samples),
            "samples": self.samples,
        }


@dataclass
class Target:
    """A target from the benchmark issue, checked against a measured value.

    ``higher_is_better`` targets are met when ``measured >= threshold``; the others
    when ``measured < threshold``. ``margin`` is measured / threshold.
    """

    claim: str
    measured: float
    threshold: float
    unit: str
    higher_is_better: bool

    @property
    def met(self) -> bool:
        """Whether the measured value reaches the threshold."""
        if self.higher_is_better:
            return self.measured >= self.threshold
        return self.measured < self.threshold

    def to_json(self) -> dict[str, Any]:
        """The target as plain data for the results file."""
        return {
            "claim": self.claim,
            "measured": self.measured,
            "threshold": self.threshold,
            "unit": self.unit,
            "met": self.met,
            "margin": self.measured / self.threshold if self.threshold else None,
            "higher_is_better": self.higher_is_better,
        }


@dataclass
class ScenarioResult:
    """Everything one scenario measured: series per contender, ratios, targets, notes."""

    name: str
    title: str
    size: int
    series: dict[str, Series] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def ratio(self, name: str, numerator: str, denominator: str) -> float:
        """Record and return the ratio of two contenders' medians."""
        value = self.series[numerator].median / self.series[denominator].median
        self.ratios[name] = value
        return value

    def target(
        self, claim: str, measured: float, threshold: float, unit: str, *, higher: bool
    ) -> None:
        """Record a target check."""
        self.targets.append(Target(claim, measured, threshold, unit, higher))

    def to_json(self) -> dict[str, Any]:
        """The result as plain data for the results file."""
        return {
            "name": self.name,
            "title": self.title,
            "size": self.size,
            "series": {k: v.to_json() for k, v in self.series.items()},
            "ratios": self.ratios,
            "targets": [t.to_json() for t in self.targets],
            "extra": self.extra,
            "notes": self.notes,
            "peak_rss_mb": peak_rss_mb(),
        }


def interleave(
    result: ScenarioResult,
    contenders: Mapping[str, tuple[str, Sample]],
    repetitions: int,
) -> None:
    """Run every contender once per round, rotating the order, for ``repetitions`` rounds.

    Args:
        result: where the samples go (one :class:`Series` per contender).
        contenders: contender name -> (unit, sample function).
        repetitions: how many rounds.
    """
    names = list(contenders)
    for name in names:
        result.series.setdefault(name, Series(name, contenders[name][0]))
    for round_no in range(repetitions):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            result.series[name].samples.append(contenders[name][1]())


def rate(count: int, work: Callable[[], object]) -> float:
    """Run ``work`` once and return ``count`` divided by the seconds it took."""
    start = time.perf_counter()
    work()
    return count / (time.perf_counter() - start)


def seconds(work: Callable[[], object]) -> float:
    """Run ``work`` once and return the seconds it took."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    On Linux this is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` would be
    wrong for a child process, because Linux carries the parent's peak across
    ``fork`` and ``exec`` into the child's ``ru_maxrss``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
