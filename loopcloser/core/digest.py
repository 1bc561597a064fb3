"""The morning digest: what is late, due, untold, silent or waiting, and what closed yesterday.

Pure: loops and ``now`` in, a :class:`Digest` out; no clock, no I/O, no rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from loopcloser.core.model import (
    ACTIVE,
    Flag,
    Flags,
    Loop,
    Outcome,
    State,
    closed_at,
    derive,
    done_at,
    in_words,
    wait_until,
)
from loopcloser.core.when import Calendar, describe_due

# Our own names, so the digest reads the same whatever the process locale says.
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LATEST = datetime.max.replace(tzinfo=UTC)  # sorts waits with no answer date last
COUNTED = (Flag.OVERDUE, Flag.DUE_TODAY, "due_soon", Flag.UNTOLD, Flag.SILENT, "waiting")
"""The sections the summary line counts, in its order."""
NOTHING_OPEN = "Nothing open: every promise is closed."


@dataclass(frozen=True)
class Item:
    """One loop in one section, with the few words that section says about it."""

    loop: Loop
    flags: Flags
    detail: str


@dataclass(frozen=True)
class Section:
    """A titled group of loops; ``key`` is stable for scripts, ``title`` is for people."""

    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Digest:
    """The digest for one local day: a summary line and its non-empty sections."""

    day: date
    summary: str
    sections: tuple[Section, ...]


def build(
    loops: Iterable[Loop],
    now: datetime,
    cal: Calendar,
    cadence: timedelta | None = None,
    soon_days: int = 2,
) -> Digest:
    """The digest of ``loops`` at ``now``, with "today" and working days from ``cal``."""
    today = now.astimezone(cal.tz).date()
    yesterday = today - timedelta(days=1)
    soon = next_work_days(today, max(soon_days, 0), cal)
    pairs = [(loop, derive(loop, now, cal.tz, cadence)) for loop in loops]
    active = [(loop, flags) for loop, flags in pairs if loop.state in ACTIVE]
    closed = [
        (loop, flags)
        for loop, flags in pairs
        if loop.state is State.CLOSED and closed_at(loop).astimezone(cal.tz).date() == yesterday
    ]

    def section(
        key: Flag | str,
        title: str,
        chosen: Iterable[tuple[Loop, Flags]],
        order: Callable[[tuple[Loop, Flags]], Any],
        detail: Callable[[Loop, Flags], str],
    ) -> Section:
        ranked = sorted(chosen, key=lambda pair: (order(pair), pair[0].id))
        # Plain text: the key goes to scripts as JSON.
        return Section(str(key), title, tuple(Item(lp, fl, detail(lp, fl)) for lp, fl in ranked))

    def local_day(moment: datetime) -> date:
        return moment.astimezone(cal.tz).date()

    sections = (
        section(
            Flag.OVERDUE,
            "Overdue",
            [p for p in active if p[1].overdue],
            lambda p: p[1].expected_due,
            lambda lp, fl: (
                describe_due(fl.expected_due, now)
                + ("; new due not told" if fl.untold_reschedule else "")
            ),
        ),
        section(
            Flag.DUE_TODAY,
            "Due today",
            # Work already done waits only on telling the customer: "Done but not told".
            [p for p in active if p[1].due_today and not p[1].overdue and not p[1].untold],
            lambda p: p[1].expected_due,
            lambda lp, fl: f"{fl.expected_due.astimezone(cal.tz):%H:%M}",
        ),
        section(
            "due_soon",
            f"Due in the next {soon_days} working day{'' if soon_days == 1 else 's'}",
            [
                p
                for p in active
                if not p[1].overdue and not p[1].untold and local_day(p[1].expected_due) in soon
            ],
            lambda p: p[1].expected_due,
            lambda lp, fl: moment_text(fl.expected_due, cal.tz),
        ),
        section(
            Flag.UNTOLD,
            "Done but not told",
            [p for p in active if p[1].untold],
            lambda p: done_at(p[0]),
            lambda lp, fl: f"done {span(now - done_at(lp))} ago",
        ),
        section(
            Flag.SILENT,
            "Silent",
            [p for p in active if p[1].silent],
            lambda p: p[1].last_contact,
            lambda lp, fl: (
                f"no word for {span(now - fl.last_contact)}"
                + (f"; prefers {lp.prefers}" if lp.prefers else "")
            ),
        ),
        section(
            "waiting",
            "Waiting on others",
            [p for p in active if p[0].state is State.WAITING],
            # Stale waits first: someone has to chase them today.
            lambda p: (not p[1].stale_wait, wait_until(p[0]) or LATEST),
            lambda lp, fl: waiting_text(lp, fl, cal.tz),
        ),
        section(
            "closed_yesterday",
            "Closed yesterday",
            closed,
            lambda p: closed_at(p[0]),
            lambda lp, fl: str(fl.outcome or ""),
        ),
    )
    kept = tuple(s for s in sections if s.items)
    return Digest(today, summary(kept, bool(active), soon_days), kept)


def summary(sections: tuple[Section, ...], any_active: bool, soon_days: int) -> str:
    """One line counting each section, closed yesterday split by outcome."""
    counts = {s.key: len(s.items) for s in sections}
    head = " · ".join(f"{counts[key]} {in_words(key)}" for key in COUNTED if key in counts)
    if not head:
        # An open loop due next month is in no section, yet "every promise is closed" is false.
        head = (
            f"Nothing urgent: nothing due in the next {soon_days} working days"
            if any_active
            else NOTHING_OPEN.removesuffix(".")
        )
    closed = next((s for s in sections if s.key == "closed_yesterday"), None)
    if closed is None:
        return head if counts else head + "."
    outcomes = [item.flags.outcome for item in closed.items]
    split = ", ".join(f"{outcomes.count(o)} {o}" for o in Outcome if outcomes.count(o))
    return f"{head}; {len(closed.items)} closed yesterday ({split})"


def next_work_days(today: date, count: int, cal: Calendar) -> frozenset[date]:
    """The first ``count`` working days after ``today``."""
    days: list[date] = []
    day = today
    while len(days) < count:  # ends: Calendar guarantees at least one working day
        day += timedelta(days=1)
        if day.weekday() in cal.work_days:
            days.append(day)
    return frozenset(days)


def waiting_text(loop: Loop, flags: Flags, tz: tzinfo) -> str:
    """ "Finance until Fri 27 Nov 12:00", marked stale once that has passed."""
    party = loop.waiting_on.party if loop.waiting_on else "someone"
    until = wait_until(loop)
    text = party if until is None else f"{party} until {moment_text(until, tz)}"
    return text + (" (stale)" if flags.stale_wait else "")


def moment_text(moment: datetime, tz: tzinfo) -> str:
    """A moment in local time as agents read it: "Fri 27 Nov 17:30"."""
    local = moment.astimezone(tz)
    day = f"{DAY_NAMES[local.weekday()]} {local.day} {MONTH_NAMES[local.month - 1]}"
    return f"{day} {local:%H:%M}"


def span(gap: timedelta) -> str:
    """A gap in its largest whole unit ("3d", "5h", "20m"), as describe_due rounds."""
    for suffix, size in (("d", timedelta(days=1)), ("h", timedelta(hours=1))):
        if gap >= size:
            return f"{gap // size}{suffix}"
    return f"{max(gap, timedelta(0)) // timedelta(minutes=1)}m"
