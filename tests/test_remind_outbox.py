"""Reminders are delivered at least once: a kill may repeat the one in flight, never drop one.

Each behaviour alone: a reminder is recorded only once its delivery returned, what a
failed or interrupted delivery left fires next run, a loop closed, snoozed or handed
off after it was queued reminds nobody, a second run steps aside.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from loopcloser.core.reminders import Reminder, Rules
from loopcloser.core.when import Calendar
from loopcloser.services.remind import fire_reminders
from loopcloser.storage.location import open_at
from loopcloser.storage.store import exclusive
from tests.conftest import Run

LATER = "2026-11-25T10:30:00Z"  # 11:30 in Rome: a loop due today 11:00 is 30m late
DUE_KEY = "due:2026-11-25T10:00:00Z"  # the reminder at that due
ROME = ZoneInfo("Europe/Rome")

Add = Callable[..., int]


# --- one behaviour at a time ----------------------------------------------------


def due_at_eleven(add: Add, *customers: str) -> list[int]:
    """Loops due today 11:00 in Rome, one per customer; their ids."""
    return [add(customer, "call back", "--due", "today 11:00") for customer in customers]


def recorded(run: Run, loop_id: int) -> list[str]:
    """The keys of the reminders recorded in the loop's history."""
    events = run("show", str(loop_id), "--json").json()["events"]
    return [event["key"] for event in events if event["kind"] == "reminded"]


def due_now(run: Run, now: str = LATER) -> list[int]:
    """The loops with a reminder still to fire at ``now``."""
    result = run("remind", "--dry-run", "--json", now=now)
    assert result.code == 0, result.err
    return [reminder["loop_id"] for reminder in result.json()]


def fire(store: Path, deliver: Callable[[list[Reminder]], object]) -> list[int]:
    """Run the use case itself at LATER on ``store``; the loops whose reminders went out."""
    moment = datetime.fromisoformat(LATER)
    fired = fire_reminders(open_at(store), moment, Rules(), Calendar(tz=ROME), "anna", deliver)
    return [reminder.loop_id for reminder in fired]


def appending(inbox: Path, failing_for: str = "") -> str:
    """A delivery command that appends each reminder to ``inbox``; it fails (exit 3) for
    a message holding ``failing_for``.

    In one write: a delivery orphaned by a kill and the next run's may append at the
    same moment. A run killed before it handed the reminder over leaves none to append.
    """
    refuse = f'case "$line" in *{failing_for}*) exit 3;; esac; ' if failing_for else ""
    script = f'line=$(cat); {refuse}if [ -n "$line" ]; then printf "%s\\n" "$line" >> "$0"; fi'
    return shlex.join(["sh", "-c", script, str(inbox)])


def in_inbox(inbox: Path) -> list[dict[str, Any]]:
    """The reminders that reached the delivery command, in order."""
    lines = inbox.read_text(encoding="utf-8").splitlines() if inbox.exists() else []
    return [json.loads(line) for line in lines]


def command_delivery(run: Run, home: Path, failing_for: str = "") -> Path:
    """Deliver by a command appending to a file, failing for messages with ``failing_for``."""
    inbox = home / "inbox.jsonl"
    assert run("config", "set", "delivery", "command").code == 0
    assert run("config", "set", "delivery_command", appending(inbox, failing_for)).code == 0
    return inbox


def received(inbox: Path) -> list[int]:
    """The loops whose reminders reached the delivery command, in order."""
    return [reminder["loop_id"] for reminder in in_inbox(inbox)]


def test_a_delivery_failing_part_way_keeps_what_went_out_and_the_rest_fire_next_run(
    run: Run, add: Add, home: Path
) -> None:
    alpha, bravo, charlie = due_at_eleven(add, "Alpha", "Bravo", "Charlie")
    inbox = command_delivery(run, home, failing_for="Bravo")

    failed = run("remind", now=LATER)

    assert failed.code == 6, failed.err
    assert received(inbox) == [alpha]
    assert [bool(recorded(run, loop)) for loop in (alpha, bravo, charlie)] == [True, False, False]
    assert due_now(run) == [bravo, charlie]
    command_delivery(run, home)
    assert run("remind", now=LATER).code == 0
    assert received(inbox) == [alpha, bravo, charlie]
    assert due_now(run) == []


def test_each_reminder_is_recorded_after_its_delivery_returns_not_before(
    run: Run, add: Add, home: Path
) -> None:
    loops = due_at_eleven(add, "Alpha", "Bravo", "Charlie")
    seen: list[tuple[int, list[int]]] = []

    def deliver(reminders: list[Reminder]) -> None:
        # What the store holds as each goes out: every one before it, never itself.
        (reminder,) = reminders
        seen.append((reminder.loop_id, [loop for loop in loops if recorded(run, loop)]))

    assert fire(home / "loops.json", deliver) == loops
    assert seen == [(loops[0], []), (loops[1], loops[:1]), (loops[2], loops[:2])]


