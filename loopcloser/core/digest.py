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
    outcome_words,
    wait_until,
)
from loopcloser.core.when import Calendar, describe_due, gap_words
from loopcloser.core.words import MONTHS, N_, WEEKDAYS, _, n_, p_

LATEST = datetime.max.replace(tzinfo=UTC)  # sorts waits with no answer date last
COUNTED = (Flag.OVERDUE, Flag.DUE_TODAY, "due_soon", Flag.UNTOLD, Flag.SILENT, "waiting")
"""The sections the summary line counts, in its order."""
NOTHING_OPEN = N_("Nothing open: every promise is closed.")


@dataclass(frozen=True)
class Item:
    """One loop in one section, with the few words that section says about it."""

    loop: Loop
    flags: Flags
    detail: str


@dataclass(frozen=True)
class Section:
    """A titled group of loops; ``key`` is stable for scripts, ``title`` is for people.

    The texts for people (a section's title, an item's detail, the summary) are worded
    in the language in use when the digest is built.
    """

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
    morning = Morning.of(loops, now, cal, cadence, soon_days)
    sections = tuple(part(morning) for part in PARTS)
    kept = tuple(section for section in sections if section.items)
    return Digest(morning.today, summary(kept, bool(morning.active), soon_days), kept)


Pair = tuple[Loop, Flags]


@dataclass(frozen=True)
class Morning:
    """What every section of a digest looks at: now, the open loops, yesterday's closings."""

    now: datetime
    tz: tzinfo
    today: date
    soon: frozenset[date]  # the next working days
    soon_days: int
    active: tuple[Pair, ...]
    closed_yesterday: tuple[Pair, ...]

    @classmethod
    def of(
        cls,
        loops: Iterable[Loop],
        now: datetime,
        cal: Calendar,
        cadence: timedelta | None,
        soon_days: int,
    ) -> Morning:
        """The morning of ``now`` over ``loops``, with their flags."""
        today = now.astimezone(cal.tz).date()
        yesterday = today - timedelta(days=1)
        pairs = [(loop, derive(loop, now, cal.tz, cadence)) for loop in loops]
        return cls(
            now=now,
            tz=cal.tz,
            today=today,
            soon=next_work_days(today, max(soon_days, 0), cal),
            soon_days=soon_days,
            active=tuple(pair for pair in pairs if pair[0].state in ACTIVE),
            closed_yesterday=tuple(
                (loop, flags)
                for loop, flags in pairs
                if loop.state is State.CLOSED
                and closed_at(loop).astimezone(cal.tz).date() == yesterday
            ),
        )

    def local_day(self, moment: datetime) -> date:
        """The date of ``moment`` where the agent is."""
        return moment.astimezone(self.tz).date()


def section(
    key: Flag | str,
    title: str,
    chosen: Iterable[Pair],
    order: Callable[[Pair], Any],
    detail: Callable[[Loop, Flags], str],
) -> Section:
    """A section of the loops ``chosen``, in ``order`` (then by id), each with its detail."""
    ranked = sorted(chosen, key=lambda pair: (order(pair), pair[0].id))
    # Plain text: the key goes to scripts as JSON.
    return Section(str(key), title, tuple(Item(lp, fl, detail(lp, fl)) for lp, fl in ranked))


def overdue(morning: Morning) -> Section:
    """Past the due the customer expects, most overdue first."""

    def detail(loop: Loop, flags: Flags) -> str:
        late = describe_due(flags.expected_due, morning.now)
        return _("{late}; new due not told").format(late=late) if flags.untold_reschedule else late

    chosen = [pair for pair in morning.active if pair[1].overdue]
    return section(Flag.OVERDUE, _("Overdue"), chosen, lambda pair: pair[1].expected_due, detail)


def due_today(morning: Morning) -> Section:
    """Due later today; work already done waits only on telling ("Done but not told")."""
    chosen = [
        pair
        for pair in morning.active
        if pair[1].due_today and not pair[1].overdue and not pair[1].untold
    ]
    return section(
        Flag.DUE_TODAY,
        _("Due today"),
        chosen,
        lambda pair: pair[1].expected_due,
        lambda loop, flags: f"{flags.expected_due.astimezone(morning.tz):%H:%M}",
    )


def due_soon(morning: Morning) -> Section:
    """Due in the next working days."""
    days = morning.soon_days
    chosen = [
        pair
        for pair in morning.active
        if not pair[1].overdue
        and not pair[1].untold
        and morning.local_day(pair[1].expected_due) in morning.soon
    ]
    return section(
        "due_soon",
        n_(
            "Due in the next {count} working day", "Due in the next {count} working days", days
        ).format(count=days),
        chosen,
        lambda pair: pair[1].expected_due,
        lambda loop, flags: moment_text(flags.expected_due, morning.tz),
    )


def untold(morning: Morning) -> Section:
    """Done, the customer not yet told: longest waiting first."""
    return section(
        Flag.UNTOLD,
        _("Done but not told"),
        [pair for pair in morning.active if pair[1].untold],
        lambda pair: done_at(pair[0]),
        lambda loop, flags: done_ago(morning.now - done_at(loop)),
    )


