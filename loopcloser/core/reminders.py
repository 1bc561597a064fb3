"""Which reminders are due for a loop now, and how firing one is recorded.

Pure: the caller passes ``now``; delivery lives in notify.py. Every reminder has a
key that names it for good, and a fired reminder is a REMINDED event carrying that
key, so the same reminder never fires twice however often this is asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from loopcloser.core.model import (
    ACTIVE,
    Event,
    Flag,
    Flags,
    Kind,
    Loop,
    derive,
    recorded_at,
    to_utc_text,
    update_cadence,
)
from loopcloser.core.when import Calendar, describe_due, gap_words, working_time_before
from loopcloser.core.words import _, dated, p_

# The kinds of reminder and their rank; lower is more urgent: a broken promise first, a
# note-to-self last. A reminder about a flag is named for it.
URGENCY: dict[str, int] = {
    Flag.OVERDUE: 0,
    "due": 1,
    Flag.UNTOLD: 2,
    Flag.SILENT: 3,
    Flag.STALE_WAIT: 4,
    "before_due": 5,
    "remind": 6,
}


@dataclass(frozen=True)
class Rules:
    """The team's reminder defaults (from config); per-loop --remind times come on top."""

    before_due: tuple[timedelta, ...] = (timedelta(hours=2),)
    """Remind this long before the due the customer was told."""
    at_due: bool = True
    """Remind when that due arrives."""
    overdue_morning: time | None = time(9, 0)
    """Remind every working morning at this local time while the loop is overdue."""
    update_every: timedelta | None = None
    """The update cadence for loops that have none of their own."""
    untold_after: timedelta | None = timedelta(hours=4)
    """Remind when a loop has been done but untold for this long (None: never)."""


@dataclass(frozen=True)
class Reminder:
    """One reminder for one loop, due since ``at``."""

    loop_id: int
    key: str
    """Its identity: the same reminder always has the same key, so it fires once."""
    kind: str
    """One of URGENCY's keys: remind, before_due, due, overdue, silent, stale_wait or untold."""
    message: str
    """One line for a person, starting "#ID CUSTOMER: " so it reads on its own."""
    at: datetime
    """The moment it became due."""
    urgency: int
    """Lower is more urgent."""
    shown: bool = True
    """False for one a later reminder of the same kind supersedes: recorded, not said."""


def due_reminders(loop: Loop, now: datetime, rules: Rules, cal: Calendar) -> list[Reminder]:
    """Every reminder that has come due for ``loop`` by ``now``, fired or not."""
    if loop.state not in ACTIVE:
        return []
    # A snooze silences, it does not skip: what came due meanwhile fires when it ends.
    if loop.snoozed_until is not None and loop.snoozed_until > now:
        return []
    case = Case(loop, now, rules, cal, derive(loop, now, cal.tz, rules.update_every))
    return [reminder for kind in KINDS for reminder in kind(case)]


@dataclass(frozen=True)
class Case:
    """One loop at ``now``, as every kind of reminder looks at it."""

    loop: Loop
    now: datetime
    rules: Rules
    cal: Calendar
    flags: Flags

    @property
    def due(self) -> datetime:
        """The due the customer holds."""
        return self.flags.expected_due

    def reminder(self, kind: str, key: str, at: datetime, text: str) -> Reminder:
        """A reminder of this loop, its text headed by the loop's id and customer."""
        head = f"#{self.loop.id} {self.loop.customer}: "
        # Plain text, not a Flag: the kind goes out to scripts and delivery commands.
        return Reminder(self.loop.id, key, str(kind), head + text, at, URGENCY[kind])


def own_times(case: Case) -> list[Reminder]:
    """The times the agent asked to be reminded at (--remind) that have come."""
    loop, now = case.loop, case.now
    return [
        case.reminder(
            "remind",
            f"remind:{to_utc_text(moment)}",
            moment,
            _("reminder: {promise} ({due})").format(
                promise=loop.promise, due=due_words(case.due, now)
            ),
        )
        for moment in loop.remind
        if moment <= now
    ]


def around_the_due(case: Case) -> list[Reminder]:
    """Before the due, at it, and each working morning while it is overdue.

    Keys carry the due the customer holds, so a reschedule they were told of re-arms
    these; once the due itself has come, its own reminder says it and "due soon" would
    be noise.
    """
    loop, now, due, rules = case.loop, case.now, case.due, case.rules
    found = []
    morning = overdue_morning(loop, due, case.flags.overdue, now, rules, case.cal)
    if now < due:
        for offset in rules.before_due:
            # Counted in working time: 2h before a Monday 10:00 due is Friday afternoon.
            moment = working_time_before(due, offset, case.cal)
            if now >= moment:
                found.append(
                    case.reminder(
                        "before_due",
                        f"before:{int(offset.total_seconds())}:{to_utc_text(due)}",
                        moment,
                        f"{due_words(due, now)}: {loop.promise}",
                    )
                )
    elif rules.at_due and morning is None:
        # Once a morning after the due has come, the morning reminder says it all; a "due"
        # missed while the machine was off would only repeat it.
        text = f"{due_words(due, now)}: {loop.promise}"
        found.append(case.reminder("due", f"due:{to_utc_text(due)}", due, text))
    if morning is not None:
        found.append(
            case.reminder(
                Flag.OVERDUE,
                f"overdue:{morning.date().isoformat()}",
                morning,
                f"{describe_due(due, now)}: {loop.promise}",
            )
        )
    return found


