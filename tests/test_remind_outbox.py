"""Reminders are delivered at least once: a kill may repeat the one in flight, never drop one.

First each behaviour alone: a reminder is recorded only once its delivery returned, what
a failed or interrupted delivery left fires next run, a loop closed, snoozed or handed
off after it was queued reminds nobody, a second run steps aside. Then the stress
trials, which run the installed executable: ``remind`` with ``delivery = command``
(a shell line that appends each reminder's JSON to a file) on a fresh copy of a store
with 30 reminders due, of every kind, six of them superseding an older one of their
loop. Each run is SIGKILLed at a random moment (test_crash's aim: anywhere in its life,
in its last part, or within 3 ms of a write starting), then one clean run follows.
Then: every reminder due was delivered, none more than twice and at most one twice
(the one in flight), every one (said or superseded) is recorded once in its loop, the
loops changed by nothing but those events, and the store is whole.
"""

from __future__ import annotations

import json
import random
import shlex
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from loopcloser.cli.main import app
from loopcloser.core.reminders import Reminder, Rules
from loopcloser.core.when import Calendar
from loopcloser.services.remind import fire_reminders
from loopcloser.storage.location import open_at
from loopcloser.storage.store import exclusive
from tests import test_crash
from tests.conftest import Run
from tests.test_crash import (
    Desk,
    Trial,
    Where,
    aim,
    check_files_as_left,
    cli,
    launch,
    replays_exactly,
)

clean_env = test_crash.clean_env  # the fixture: no LOOPCLOSER_ setting of whoever runs these

LATER = "2026-11-25T10:30:00Z"  # 11:30 in Rome: a loop due today 11:00 is 30m late
DUE_KEY = "due:2026-11-25T10:00:00Z"  # the reminder at that due
ROME = ZoneInfo("Europe/Rome")
REMIND_AT = "2026-11-26T10:30:00Z"  # Thursday 11:30 in Rome, a day after the loops were made
SHORT_TRIALS = 20  # in the normal suite
FULL_TRIALS = 240  # under -m slow

Key = tuple[int, str]  # a reminder: its loop's id and its key
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


# --- the stress trials: the store every trial starts from ----------------------


def make_template(root: Path) -> Path:
    """A store where 30 reminders of every kind are due at REMIND_AT, 6 superseding another.

    Made on Wednesday 10:00 in Rome (test_crash's NOW); by Thursday 11:30: 8 loops are
    overdue, 6 have two --remind times passed (the later is said, the earlier recorded
    with it), 6 heard nothing for a day, 5 are done and untold, 5 wait on Finance past
    its date.
    """
    desk = Desk(root, ["anna"], None, random.Random(0))
    root.mkdir()

    def add(*args: str) -> int:
        loop: dict[str, Any] = cli(desk, "anna", "add", *args, "--json")
        return int(loop["id"])

    for n in range(8):
        add(f"Overdue {n}", f"call back {n}", "--due", "today 11:00")
    for n in range(6):
        add(f"Zoë {n}", f"send the form {n}", "--due", "fri 17:00",
            "--remind", "today 15:00", "--remind", "tomorrow 9:00")  # fmt: skip
    for n in range(6):
        add(f"Quiet {n}", f"refund {n}", "--due", "fri 17:00", "--every", "1d")
    for n in range(5):
        cli(desk, "anna", "done", str(add(f"Done {n}", f"fix {n}", "--due", "fri 17:00")), "--json")
    for n in range(5):
        loop_id = str(add(f"Waiting {n}", f"credit {n}", "--due", "fri 17:00"))
        cli(desk, "anna", "wait", loop_id, "--on", "Finance", "--until", "today 15:00", "--json")
    return desk.store("anna")


@dataclass
class Stage:
    """The template store, what a clean run of it delivers and records, and the figures."""

    root: Path
    template: Path
    rng: random.Random
    durations: dict[str, list[float]] = field(default_factory=dict)
    said: set[Key] = field(default_factory=set)  # what one clean run delivers
    recorded: set[Key] = field(default_factory=set)  # what it records, superseded ones too
    figures: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    def desk(self, name: str) -> Desk:
        """A fresh folder with a copy of the template and the appending delivery."""
        root = self.root / name
        root.mkdir()
        desk = Desk(root, ["anna"], None, self.rng, durations=self.durations)
        command = appending(inbox(desk))
        settings = 'agent = "anna"\ntimezone = "Europe/Rome"\ndelivery = "command"\n'
        settings += f"delivery_command = {json.dumps(command)}\n"
        (root / "anna.toml").write_text(settings, encoding="utf-8")
        shutil.copyfile(self.template, desk.store("anna"))
        return desk


def inbox(desk: Desk) -> Path:
    """Where the delivery command appends; outside the store's folder, out of the kills' aim."""
    return desk.root.parent / f"{desk.root.name}.inbox.jsonl"


def delivered(desk: Desk) -> Counter[Key]:
    """How often each reminder reached the delivery command."""
    return Counter((reminder["loop_id"], reminder["key"]) for reminder in in_inbox(inbox(desk)))


def stored_loops(desk: Desk) -> dict[int, dict[str, Any]]:
    """The loops of the desk's store file, read as the file is (a torn one fails here)."""
    data = json.loads(desk.store("anna").read_bytes())
    return {int(key): doc for key, doc in data["loops"].items()}


