"""Reminders: each fires once as a working week passes, snoozes hold, contacts re-arm."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from loopcloser.core.model import (
    Event,
    Flag,
    Kind,
    Loop,
    State,
    apply,
    creation,
    derive,
    to_utc_text,
)
from loopcloser.core.reminders import (
    URGENCY,
    Reminder,
    Rules,
    due_reminders,
    fired_keys,
    pending,
    reminded,
)
from loopcloser.core.when import Calendar

ROME = ZoneInfo("Europe/Rome")
CAL = Calendar(tz=ROME)
RULES = Rules()
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def rome(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 23 November 2026, Rome time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


MONDAY_9 = rome(23, 9)
TUESDAY_17 = rome(24, 17)


def new_loop(
    due: datetime = TUESDAY_17,
    *,
    loop_id: int = 1,
    customer: str = "Maria Rossi",
    at: datetime = MONDAY_9,
    **fields: Any,
) -> Loop:
    event = creation(
        uid=f"7f1c2a1e-0000-4000-8000-{loop_id:012d}",
        customer=customer,
        promise="call back about the refund",
        owner="anna",
        due=due,
        at=at,
        via="phone",
        **fields,
    )
    return apply(None, event, loop_id=loop_id)


def step(loop: Loop, kind: Kind, at: datetime, **fields: Any) -> Loop:
    return apply(loop, Event(kind=kind, at=at, by="anna", **fields))


def fire(loops: list[Loop], now: datetime, rules: Rules = RULES) -> list[Reminder]:
    """Run the reminder job once: fire what is pending and record it on the loops."""
    fired = pending(loops, now, rules, CAL)
    for reminder in fired:
        index = next(i for i, loop in enumerate(loops) if loop.id == reminder.loop_id)
        loops[index] = apply(loops[index], reminded(reminder, now, "anna"))
    return fired


def hourly(start: datetime, end: datetime) -> Iterable[datetime]:
    moment = start
    while moment <= end:
        yield moment
        moment += HOUR


def run(loops: list[Loop], moments: Iterable[datetime]) -> list[tuple[datetime, Reminder]]:
    """Fire at each moment in turn; return what fired, and when."""
    return [(now, reminder) for now in moments for reminder in fire(loops, now)]


def run_reminders(loops: list[Loop], moments: Iterable[datetime]) -> list[Reminder]:
    return [reminder for _, reminder in run(loops, moments)]


def kinds(fired: Iterable[Reminder]) -> list[str]:
    return [reminder.kind for reminder in fired]


def test_each_kind_fires_once_as_the_working_week_passes() -> None:
    loops = [new_loop(remind=[rome(23, 15)], update_every=DAY, prefers="phone")]
    fired = run(loops, hourly(MONDAY_9, rome(27, 18)))

    timeline = [(now.astimezone(ROME), reminder.kind) for now, reminder in fired]
    assert timeline == [
        (rome(23, 15), "remind"),
        (rome(24, 10), "silent"),  # a day without word, strictly past Monday 9:00
        (rome(24, 15), "before_due"),
        (rome(24, 17), "due"),
        (rome(25, 9), "overdue"),
        (rome(25, 10), "silent"),  # still no word: once more for each day of silence
        (rome(26, 9), "overdue"),
        (rome(26, 10), "silent"),
        (rome(27, 9), "overdue"),
        (rome(27, 10), "silent"),
    ]
    keys = [reminder.key for _, reminder in fired]
    assert len(keys) == len(set(keys))
    assert fired_keys(loops[0]) == frozenset(keys)


def test_a_second_run_at_the_same_or_a_later_moment_fires_nothing_again() -> None:
    loops = [new_loop(remind=[rome(23, 15)])]
    assert kinds(fire(loops, rome(24, 17))) == ["due", "remind"]
    assert fire(loops, rome(24, 17)) == []
    assert fire(loops, rome(24, 23)) == []


def test_untold_fires_once_per_period_while_the_customer_is_not_told() -> None:
    loops = [new_loop(due=rome(27, 17))]
    loops[0] = step(loops[0], Kind.DONE, rome(24, 10))
    fired = run(loops, hourly(rome(24, 10), rome(24, 20)))

    assert [(now, reminder.kind) for now, reminder in fired] == [
        (rome(24, 15), "untold"),  # done at 10:00, more than 4h untold
        (rome(24, 19), "untold"),  # and again after another 4h
    ]
    assert fired[0][1].message == (
        "#1 Maria Rossi: done 5h ago but Maria Rossi has not been told; close it once they know"
    )


def test_stale_wait_fires_once_and_names_the_party_to_chase() -> None:
    loops = [new_loop(due=rome(27, 17))]
    wait = {"waiting_on": {"party": "Finance", "until": to_utc_text(rome(24, 12))}}
    loops[0] = step(loops[0], Kind.WAITING, rome(23, 10), changes=wait)
    fired = run(loops, hourly(rome(23, 10), rome(25, 10)))

    assert [(now, reminder.kind) for now, reminder in fired] == [(rome(24, 13), "stale_wait")]
    assert fired[0][1].message == (
        "#1 Maria Rossi: Finance has not answered since Tue 24 Nov 12:00; chase them"
    )


def test_a_snooze_holds_then_lets_go_of_what_came_due_once() -> None:
    loops = [new_loop(remind=[rome(24, 12)])]
    snooze = {"snoozed_until": to_utc_text(rome(26, 10))}
    loops[0] = step(loops[0], Kind.SNOOZED, rome(23, 10), changes=snooze)

    assert run(loops, hourly(rome(23, 10), rome(26, 9))) == []
    after = run(loops, hourly(rome(26, 10), rome(26, 18)))
    assert [now for now, _ in after] == [rome(26, 10)] * 2
    # The due passed while snoozed: this morning's overdue reminder says it, once.
    assert sorted(kinds(r for _, r in after)) == ["overdue", "remind"]
    # Only the latest morning: Wednesday's passed while snoozed and is gone for good.
    assert {r.key for _, r in after if r.kind == "overdue"} == {"overdue:2026-11-26"}


def test_a_machine_off_for_two_days_fires_each_missed_kind_once() -> None:
    loops = [new_loop(due=rome(23, 17), update_every=DAY)]
    assert fire(loops, rome(23, 12)) == []

    fired = fire(loops, rome(26, 12))  # off from Monday noon to Thursday noon
    # The missed due is said by this morning's overdue reminder; it does not come twice.
    assert Counter(kinds(fired)) == Counter({"overdue": 1, "silent": 1})
    overdue = next(r for r in fired if r.kind == "overdue")
    assert overdue.key == "overdue:2026-11-26"
    assert overdue.at == rome(26, 9)
    assert fire(loops, rome(26, 18)) == []


def test_overdue_mornings_skip_the_weekend() -> None:
    loops = [new_loop(due=rome(26, 17))]
    run(loops, [rome(27, 9)])
    assert fire(loops, rome(28, 12)) == []  # Saturday
    assert fire(loops, rome(29, 12)) == []  # Sunday
    assert kinds(fire(loops, rome(30, 9))) == ["overdue"]


def test_overdue_waits_for_the_morning_after_the_due_day() -> None:
    loops = [new_loop(due=rome(24, 8))]
    assert kinds(fire(loops, rome(24, 10))) == ["due"]  # 9:00 the same day is no "morning after"
    assert fire(loops, rome(24, 23)) == []
    assert kinds(fire(loops, rome(25, 9))) == ["overdue"]


def test_a_contact_rearms_silence() -> None:
    loops = [new_loop(due=rome(27, 17), update_every=DAY, prefers="phone")]
    first = fire(loops, rome(24, 10))
    assert [r.message for r in first] == [
        "#1 Maria Rossi: no update to Maria Rossi for 1d; they prefer phone"
    ]
    loops[0] = step(loops[0], Kind.CONTACT, rome(24, 11), via="phone", text="still on it")
    assert run(loops, hourly(rome(24, 11), rome(25, 11))) == []
    again = fire(loops, rome(25, 12))
    assert kinds(again) == ["silent"]
    assert again[0].key != first[0].key


def test_the_team_cadence_applies_when_a_loop_has_none() -> None:
    loops = [new_loop(due=rome(27, 17))]
    assert fire(loops, rome(25, 12)) == []
    rules = Rules(update_every=2 * DAY)
    fired = fire(loops, rome(25, 12), rules)
    # No known preference: the message says nothing about one.
    assert [r.message for r in fired] == ["#1 Maria Rossi: no update to Maria Rossi for 2d"]


def test_a_told_reschedule_rearms_before_and_due_reminders() -> None:
    loops = [new_loop(due=rome(24, 12))]
    assert kinds(run_reminders(loops, hourly(MONDAY_9, rome(24, 12)))) == ["before_due", "due"]
    new_due = {"due": to_utc_text(rome(26, 17))}
    loops[0] = step(loops[0], Kind.RESCHEDULED, rome(24, 13), told=True, changes=new_due)

    fired = run(loops, hourly(rome(24, 13), rome(26, 18)))
    # Not overdue any more: the customer now expects Thursday, so no overdue mornings.
    assert [(now, r.kind) for now, r in fired] == [
        (rome(26, 15), "before_due"),
        (rome(26, 17), "due"),
    ]
    assert fired[0][1].message == "#1 Maria Rossi: due in 2h: call back about the refund"


def test_an_untold_reschedule_leaves_the_old_due_in_force() -> None:
    loops = [new_loop(due=rome(24, 12))]
    run(loops, hourly(MONDAY_9, rome(24, 12)))
    new_due = {"due": to_utc_text(rome(26, 17))}
    loops[0] = step(loops[0], Kind.RESCHEDULED, rome(24, 13), told=False, changes=new_due)

    fired = run(loops, hourly(rome(24, 13), rome(26, 18)))
    assert [(now, r.kind) for now, r in fired] == [
        (rome(25, 9), "overdue"),
        (rome(26, 9), "overdue"),
    ]


def test_closed_and_cancelled_loops_never_remind() -> None:
    every: dict[str, Any] = {"remind": [rome(23, 15)], "update_every": HOUR}
    closed = step(new_loop(loop_id=1, **every), Kind.CLOSED, rome(23, 10), via="phone")
    cancelled = step(new_loop(loop_id=2, **every), Kind.CANCELLED, rome(23, 10), text="withdrawn")
    for now in hourly(MONDAY_9, rome(27, 18)):
        for loop in (closed, cancelled):
            assert due_reminders(loop, now, RULES, CAL) == []


def test_pending_lists_the_most_urgent_first() -> None:
    waiting = {"waiting_on": {"party": "Finance", "until": to_utc_text(rome(24, 12))}}
    loops = [
        new_loop(loop_id=1, due=rome(30, 17), remind=[rome(25, 8)]),
        new_loop(loop_id=2, due=rome(25, 11)),
        step(new_loop(loop_id=3, due=rome(30, 17)), Kind.WAITING, rome(23, 10), changes=waiting),
        step(new_loop(loop_id=4, due=rome(30, 17)), Kind.DONE, rome(24, 9)),
        new_loop(loop_id=5, due=rome(24, 17)),
        new_loop(loop_id=6, due=rome(30, 17), update_every=DAY),
        new_loop(loop_id=7, due=rome(24, 17)),
    ]
    order = [(r.loop_id, r.kind) for r in pending(loops, rome(25, 10), RULES, CAL)]
    assert order == [
        (5, "overdue"),
        (7, "overdue"),
        (4, "untold"),
        (6, "silent"),
        (3, "stale_wait"),
        (2, "before_due"),
        (1, "remind"),
    ]


def test_reminded_records_the_reminder_by_its_key_and_message() -> None:
    loop = new_loop()
    (reminder,) = due_reminders(loop, rome(24, 15), RULES, CAL)
    event = reminded(reminder, rome(24, 15, 5), "anna")
    assert event.kind is Kind.REMINDED
    assert (event.key, event.text, event.by) == (reminder.key, reminder.message, "anna")
    assert reminder.key == f"before:7200:{to_utc_text(rome(24, 17))}"
    assert reminder.message.startswith("#1 Maria Rossi: ")
    assert fired_keys(apply(loop, event)) == {reminder.key}


def test_rules_can_turn_off_the_due_and_overdue_reminders() -> None:
    rules = Rules(before_due=(), at_due=False, overdue_morning=None)
    loop = new_loop(due=rome(23, 17))
    assert due_reminders(loop, rome(27, 12), rules, CAL) == []


def test_untold_counts_from_the_last_done_after_a_reopen() -> None:
    loops = [step(new_loop(due=rome(27, 17)), Kind.DONE, rome(24, 9))]
    loops[0] = step(step(loops[0], Kind.REOPENED, rome(24, 10)), Kind.DONE, rome(24, 12))
    fired = run(loops, hourly(rome(24, 12), rome(24, 17)))
    assert [(now, r.kind) for now, r in fired] == [(rome(24, 17), "untold")]
    assert fired[0][1].key == f"untold:{to_utc_text(rome(24, 12))}:1"


def test_a_loop_stored_as_done_without_its_event_has_no_untold_clock() -> None:
    hand_edited = new_loop(due=rome(27, 17))._replace(state=State.DONE)
    assert run([hand_edited], hourly(MONDAY_9, rome(24, 18))) == []


def test_silence_reminders_come_exactly_while_the_loop_is_silent() -> None:
    loop = new_loop(due=rome(30, 17), update_every=DAY)
    for now in hourly(MONDAY_9, rome(26, 18)):
        silent = derive(loop, now, ROME).silent
        assert silent == ("silent" in kinds(due_reminders(loop, now, RULES, CAL))), now


def test_a_reminder_about_a_flag_is_named_for_it_in_plain_text() -> None:
    about_flags = {kind for kind in URGENCY if kind in set(Flag)}
    assert about_flags == {"overdue", "untold", "silent", "stale_wait"}
    loops = [step(new_loop(due=rome(23, 17)), Kind.DONE, rome(23, 10))]
    assert all(type(r.kind) is str for r in pending(loops, rome(25, 10), RULES, CAL))


def test_reminders_fired_when_times_had_fractions_of_a_second_do_not_fire_again() -> None:
    # A store written before times were whole seconds keyed its fired reminders that way.
    loop = new_loop(due=TUESDAY_17)
    (reminder,) = due_reminders(loop, rome(24, 17), RULES, CAL)
    assert reminder.key == f"due:{to_utc_text(TUESDAY_17)}"
    older_key = reminder.key.removesuffix("Z") + ".654321Z"
    loop = apply(loop, Event(kind=Kind.REMINDED, at=rome(24, 17), by="anna", key=older_key))
    assert fired_keys(loop) == {reminder.key}
    assert pending([loop], rome(24, 17, 30), RULES, CAL) == []