def test_a_delivery_cut_short_is_not_recorded_and_goes_out_again(
    run: Run, add: Add, home: Path
) -> None:
    alpha, bravo = due_at_eleven(add, "Alpha", "Bravo")
    attempts: list[int] = []

    def interrupted(reminders: list[Reminder]) -> None:
        attempts.extend(reminder.loop_id for reminder in reminders)
        if reminders[0].loop_id == bravo:
            raise KeyboardInterrupt  # Ctrl-C, or SIGTERM, while it was on its way

    with pytest.raises(KeyboardInterrupt):
        fire(home / "loops.json", interrupted)
    assert (recorded(run, alpha), recorded(run, bravo)) == ([DUE_KEY], [])
    assert fire(home / "loops.json", lambda reminders: None) == [bravo]
    assert attempts == [alpha, bravo]


def test_a_loop_closed_or_snoozed_after_it_was_queued_reminds_nobody(
    run: Run, add: Add, home: Path
) -> None:
    alpha, bravo, charlie, delta = due_at_eleven(add, "Alpha", "Bravo", "Charlie", "Delta")
    said: list[int] = []
    # The store's lock is free while a reminder is on its way: no waiting allowed here.
    at_once = {"LOOPCLOSER_LOCK_TIMEOUT": "0"}

    def deliver(reminders: list[Reminder]) -> None:
        said.extend(reminder.loop_id for reminder in reminders)
        if reminders[0].loop_id == alpha:
            assert run("close", str(bravo), "told her", now=LATER, env=at_once).code == 0
            assert run("snooze", str(charlie), "today 15:00", now=LATER, env=at_once).code == 0

    assert fire(home / "loops.json", deliver) == [alpha, delta]
    assert said == [alpha, delta]
    assert (recorded(run, bravo), recorded(run, charlie)) == ([], [])
    assert due_now(run, "2026-11-25T14:05:00Z") == [charlie]  # once the snooze ends


def test_a_loop_handed_off_after_it_was_queued_reminds_nobody(
    run: Run, add: Add, team: Path
) -> None:
    alpha, bravo = due_at_eleven(add, "Alpha", "Bravo")

    def deliver(reminders: list[Reminder]) -> None:
        if reminders[0].loop_id == alpha:
            handing = ("handoff", str(bravo), "--to", "luca", "--note", "yours", "--new-agent")
            assert run(*handing, now=LATER).code == 0

    assert fire(team / "anna.json", deliver) == [alpha]
    assert "reminded" not in json.loads((team / "luca.json").read_text(encoding="utf-8"))


def test_a_superseded_reminder_is_recorded_only_with_the_one_that_says_it(
    run: Run, add: Add, home: Path
) -> None:
    loop_id = add("Alpha", "send the form", "--due", "fri 17:00",
                  "--remind", "today 10:15", "--remind", "today 11:15")  # fmt: skip
    inbox = command_delivery(run, home, failing_for="Alpha")
    assert run("remind", now=LATER).code == 6
    assert recorded(run, loop_id) == [], "nothing said, nothing settled"

    command_delivery(run, home)
    assert run("remind", now=LATER).code == 0
    assert received(inbox) == [loop_id]
    assert sorted(recorded(run, loop_id)) == [
        "remind:2026-11-25T09:15:00Z",
        "remind:2026-11-25T10:15:00Z",
    ]


def test_a_second_run_steps_aside_while_the_first_holds_the_side_lock(
    run: Run, add: Add, home: Path
) -> None:
    (loop_id,) = due_at_eleven(add, "Alpha")
    with open_at(home / "loops.json").side_lock("remind"):
        second = run("remind", "--json", now=LATER)
        assert (second.code, second.out) == (0, "[]\n")
        assert "Another remind is running" in second.err
    assert recorded(run, loop_id) == []
    assert [reminder["loop_id"] for reminder in run("remind", "--json", now=LATER).json()] == [
        loop_id
    ]


@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json"])
def test_a_store_lock_held_too_long_is_a_store_error_and_what_was_said_comes_again(
    run: Run, add: Add, home: Path, as_json: bool
) -> None:
    (loop_id,) = due_at_eleven(add, "Alpha")
    flags = ["--json"] if as_json else []
    store = home / "loops.json"
    with exclusive(Path(f"{store}.lock"), 0.0, store):
        stuck = run("remind", *flags, now=LATER, env={"LOOPCLOSER_LOCK_TIMEOUT": "0"})
    assert stuck.code == 5, stuck.err
    assert "Another remind" not in stuck.err and "locked" in stuck.err
    assert "Alpha" in stuck.out, "said (or printed) before the write that failed"
    assert recorded(run, loop_id) == []
    again = run("remind", *flags, now=LATER)
    assert again.code == 0 and "Alpha" in again.out
    assert recorded(run, loop_id) == [DUE_KEY]