def reminded(loops: dict[int, dict[str, Any]]) -> list[Key]:
    """Every reminded event in the loops, as (loop id, key)."""
    return [
        (loop_id, event["key"])
        for loop_id, doc in loops.items()
        for event in doc["events"]
        if event["kind"] == "reminded"
    ]


def remind(desk: Desk, number: int, kill: bool) -> Trial:
    """Run ``remind`` on the desk: to its end, or killed where test_crash aims."""
    trial = Trial(number, "remind", "anna", {}, ["remind"], None, now=REMIND_AT)
    if kill:
        aim(desk, trial)
    elapsed = launch(desk, trial)
    if trial.finished:  # a whole run: it tells how long the next ones last
        desk.durations.setdefault("remind", []).append(elapsed)
    return trial


@pytest.fixture
def stage(tmp_path: Path, clean_env: None) -> Iterator[Stage]:
    """The template, calibrated by three clean runs that deliver and record each reminder once."""
    seed = random.SystemRandom().getrandbits(32)
    made = Stage(tmp_path, make_template(tmp_path / "template"), random.Random(seed))
    made.log.append(f"seed {seed}")
    for number in range(3):
        desk = made.desk(f"clean-{number}")
        assert remind(desk, -1 - number, kill=False).finished
        counts = delivered(desk)
        assert set(counts.values()) == {1}, f"a clean run delivered twice: {counts}"
        kept = reminded(stored_loops(desk))
        assert len(kept) == len(set(kept)), f"a clean run recorded twice: {kept}"
        made.said, made.recorded = made.said or set(counts), made.recorded or set(kept)
        assert (set(counts), set(kept)) == (made.said, made.recorded)
    assert (len(made.said), len(made.recorded)) == (30, 36)
    yield made


# --- one trial ----------------------------------------------------------------


def kill_then_run_clean(stage: Stage, number: int) -> None:
    """Kill a remind at random, run one to its end, then check what reached the agent."""
    desk = stage.desk(f"trial-{number}")
    before = stored_loops(desk)
    killed = remind(desk, number, kill=True)
    stage.figures["killed" if killed.code else "finished before the kill"] += 1
    check_files_as_left(desk)
    assert remind(desk, number, kill=False).finished, "the run after a kill failed"
    context = f"trial {number}, {killed}\n" + "\n".join(stage.log)

    counts = delivered(desk)
    lost = stage.said - set(counts)
    stage.figures["reminders lost"] += len(lost)
    stage.figures["trials that lost some"] += bool(lost)
    stage.figures["delivered once"] += sum(count == 1 for count in counts.values())
    stage.figures["delivered twice"] += sum(count == 2 for count in counts.values())
    assert set(counts) <= stage.said, f"a reminder nobody was due\n{context}"
    assert max(counts.values(), default=0) <= 2, f"delivered over twice: {counts}\n{context}"
    repeated = sorted(key for key, count in counts.items() if count > 1)
    assert len(repeated) <= 1, f"more than the one in flight repeated: {repeated}\n{context}"
    check_store(desk, before, stage.recorded, context)


def check_store(desk: Desk, before: dict[int, dict[str, Any]], due: set[Key], context: str) -> None:
    """Whole, each due reminder recorded once, nothing else changed; nothing left due."""
    after = stored_loops(desk)
    assert sorted(reminded(after)) == sorted(due), f"recorded: {reminded(after)}\n{context}"
    assert after.keys() == before.keys(), context
    for loop_id, doc in after.items():
        old = before[loop_id]
        assert doc["events"][: len(old["events"])] == old["events"], context
        assert {**doc, "events": old["events"]} == old, f"#{loop_id} changed\n{context}"
        assert replays_exactly(Where("anna", loop_id, doc)), f"#{loop_id} replays\n{context}"
    listed = cli(desk, "anna", "list", "--all", "--json")
    assert sorted(loop["id"] for loop in listed) == sorted(after), context
    left = cli_at(desk, REMIND_AT, "remind", "--dry-run", "--json")
    assert left == [], f"still due after a clean run: {left}\n{context}"


def cli_at(desk: Desk, now: str, *args: str) -> Any:
    """A checking command run in-process at ``now``; its JSON output."""
    env: dict[str, str | None] = {"LOOPCLOSER_TEAM": None, **desk.env("anna")}
    env["LOOPCLOSER_NOW"] = now
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    return json.loads(result.stdout)


def kill_at_random(stage: Stage, trials: int) -> Counter[str]:
    """Run the trials; fail at the end with the figures if any reminder was lost."""
    for number in range(trials):
        kill_then_run_clean(stage, number)
    figures = dict(stage.figures)
    print(f"\n{trials} trials on stores of {len(stage.said)} reminders due: {figures}")
    assert stage.figures["reminders lost"] == 0, f"{figures}\n" + "\n".join(stage.log)
    return stage.figures


def test_killing_remind_at_any_moment_loses_no_reminder(stage: Stage) -> None:
    figures = kill_at_random(stage, SHORT_TRIALS)
    assert figures["killed"] > 0, figures


@pytest.mark.slow
def test_hundreds_of_kills_of_remind_lose_no_reminder(stage: Stage) -> None:
    figures = kill_at_random(stage, FULL_TRIALS)
    assert figures["killed"] > FULL_TRIALS // 2, figures
