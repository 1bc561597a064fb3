"""Team metrics for a lead's report: counts, outcomes, ageing, who waits longest, a trend.

Pure: loops, ``now`` and a time zone in, a :class:`Report` out; no clock, no I/O.
The report is built once, as sections every format renders (:attr:`Report.sections`).
Cancelled loops count in no metric. Definitions for people are in docs/metrics.md.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
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
from loopcloser.core.words import N_, NP_, _, n_

DAY = timedelta(days=1)
TOTAL = NP_("agent", "all")
"""The agent name of the whole team's line (scripts read it: shown, it is p_("agent", TOTAL))."""
BUCKETS = (
    (N_("1 day"), 1),
    (N_("2-3 days"), 3),
    (N_("4-7 days"), 7),
    (N_("over 7 days"), None),
)
"""Ageing buckets of overdue loops: a label and the most whole days late it holds.

The labels are the keys of :attr:`Report.ageing`, which scripts read: they stay English
there, and are looked up with ``_`` where shown to a person."""
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


class Part(StrEnum):
    """The report's sections; each name is also the section's field in the report's JSON."""

    UNREADABLE = "unreadable"
    AGENTS = "agents"
    AGEING = "ageing"
    LONGEST_WAITING = "longest_waiting"
    TREND = "trend"


@dataclass(frozen=True)
class Section:
    """One section of the report: ``key`` for scripts and renderers, ``title`` for people,
    in the language in use."""

    key: Part
    title: str


@dataclass(frozen=True)
class Unreadable:
    """An agent whose store could not be read: the report is incomplete without them."""

    agent: str
    reason: str


class Why(StrEnum):
    """Why a customer is among those waiting longest."""

    OVERDUE = "overdue"
    SILENT = "silent"


@dataclass(frozen=True)
class Waiting:
    """A customer waiting on an overdue or silent loop, and how long."""

    agent: str
    """Whose loop it is in the report: its owner."""
    loop: Loop
    why: Why
    due: datetime
    """The due the customer holds (a new due they were never told of does not count)."""
    days_late: float | None
    """Days past that due, 1 decimal; None when not overdue."""
    days_silent: float
    """Days since the customer last heard from us, 1 decimal."""


@dataclass(frozen=True)
class Report:
    """The team report: a line per agent, the team's total, ageing, waits and the trend."""

    agents: tuple[AgentStats, ...]
    total: AgentStats
    ageing: dict[str, int]
    longest_waiting: tuple[Waiting, ...]
    """Overdue loops, latest first, then silent ones, longest silent first; one row a loop."""
    trend: tuple[tuple[date, int, int], ...]
    """(local day, open at its end, overdue at its end), oldest day first, today last."""
    since: datetime
    now: datetime
    tz: tzinfo
    unreadable: tuple[Unreadable, ...] = ()
    """Agents whose store could not be read, so none of their loops is counted."""

    @property
    def complete(self) -> bool:
        """Whether every agent's store was read."""
        return not self.unreadable

    @property
    def sections(self) -> tuple[Section, ...]:
        """The sections every format shows, in order: what could not be read comes first."""
        days = len(self.trend)
        titles = {
            Part.UNREADABLE: _("Stores that could not be read"),
            Part.AGENTS: _("By agent"),
            Part.AGEING: _("Overdue by age"),
            Part.LONGEST_WAITING: _("Customers waiting longest"),
            Part.TREND: n_("Last {count} days", "Last {count} days", days).format(count=days),
        }
        shown = [part for part in Part if part is not Part.UNREADABLE or self.unreadable]
        return tuple(Section(part, titles[part]) for part in shown)


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
    unreadable: Iterable[Unreadable] = (),
) -> Report:
    """The report over ``(agent, loop)`` pairs at ``now``; closures count from ``since``.

    ``unreadable`` names the agents whose loops could not be read: the report says so.
    """
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
        since=since,
        now=now,
        tz=tz,
        unreadable=tuple(sorted(unreadable, key=lambda item: item.agent)),
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
    counts = {label: 0 for label, _limit in BUCKETS}
    for item in seen:
        if item.flags.overdue:
            counts[bucket(now - item.flags.expected_due)] += 1
    return counts


def longest_waiting(seen: Iterable[Seen], now: datetime) -> tuple[Waiting, ...]:
    """The customers waiting longest, top ten: overdue loops first, latest first, then
    silent ones, longest silent first. A loop read twice (from two stores) counts once."""
    kept: dict[str, Waiting] = {}
    waiting = sorted(
        (item for item in seen if item.flags.overdue or item.flags.silent),
        key=lambda item: wait_rank(item, now),
    )
    for item in waiting:
        if len(kept) == LONGEST:
            break
        if item.loop.uid not in kept:
            kept[item.loop.uid] = waited(item, now)
    return tuple(kept.values())


def wait_rank(item: Seen, now: datetime) -> tuple[bool, timedelta, str, int]:
    """Overdue first, by how late; then silent, by how long silent; then agent and id."""
    flags = item.flags
    gap = now - (flags.expected_due if flags.overdue else flags.last_contact)
    return not flags.overdue, -gap, item.agent, item.loop.id


def waited(item: Seen, now: datetime) -> Waiting:
    """An overdue or silent loop as a row of the customers waiting longest."""
    flags = item.flags
    return Waiting(
        agent=item.agent,
        loop=item.loop,
        why=Why.OVERDUE if flags.overdue else Why.SILENT,
        due=flags.expected_due,
        days_late=round((now - flags.expected_due) / DAY, 1) if flags.overdue else None,
        days_silent=round((now - flags.last_contact) / DAY, 1),
    )


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
