"""Shared builders for the follow-up tests: recorded events without a store, and the example."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime

from civicledger.catalog.followups import (
    FollowUpStatus,
    ProblemIdentified,
    ProblemResolved,
    ProblemSource,
    RectificationPlanned,
    RectificationProgressed,
    problem_stream,
)
from civicledger.events import Event, RecordedEvent


def recorded(
    events: Iterable[Event], *, actor: str = "clerk", start: int = 1
) -> list[RecordedEvent]:
    """Wrap payloads as recorded events at positions start, start + 1, ... (no store needed)."""
    versions: dict[str, int] = {}
    result = []
    for position, payload in enumerate(events, start=start):
        stream = problem_stream(payload.problem_id)  # type: ignore[attr-defined]
        versions[stream] = versions.get(stream, 0) + 1
        result.append(
            RecordedEvent(
                position=position,
                stream=stream,
                stream_version=versions[stream],
                event_id=uuid.UUID(int=position),
                type=type(payload).__event_type__,
                schema_version=1,
                occurred_on=payload.occurred_on,
                recorded_at=datetime(2024, 7, 1, tzinfo=UTC),
                actor=actor,
                payload=payload,
                payload_digest=b"",
                leaf_hash=b"",
            )
        )
    return result


def identified(
    problem_id: str, on: date, category: str = "作风建设", description: str | None = None
) -> ProblemIdentified:
    """A problem identified in the year's report."""
    return ProblemIdentified(
        occurred_on=on,
        problem_id=problem_id,
        source=ProblemSource.ANNUAL_REPORT,
        description=f"问题{problem_id}" if description is None else description,
        category=category,
    )


def planned(
    problem_id: str,
    measure_id: str,
    on: date,
    due_on: date | None,
    *,
    owner: str = "张某",
    unit: str = "社区党委",
    weight: int = 1,
    description: str | None = None,
) -> RectificationPlanned:
    """A measure planned for a problem."""
    return RectificationPlanned(
        occurred_on=on,
        problem_id=problem_id,
        measure_id=measure_id,
        description=description or f"措施{measure_id}",
        owner=owner,
        unit=unit,
        due_on=due_on,
        weight=weight,
    )


def progressed(
    problem_id: str,
    on: date,
    note: str = "推进中",
    *,
    measure_id: str | None = None,
    percent: int | None = None,
    status: FollowUpStatus | None = None,
    evidence: str | None = None,
) -> RectificationProgressed:
    """A progress note."""
    return RectificationProgressed(
        occurred_on=on,
        problem_id=problem_id,
        note=note,
        measure_id=measure_id,
        percent=percent,
        status=status,
        evidence=evidence,
    )


def resolved(
    problem_id: str, on: date, status: FollowUpStatus = FollowUpStatus.DONE, **extra: str
) -> ProblemResolved:
    """A problem marked done or closed."""
    return ProblemResolved(occurred_on=on, problem_id=problem_id, status=status, **extra)


def sample_events() -> list[Event]:
    """Four problems modelled on the seed report, followed into mid-2024 (a test sample).

    Unlike the example ledger (examples/community_2023/events.jsonl), whose follow-ups
    end in 2023, these run into 2024: one ongoing, one closed, one overdue.
    """
    d = date
    ongoing = FollowUpStatus.ONGOING
    events: list[Event] = [
        identified("2023-01", d(2023, 12, 20), "政治建设"),
        identified("2023-02", d(2023, 12, 20), "作风建设"),
        identified("2023-03", d(2023, 12, 20), "组织建设"),
        identified("2023-04", d(2023, 12, 20), "工作纪律"),
        planned("2023-01", "M1", d(2023, 12, 28), None, owner="张某", unit="社区党委"),
        planned("2023-01", "M2", d(2023, 12, 28), d(2024, 3, 31), owner="张某", unit="社区党委"),
        planned("2023-02", "M1", d(2023, 12, 28), d(2024, 2, 29), owner="李某", unit="社区党委"),
        planned(
            "2023-02",
            "M2",
            d(2023, 12, 28),
            d(2024, 5, 31),
            owner="李某",
            unit="社区居委会",
            weight=2,
        ),
        planned(
            "2023-03",
            "M1",
            d(2023, 12, 28),
            d(2024, 6, 30),
            owner="王某",
            unit="社区党委",
            weight=2,
        ),
        planned(
            "2023-03", "M2", d(2023, 12, 28), d(2024, 4, 30), owner="王某", unit="各网格党支部"
        ),
        planned("2023-04", "M1", d(2023, 12, 28), d(2024, 1, 31), owner="赵某", unit="社区居委会"),
        planned("2023-04", "M2", d(2023, 12, 28), d(2024, 4, 30), owner="赵某", unit="社区居委会"),
        progressed("2023-01", d(2024, 1, 15), "1月集中学习党章", measure_id="M1"),
        progressed(
            "2023-04",
            d(2024, 1, 20),
            "外出登记改为每日核对",
            measure_id="M1",
            percent=100,
            evidence="登记本抽查记录-2024-01",
        ),
        progressed("2023-02", d(2024, 2, 26), "专题讨论完成", measure_id="M1", percent=100),
        progressed("2023-03", d(2024, 3, 10), "为老党员送学上门", measure_id="M2", percent=50),
        progressed("2023-01", d(2024, 3, 28), "书记讲专题党课", measure_id="M2", percent=100),
        progressed("2023-01", d(2024, 3, 31), "学习纳入月度例会", status=ongoing),
        progressed("2023-03", d(2024, 4, 25), "线上组织生活每月一次", measure_id="M2", percent=100),
        progressed("2023-03", d(2024, 5, 15), "新增在职党员报到", measure_id="M1", percent=40),
        progressed("2023-02", d(2024, 5, 20), "印发激励和容错清单", measure_id="M2", percent=100),
        resolved("2023-02", d(2024, 5, 28), evidence="整改报告-2023-02"),
        resolved("2023-02", d(2024, 6, 15), FollowUpStatus.CLOSED, note="街道党工委验收销号"),
    ]
    return events