def silent(morning: Morning) -> Section:
    """Past the update cadence without a word to the customer."""

    def detail(loop: Loop, flags: Flags) -> str:
        gap = span(morning.now - flags.last_contact)
        if loop.prefers:
            return _("no word for {gap}; prefers {channel}").format(
                gap=gap, channel=p_("channel", loop.prefers)
            )
        return _("no word for {gap}").format(gap=gap)

    chosen = [pair for pair in morning.active if pair[1].silent]
    return section(Flag.SILENT, _("Silent"), chosen, lambda pair: pair[1].last_contact, detail)


def waiting(morning: Morning) -> Section:
    """Waiting on another party; stale waits first: someone has to chase them today."""
    return section(
        "waiting",
        _("Waiting on others"),
        [pair for pair in morning.active if pair[0].state is State.WAITING],
        lambda pair: (not pair[1].stale_wait, wait_until(pair[0]) or LATEST),
        lambda loop, flags: waiting_text(loop, flags, morning.tz),
    )


def closed_yesterday(morning: Morning) -> Section:
    """Closed yesterday, with how each promise ended."""
    return section(
        "closed_yesterday",
        _("Closed yesterday"),
        morning.closed_yesterday,
        lambda pair: closed_at(pair[0]),
        lambda loop, flags: outcome_words(flags.outcome),
    )


PARTS: tuple[Callable[[Morning], Section], ...] = (
    overdue,
    due_today,
    due_soon,
    untold,
    silent,
    waiting,
    closed_yesterday,
)
"""The digest's sections, in the order a morning reads them."""


def summary(sections: tuple[Section, ...], any_active: bool, soon_days: int) -> str:
    """One line counting each section, closed yesterday split by outcome."""
    counts = {s.key: len(s.items) for s in sections}
    head = " · ".join(counted(key, counts[key]) for key in COUNTED if key in counts)
    if not head:
        # An open loop due next month is in no section, yet "every promise is closed" is false.
        head = (
            n_(
                "Nothing urgent: nothing due in the next {count} working days",
                "Nothing urgent: nothing due in the next {count} working days",
                soon_days,
            ).format(count=soon_days)
            if any_active
            else _(NOTHING_OPEN).removesuffix(".")
        )
    closed = next((s for s in sections if s.key == "closed_yesterday"), None)
    if closed is None:
        return head if counts else head + "."
    outcomes = [item.flags.outcome for item in closed.items]
    split = ", ".join(
        outcomes_counted(outcome, outcomes.count(outcome))
        for outcome in Outcome
        if outcomes.count(outcome)
    )
    return n_(
        "{summary}; {count} closed yesterday ({outcomes})",
        "{summary}; {count} closed yesterday ({outcomes})",
        len(closed.items),
    ).format(summary=head, count=len(closed.items), outcomes=split)


def counted(key: str, count: int) -> str:
    """A count of the summary line: "3 overdue", "1 due today"."""
    if key == Flag.OVERDUE:
        text = n_("{count} overdue", "{count} overdue", count)
    elif key == Flag.DUE_TODAY:
        text = n_("{count} due today", "{count} due today", count)
    elif key == "due_soon":
        text = n_("{count} due soon", "{count} due soon", count)
    elif key == Flag.UNTOLD:
        text = n_("{count} untold", "{count} untold", count)
    elif key == Flag.SILENT:
        text = n_("{count} silent", "{count} silent", count)
    else:
        text = n_("{count} waiting", "{count} waiting", count)
    return text.format(count=count)


def outcomes_counted(outcome: Outcome, count: int) -> str:
    """How many loops closed yesterday ended one way: "2 kept", "1 late"."""
    if outcome is Outcome.KEPT:
        text = n_("{count} kept", "{count} kept", count)
    elif outcome is Outcome.RENEGOTIATED:
        text = n_("{count} renegotiated", "{count} renegotiated", count)
    else:
        text = n_("{count} late", "{count} late", count)
    return text.format(count=count)


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
    party = loop.waiting_on.party if loop.waiting_on else _("someone")
    until = wait_until(loop)
    if until is None:
        return _("{party} (stale)").format(party=party) if flags.stale_wait else party
    moment = moment_text(until, tz)
    if flags.stale_wait:
        return _("{party} until {moment} (stale)").format(party=party, moment=moment)
    return _("{party} until {moment}").format(party=party, moment=moment)


def moment_text(moment: datetime, tz: tzinfo) -> str:
    """A moment in local time as agents read it: "Fri 27 Nov 17:30", whatever the
    process locale says (the names come from the language in use)."""
    local = moment.astimezone(tz)
    weekday = p_("weekday", WEEKDAYS[local.weekday()])
    month = p_("month", MONTHS[local.month - 1])
    return f"{weekday} {local.day} {month} {local:%H:%M}"


def done_ago(gap: timedelta) -> str:
    """How long ago a loop was done: "done 3d ago", "done just now"."""
    if gap < timedelta(minutes=1):
        return _("done just now")
    return _("done {gap} ago").format(gap=span(gap))


def span(gap: timedelta, *, narrow: bool = False) -> str:
    """A gap in its largest whole unit ("3d", "5h", "20m"), as describe_due rounds;
    Italian writes the words out ("3 giorni") unless ``narrow`` ("3 g")."""
    return gap_words(gap, narrow=narrow)