def silence(case: Case) -> list[Reminder]:
    """Once per cadence of silence: a customer left a week on a two-day cadence hears
    from us (through the agent) again, not just once."""
    loop, flags, now = case.loop, case.flags, case.now
    cadence = update_cadence(loop, case.rules.update_every)
    if not flags.silent or cadence is None:
        return []
    periods = repeats(flags.last_contact, now, cadence)
    gap = since(flags.last_contact, now)
    if loop.prefers:
        text = _("no update to {customer} for {gap}; they prefer {channel}").format(
            customer=loop.customer, gap=gap, channel=p_("channel", loop.prefers)
        )
    else:
        text = _("no update to {customer} for {gap}").format(customer=loop.customer, gap=gap)
    return [
        case.reminder(
            Flag.SILENT,
            f"silent:{to_utc_text(flags.last_contact)}:{periods}",
            flags.last_contact + periods * cadence,
            text,
        )
    ]


def stale_wait(case: Case) -> list[Reminder]:
    """The party waited on is past the date they should have answered by."""
    waiting = case.loop.waiting_on
    if not case.flags.stale_wait or waiting is None or waiting.until is None:
        return []
    until = waiting.until
    return [
        case.reminder(
            Flag.STALE_WAIT,
            f"stale:{to_utc_text(until)}",
            until,
            _("{party} has not answered since {moment}; chase them").format(
                party=waiting.party, moment=dated(until.astimezone(case.cal.tz), "%a %d %b %H:%M")
            ),
        )
    ]


def untold(case: Case) -> list[Reminder]:
    """Done but not told for longer than untold_after, again each such period."""
    loop, now, after = case.loop, case.now, case.rules.untold_after
    # A hand-edited store can say done without the event; then there is no clock to run.
    done = recorded_at(loop, Kind.DONE) if case.flags.untold else None
    if done is None or not after or now - done <= after:
        return []
    periods = repeats(done, now, after)
    return [
        case.reminder(
            Flag.UNTOLD,
            f"untold:{to_utc_text(done)}:{periods}",
            done + periods * after,
            _("done {gap} ago but {customer} has not been told; close it once they know").format(
                gap=since(done, now), customer=loop.customer
            ),
        )
    ]


KINDS: tuple[Callable[[Case], list[Reminder]], ...] = (
    own_times,
    around_the_due,
    silence,
    stale_wait,
    untold,
)
"""Every kind of reminder a loop can have, in the order they are listed."""


def overdue_morning(
    loop: Loop, due: datetime, overdue: bool, now: datetime, rules: Rules, cal: Calendar
) -> datetime | None:
    """The working morning after the due day whose overdue reminder is current, if any."""
    if not overdue or rules.overdue_morning is None:
        return None
    morning = last_morning(now, rules.overdue_morning, cal)
    return morning if morning.date() > due.astimezone(cal.tz).date() else None


def fired_keys(loop: Loop) -> frozenset[str]:
    """The keys of the reminders already fired for ``loop``.

    Keys fired before times were whole seconds name them with a fraction
    (``due:2026-11-25T11:00:00.654321Z``); read without it, they still match.
    """
    return frozenset(
        re.sub(r"(:[0-9]{2})\.[0-9]+Z", r"\1Z", event.key)
        for event in loop.events
        if event.kind is Kind.REMINDED and event.key is not None
    )


def repeats(since_moment: datetime, now: datetime, period: timedelta) -> int:
    """How many whole periods have passed (at least one, strictly "for longer than")."""
    return max(1, -(-(now - since_moment) // period) - 1)


def pending(loops: Iterable[Loop], now: datetime, rules: Rules, cal: Calendar) -> list[Reminder]:
    """Reminders due now and not yet fired, across ``loops``; most urgent first.

    When a run catches up after the machine was off, several reminders of one kind
    may be due for one loop at once (two --remind times, several before-due offsets):
    only the latest is shown; the others come back with ``shown`` False, to be
    recorded as fired without saying the same thing twice.
    """
    waiting: list[Reminder] = []
    for loop in loops:
        fired = fired_keys(loop)
        due = [r for r in due_reminders(loop, now, rules, cal) if r.key not in fired]
        latest: dict[str, Reminder] = {}
        for reminder in due:
            if reminder.kind not in latest or reminder.at >= latest[reminder.kind].at:
                latest[reminder.kind] = reminder
        waiting.extend(replace(r, shown=latest[r.kind] is r) for r in due)
    return sorted(waiting, key=lambda r: (r.urgency, r.at, r.loop_id, r.key))


def reminded(reminder: Reminder, now: datetime, by: str) -> Event:
    """The REMINDED event that records ``reminder`` as fired."""
    return Event(kind=Kind.REMINDED, at=now, by=by, text=reminder.message, key=reminder.key)


def last_morning(now: datetime, morning: time, cal: Calendar) -> datetime:
    """The most recent working-day ``morning`` (local time) at or before ``now``."""
    local = now.astimezone(cal.tz)
    day: date = local.date()
    # Only the latest morning counts: a machine off for days reminds once, not once a day.
    while day.weekday() not in cal.work_days or datetime.combine(day, morning, cal.tz) > now:
        day -= timedelta(days=1)
    return datetime.combine(day, morning, cal.tz)


def due_words(due: datetime, now: datetime) -> str:
    """Say "due in 2h", "due now" or "3d late", for a message."""
    gap = abs(due - now)
    if gap < timedelta(minutes=1):
        return _("due now")
    if due < now:
        return describe_due(due, now)
    return _("due in {gap}").format(gap=gap_words(gap))


def since(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was, compactly: "3d", "5h" (as describe_due rounds)."""
    if now - moment >= timedelta(minutes=1):
        return gap_words(now - moment)
    return describe_due(moment, now)  # "now", or a moment still to come
