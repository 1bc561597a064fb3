"""Team metrics for a lead's report: counts, outcomes, ageing, who waits longest, a trend.

Pure: loops, ``now`` and a time zone in, a :class:`Report` out; no clock, no I/O.
Cancelled loops count in no metric. Definitions for people are in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, tzinfo
from statistics import median

from loopcloser.core.model import (
    ACTIVE,
    Flags,
    Loop,
    Outcome,
    State,
    apply,
    closed_at,
    derive,
    terms,
)

DAY = timedelta(days=1)
TOTAL = "all"
"""The agent name of the whole team's line."""
BUCKETS = (("1 day", 1), ("2-3 days", 3), ("4-7 days", 7), ("over 7 days", None))
"""Ageing buckets of overdue loops: a label and the most whole days late it holds."""
LONGEST = 10


@dataclass(frozen=True)
class AgentStats:
    """One agent's line in the report (or the team's, under the name ``all``)."""

    agent: str
    open: int
    overdue: int
    untold: int
    silent: int
    waiting: int
    closed: int
    """Closed within the period [since, now]; kept, renegotiated and late split them."""
    kept: int
    renegotiated: int
    late: int
    kept_rate: float | None
    """(kept + renegotiated) / closed in the period; None when none closed."""
    median_days_late: float | None
    """Median days past the agreed due of loops closed late in the period, 1 decimal."""


STAT_NAMES = tuple(item.name for item in fields(AgentStats))
"""The names of an agent's numbers, in the order the report's columns show them."""


@dataclass(frozen=True)
class Report:
    """The team report: a line per agent, the team's total, ageing, waits and the trend."""

    agents: tuple[AgentStats, ...]
    total: AgentStats
    ageing: dict[str, int]
    longest_waiting: tuple[tuple[str, Loop, float], ...]
    """(agent, loop, days since the customer last heard from us), longest first."""
    trend: tuple[tuple[date, int, int], ...]
    """(local day, open at its end, overdue at its end), oldest day first, today last."""


@dataclass(frozen=True)
class Seen:
    """One loop as the report sees it now."""

    agent: str
    loop: Loop
    flags: Flags


def build_report(
    loops: Iterable[tuple[str, Loop]],
    now: datetime,
    tz: tzinfo,
    since: datetime,
    cadence: timedelta | None = None,
    days: int = 14,
) -> Report:
    """The report over ``(agent, loop)`` pairs at ``now``; closures count from ``since``."""
    pairs = list(loops)
    seen = [Seen(agent, loop, derive(loop, now, tz, cadence)) for agent, loop in pairs]
    names = sorted({item.agent for item in seen})
    return Report(
        agents=tuple(
            agent_stats(name, [item for item in seen if item.agent == name], now, since)
            for name in names
        ),
        total=agent_stats(TOTAL, seen, now, since),
        ageing=ageing(seen, now),
        longest_waiting=longest_waiting(seen, now),
        trend=trend([loop for _, loop in pairs], now, tz, cadence, days),
    )


def agent_stats(agent: str, seen: Sequence[Seen], now: datetime, since: datetime) -> AgentStats:
    """Counts, outcomes, kept rate and median lateness over one agent's loops."""
    active = [item for item in seen if item.loop.state in ACTIVE]
    closed = [
        item
        for item in seen
        if item.loop.state is State.CLOSED and since <= closed_at(item.loop) <= now
    ]
    outcomes = [item.flags.outcome for item in closed]
    kept, renegotiated = outcomes.count(Outcome.KEPT), outcomes.count(Outcome.RENEGOTIATED)
    late = [item.loop for item in closed if item.flags.outcome is Outcome.LATE]
    return AgentStats(
        agent=agent,
        open=len(active),
        overdue=sum(item.flags.overdue for item in active),
        untold=sum(item.flags.untold for item in active),
        silent=sum(item.flags.silent for item in active),
        waiting=sum(item.loop.state is State.WAITING for item in active),
        closed=len(closed),
        kept=kept,
        renegotiated=renegotiated,
        late=len(late),
        kept_rate=(kept + renegotiated) / len(closed) if closed else None,
        median_days_late=round(median(days_late(loop) for loop in late), 1) if late else None,
    )


def days_late(loop: Loop) -> float:
    """Days from the due the customer had agreed to the closing of a late loop."""
    return (closed_at(loop) - terms(loop).agreed_due) / DAY


def bucket(late: timedelta) -> str:
    """The ageing bucket of a loop this far past its due (up to 1 day is "1 day")."""
    for label, limit in BUCKETS:
        if limit is not None and late <= limit * DAY:
            return label
    return BUCKETS[-1][0]


def ageing(seen: Iterable[Seen], now: datetime) -> dict[str, int]:
    """Overdue open loops counted by how far past the due the customer was told."""
    counts = {label: 0 for label, _ in BUCKETS}
    for item in seen:
        if item.flags.overdue:
            counts[bucket(now - item.flags.expected_due)] += 1
    return counts


def longest_waiting(seen: Iterable[Seen], now: datetime) -> tuple[tuple[str, Loop, float], ...]:
    """Open loops whose customer has gone longest without hearing from us, top ten."""
    waits = [
        (item.agent, item.loop, now - item.flags.last_contact)
        for item in seen
        if item.loop.state in ACTIVE
    ]
    waits.sort(key=lambda wait: (-wait[2], wait[0], wait[1].id))
    return tuple((agent, loop, round(gap / DAY, 1)) for agent, loop, gap in waits[:LONGEST])


def trend(
    loops: Sequence[Loop], now: datetime, tz: tzinfo, cadence: timedelta | None, days: int
) -> tuple[tuple[date, int, int], ...]:
    """Open and overdue loops at the end of each of the last ``days`` local days.

    Each loop's history is replayed up to each day's end (today: up to ``now``),
    so a loop counts only on the days it existed and was still active.
    """
    today = now.astimezone(tz).date()
    ends = [
        min(now, datetime.combine(today - timedelta(days=back - 1), time(), tzinfo=tz))
        for back in range(days - 1, -1, -1)
    ]
    opened = [0] * days
    overdue = [0] * days
    for loop in loops:
        past: Loop | None = None
        applied = 0
        for index, end in enumerate(ends):
            while applied < len(loop.events) and loop.events[applied].at <= end:
                past = apply(past, loop.events[applied], loop.id)
                applied += 1
            if past is not None and past.state in ACTIVE:
                opened[index] += 1
                overdue[index] += derive(past, end, tz, cadence).overdue
    return tuple(
        (today - timedelta(days=days - 1 - index), opened[index], overdue[index])
        for index in range(days)
    )
