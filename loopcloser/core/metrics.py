"""Team metrics for a lead's report: counts, outcomes, ageing, who waits longest, a trend.

Pure: loops, ``now`` and a time zone in, a :class:`Report` out; no clock, no I/O.
Cancelled loops count in no metric. Definitions for people are in docs/metrics.md.
"""

from __future__ import annotations

from bisect import bisect_right
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
    closed_at,
    derive,
    stepwise,
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
    by_agent: dict[str, list[Seen]] = {}
    for item in seen:
        by_agent.setdefault(item.agent, []).append(item)
    return Report(
        agents=tuple(agent_stats(name, by_agent[name], now, since) for name in sorted(by_agent)),
        total=agent_stats(TOTAL, seen, now, since),
        ageing=ageing(seen, now),
        longest_waiting=longest_waiting(seen, now),
        trend=trend(
            [item.loop for item in seen], now, tz, cadence, days, [item.flags for item in seen]
        ),
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
    loops: Sequence[Loop],
    now: datetime,
    tz: tzinfo,
    cadence: timedelta | None,
    days: int,
    flags: Sequence[Flags] | None = None,
) -> tuple[tuple[date, int, int], ...]:
    """Open and overdue loops at the end of each of the last ``days`` local days.

    Each loop's history is walked up to each day's end (today: up to ``now``),
    so a loop counts only on the days it existed and was still active, and as
    overdue on those past the due the customer then held. ``flags``, the loops' flags
    now, spare the walk of a history that ended before the first day.
    """
    today = now.astimezone(tz).date()
    ends = [
        min(now, datetime.combine(today - timedelta(days=back - 1), time(), tzinfo=tz))
        for back in range(days - 1, -1, -1)
    ]
    opened = [0] * days
    overdue = [0] * days
    # Once a loop's last event is behind a day's end, it stays as it is on every later
    # day: it is counted from that day on at once (a count that starts there).
    opened_from = [0] * (days + 1)
    overdue_from = [0] * (days + 1)
    now_flags: Sequence[Flags | None] = flags if flags is not None else [None] * len(loops)
    for loop, seen_now in zip(loops, now_flags, strict=True):
        if seen_now is not None and all(event.at <= ends[0] for event in loop.events):
            # Its whole history is behind the first day: as it is now on every day.
            if loop.state in ACTIVE:
                opened_from[0] += 1
                overdue_from[bisect_right(ends, seen_now.expected_due)] += 1
            continue
        steps = stepwise(loop)
        state: State | None = None
        expected: datetime | None = None
        applied = 0
        for index, end in enumerate(ends):
            while applied < len(loop.events) and loop.events[applied].at <= end:
                state, known = next(steps)
                expected = known.expected_due
                applied += 1
            if applied == len(loop.events):
                if state in ACTIVE and expected is not None:
                    opened_from[index] += 1
                    overdue_from[bisect_right(ends, expected, lo=index)] += 1
                break
            if state in ACTIVE:
                opened[index] += 1
                overdue[index] += expected is not None and end > expected
    for index in range(days):
        opened_from[index + 1] += opened_from[index]
        overdue_from[index + 1] += overdue_from[index]
        opened[index] += opened_from[index]
        overdue[index] += overdue_from[index]
    return tuple(
        (today - timedelta(days=days - 1 - index), opened[index], overdue[index])
        for index in range(days)
    )
