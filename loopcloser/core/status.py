"""The counts of the status line, and the first moment the clock alone changes them.

A shell prompt shows these counts from a small file that every change to the store
leaves (storage.status_file), so that it never waits for loopcloser to start. Counts
taken at one moment stay true until the next change to the store, or until the clock
makes a loop overdue, due today (or no longer today), silent or a stale wait: the
file says when that first happens, so the prompt can tell old counts from fresh ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import NamedTuple

from loopcloser.core.model import ACTIVE, STATUS_ORDER, Facts, State, flags_at, update_cadence
from loopcloser.core.words import n_

SECOND = timedelta(seconds=1)
NEVER_EPOCH = 253402300799
"""``until`` when only a change to the store can change the counts: 9999-12-31T23:59:59Z."""


class Standing(NamedTuple):
    """The status counts at one moment, and until when the clock leaves them true."""

    counts: dict[str, int]
    """``open`` and each flag of the status line, in the order the line gives them."""
    taken: datetime
    until: datetime | None
    """The first moment the counts may differ with no change to the store; None: never."""

    def line(self) -> str:
        """The status line's words, as ``loopcloser status`` prints them: "" when all is well."""
        return status_line(self.counts)


# Each count of the status line in words, the word agreeing with its number.
COUNTED: dict[str, Callable[[int], str]] = {
    "overdue": lambda count: n_("{count} overdue", "{count} overdue", count),
    "untold": lambda count: n_("{count} untold", "{count} untold", count),
    "untold_reschedule": lambda count: n_(
        "{count} untold reschedule", "{count} untold reschedule", count
    ),
    "due_today": lambda count: n_("{count} due today", "{count} due today", count),
    "silent": lambda count: n_("{count} silent", "{count} silent", count),
    "stale_wait": lambda count: n_("{count} stale wait", "{count} stale wait", count),
}


def status_line(counts: Mapping[str, int]) -> str:
    """ "3 overdue · 1 untold": each flag that counts any loop, in the status order."""
    flags = (str(flag) for flag in STATUS_ORDER)
    return " · ".join(
        COUNTED[name](counts[name]).format(count=counts[name]) for name in flags if counts.get(name)
    )


def standing(
    known: Iterable[Facts], now: datetime, tz: tzinfo, cadence: timedelta | None
) -> Standing:
    """The status counts at ``now`` of the loops whose :func:`~loopcloser.core.model.facts`
    are ``known``: those still open count, the rest are passed over."""
    names = [str(flag) for flag in STATUS_ORDER]
    counts = dict.fromkeys(["open", *names], 0)
    until: datetime | None = None
    for facts in known:
        if facts.state not in ACTIVE:
            continue
        flags = flags_at(facts, now, tz, cadence)
        counts["open"] += 1
        for name in names:
            counts[name] += bool(getattr(flags, name))
        for moment in turning_points(facts, cadence, tz):
            if moment > now and (until is None or moment < until):
                until = moment
    return Standing(counts, now, until)


def turning_points(facts: Facts, cadence: timedelta | None, tz: tzinfo) -> list[datetime]:
    """The moments after which one of the loop's flags turns, by the clock alone.

    Each flag compares now with a moment strictly (``now > due``): it turns one whole
    second after that moment. "Due today" turns at the local midnights around the due.
    """
    due = facts.expected_due
    moments = [just_after(due)]
    due_day = due.astimezone(tz).date()
    moments += [midnight(due_day, tz), midnight(due_day + timedelta(days=1), tz)]
    every = update_cadence(facts, cadence)
    if every is not None:
        moments.append(just_after(facts.last_contact + every))
    if facts.state is State.WAITING and facts.wait_until is not None:
        moments.append(just_after(facts.wait_until))
    return moments


def just_after(moment: datetime) -> datetime:
    """The first whole second after ``moment``."""
    return moment.replace(microsecond=0) + SECOND


@cache
def midnight(day: date, tz: tzinfo) -> datetime:
    """The moment ``day`` begins in ``tz``, in UTC.

    In UTC, as every other turning point is: a comparison of moments in two zones asks
    the zone for its offset each time, and standing() makes a few for every open loop.
    Kept once worked out: most loops share their due day with others, and a local
    midnight costs the zone's rules each time (half of what standing() took).
    """
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def epoch(moment: datetime | None) -> int:
    """Seconds since 1970 (what a shell compares), NEVER_EPOCH for None."""
    return NEVER_EPOCH if moment is None else int(moment.timestamp())


def file_text(now_standing: Standing) -> str:
    """The status file: the prompt's line first, then every count for scripts.

    Line 1 is ``UNTIL WORDS``: the moment (seconds since 1970) until which the counts
    hold, then the words of ``loopcloser status`` (none when all is well), so that a
    shell's ``read -r until words < FILE`` takes both. Line 2 is ``name=value`` fields:
    the counts, ``taken`` and ``until``.
    """
    until = epoch(now_standing.until)
    words = now_standing.line()
    fields = {**now_standing.counts, "taken": epoch(now_standing.taken), "until": until}
    head = f"{until} {words}" if words else str(until)
    return head + "\n" + " ".join(f"{name}={value}" for name, value in fields.items()) + "\n"
