"""Killing loopcloser at any moment never breaks a promise it recorded.

Each trial runs the installed executable (add, done, close, import, archive, and
handoff in a team folder) on a store and SIGKILLs it at a random moment of its life, from start-up
to the write at its end: the delays are calibrated on how long each command lasts
(followed as the machine's load changes), some aim at its last part, and some strike
within 3 ms of the temporary file a write starts with. Then the checks an agent or a
script would make:

- every store file is whole JSON, and an open-loop index that claims to be current
  holds exactly the open loops of the store beside it;
- the store opens (``list --all --json`` exits 0) and ``list --json``, answered from
  the index, shows exactly the open loops of that full read;
- every loop whose ``add`` exited 0, or that was ever seen, is there, in one store
  (or its archive), once; no uid twice;
- the killed command's changes are there whole or not at all (an import's rows all
  or none): a loop's events are the old ones or the old ones plus that one event,
  its state and fields are what replaying those events gives, and no other loop
  changed;
- a handoff left half-done is finished by the next command: no intent is left.

The checks run in-process, for speed; the killed command is always the real executable.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from loopcloser.cli.main import app
from loopcloser.core.model import ACTIVE, from_document, replay, to_document
from loopcloser.storage.store import read_index
from tests.conftest import archived_loops
from tests.test_broken_env import faulty_env
from tests.test_e2e import EXECUTABLE

NOW = "2026-11-25T09:00:00Z"
ACTIVE_NAMES = {str(state) for state in ACTIVE}
SHORT_TRIALS = 11  # per scenario, in the normal suite (22 kills)
FULL_TRIALS = 110  # per scenario, under -m slow (220 kills)
TARGET_STATE = {"done": "done", "close": "closed", "handoff": None}
EVENT_KIND = {"done": "done", "close": "closed", "handoff": "handoff"}


@dataclass
class Where:
    """One stored copy of a loop: whose store, which id, the document."""

    agent: str
    loop_id: int
    doc: dict[str, Any]


@dataclass
class Trial:
    """One command run and, maybe, killed: what it was meant to do and how it ended."""

    number: int
    verb: str
    agent: str
    effects: dict[str, str]  # promise -> what the command does to it: add, done, close...
    args: list[str]
    delay: float | None  # kill this long after the start (None: let it finish)
    at_write: float | None = None  # or this long after it starts a write (a temporary file)
    code: int | None = None  # None until run; -9 when killed
    target: str | None = None  # the receiver of a handoff
    now: str | None = None  # the moment it runs at, when not NOW

    @property
    def finished(self) -> bool:
        return self.code == 0


@dataclass
class Desk:
    """A store (or a team folder of two) and what the test knows must be in it."""

    root: Path
    agents: list[str]
    team: Path | None
    rng: random.Random
    durations: dict[str, list[float]] = field(default_factory=dict)  # runs that finished
    known: dict[str, Where] = field(default_factory=dict)  # promise -> last seen copy
    attempted: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)  # add exited 0
    outcomes: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)
    temps: set[str] = field(default_factory=set)  # temporary copies on disk after the last kill

    def env(self, agent: str) -> dict[str, str]:
        """The environment of a command run by ``agent``."""
        config = self.root / f"{agent}.toml"
        if not config.exists():
            config.write_text(f'agent = "{agent}"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
        env = {
            "LOOPCLOSER_CONFIG": str(config),
            "LOOPCLOSER_NOW": NOW,
            "LOOPCLOSER_LOCK_TIMEOUT": "30",
        }
        if self.team is not None:
            env["LOOPCLOSER_TEAM"] = str(self.team)
        else:
            env["LOOPCLOSER_STORE"] = str(self.store(agent))
        return env

    def store(self, agent: str) -> Path:
        return (self.team or self.root) / f"{agent}.json"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the person running the tests leaks into the commands."""
    for name in list(os.environ):
        if name.startswith("LOOPCLOSER_"):
            monkeypatch.delenv(name)


def launch(desk: Desk, trial: Trial) -> float:
    """Run the trial's command, killed after its delay unless it ended first; its seconds."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOOPCLOSER_")},
        **desk.env(trial.agent),
        **({"LOOPCLOSER_NOW": trial.now} if trial.now else {}),
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [str(EXECUTABLE), *trial.args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if trial.at_write is not None:
            folder = desk.team or desk.root
            watch_for_a_write(process, folder, desk.temps, started + (trial.delay or 5.0))
            time.sleep(trial.at_write)
            if process.poll() is None:
                raise subprocess.TimeoutExpired(trial.args, trial.at_write)
        process.wait(timeout=trial.delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - started
    trial.code = process.returncode
    assert trial.code in (0, -signal.SIGKILL), f"{trial}: {err.decode(errors='replace')}"
    return elapsed


def watch_for_a_write(
    process: subprocess.Popen[bytes], folder: Path, before: set[str], give_up: float
) -> None:
    """Return once the process starts writing a file (a new temporary one), or ends."""
    while process.poll() is None and time.monotonic() < give_up:
        if any(name.endswith(".tmp") and name not in before for name in os.listdir(folder)):
            return
        time.sleep(0.0002)


def cli(desk: Desk, agent: str, *args: str) -> Any:
    """Run a checking command in-process as ``agent``; its JSON output."""
    overrides: dict[str, str | None] = {"LOOPCLOSER_STORE": None, "LOOPCLOSER_TEAM": None}
    overrides.update(desk.env(agent))
    result = CliRunner().invoke(app, list(args), env=overrides)
    assert result.exit_code == 0, f"{args} as {agent}: {result.stderr}\n" + "\n".join(desk.log)
    return json.loads(result.stdout)


# --- what is on disk ---------------------------------------------------------


def check_files_as_left(desk: Desk) -> None:
    """Right after the kill, before any command: whole files and a truthful index."""
    for agent in desk.agents:
        path = desk.store(agent)
        if not path.exists():
            continue
        data = json.loads(path.read_bytes())  # a torn write would fail here
        archived_loops(path)  # and here, every file of the archive
        indexed = read_index(path)
        if indexed is not None:
            open_loops = {
                int(key): doc
                for key, doc in data["loops"].items()
                if doc.get("state") in ACTIVE_NAMES
            }
            assert indexed == open_loops, f"{agent}'s index is stale\n" + "\n".join(desk.log)


def loops_in(path: Path) -> dict[str, Any]:
    """The loops of a store or archive file by id; none if there is no file."""
    if not path.exists():
        return {}
    loops: dict[str, Any] = json.loads(path.read_bytes())["loops"]
    return loops


def stored_copies(desk: Desk) -> dict[str, list[Where]]:
    """Every loop on disk, in a store or its archive, by promise text."""
    copies: dict[str, list[Where]] = {}
    for agent in desk.agents:
        kept, archived = loops_in(desk.store(agent)), archived_loops(desk.store(agent))
        for key in kept.keys() & archived.keys():
            # The archive is written first: a sweep killed before the store's write
            # leaves a loop in both, the very same; the store's copy is the one read.
            assert kept[key] == archived[key], f"{agent} #{key} differs in its archive"
        for key, doc in {**archived, **kept}.items():
            copies.setdefault(doc["promise"], []).append(Where(agent, int(key), doc))
    return copies


def check_through_the_commands(desk: Desk) -> None:
    """The index first (the next command reads it as the kill left it), then a full read."""
    for agent in desk.agents:
        fast = cli(desk, agent, "list", "--json")
        full = cli(desk, agent, "list", "--all", "--json")
        still_open = [loop for loop in full if loop["state"] in ACTIVE_NAMES]
        assert sorted(fast, key=lambda loop: loop["id"]) == sorted(
            still_open, key=lambda loop: loop["id"]
        ), f"list --json disagrees with a full read of {agent}'s store\n" + "\n".join(desk.log)
    if desk.team is not None:
        left = sorted(path.name for path in desk.team.glob(".handoff-*"))
        assert left == [], f"unfinished handoffs after a command ran: {left}"


def replays_exactly(where: Where) -> bool:
    """The stored fields are exactly what the loop's own history gives."""
    loop = from_document(where.loop_id, where.doc)
    return to_document(replay(where.loop_id, loop.events)) == where.doc


def check_promises(desk: Desk, trial: Trial) -> None:
    """Every known loop once, the trial's changes all whole or all absent, nothing else."""
    copies = stored_copies(desk)
    context = f"trial {trial}\n" + "\n".join(desk.log)
    uids = [where.doc["uid"] for found in copies.values() for where in found]
    assert len(uids) == len(set(uids)), f"a uid is stored twice\n{context}"
    assert set(copies) <= desk.attempted, f"a loop nobody added\n{context}"
    missing = (desk.confirmed | set(desk.known)) - set(copies)
    assert not missing, f"loops lost: {missing}\n{context}"
    twice = {promise: found for promise, found in copies.items() if len(found) > 1}
    assert not twice, f"loops stored twice: {twice}\n{context}"
    for promise, (now,) in copies.items():
        assert replays_exactly(now), f"{promise!r} is half-applied: {now}\n{context}"
        if promise not in trial.effects:
            assert now == desk.known[promise], f"{promise!r} changed untouched\n{context}"
    changed = {}
    for promise, effect in trial.effects.items():
        after, before = copies.get(promise, [None])[0], desk.known.get(promise)
        changed[promise] = after is not None and after != before
        if changed[promise]:
            assert after is not None
            check_change(effect, before, after, trial, context)
    if trial.finished:
        assert all(changed.values()), f"the command exited 0, a change is missing\n{context}"
        desk.outcomes["finished"] += 1
        desk.confirmed |= {promise for promise, effect in trial.effects.items() if effect == "add"}
    else:
        # One command, one write: a kill leaves all of its changes or none of them.
        assert len(set(changed.values())) <= 1, f"half a command: {changed}\n{context}"
        killed = "after its change" if any(changed.values()) else "before its change"
        desk.outcomes[f"killed {killed}"] += 1
    desk.known = {promise: found[0] for promise, found in copies.items()}


def check_change(
    effect: str, before: Where | None, after: Where, trial: Trial, context: str
) -> None:
    """The loop as ``effect`` leaves it: the old history plus that one event, and its state."""
    if effect == "add":
        assert [event["kind"] for event in after.doc["events"]] == ["created"], context
        assert (after.agent, after.doc["state"]) == (trial.agent, "open"), context
        return
    assert before is not None
    assert after.doc["events"][:-1] == before.doc["events"], context
    assert after.doc["events"][-1]["kind"] == EVENT_KIND[effect], context
    assert after.doc["state"] == (TARGET_STATE[effect] or before.doc["state"]), context
    receiver = trial.target or before.agent
    assert (after.agent, after.doc["owner"]) == (receiver, receiver), context


# --- the trials --------------------------------------------------------------


def next_trial(desk: Desk, number: int, verb: str | None = None, agent: str | None = None) -> Trial:
    """A command that is valid on the store as last seen, chosen at random."""
    rng = desk.rng
    active = {p: w for p, w in desk.known.items() if w.doc["state"] in ACTIVE_NAMES}
    undone = {p: w for p, w in active.items() if w.doc["state"] != "done"}
    choices = ["add"] * 4 + ["close"] * (2 if active else 0) + ["done"] * (2 if undone else 0)
    choices += ["import"] * 2 + ["archive"]
    if desk.team is not None and active:
        choices += ["handoff"] * 4
    verb = verb or rng.choice(choices)
    if verb == "archive":
        # Two hours on, every loop closed so far is over an hour old: all go to the archive.
        agent = agent or rng.choice(desk.agents)
        args = ["archive", "--older-than", "1h"]
        return Trial(number, verb, agent, {}, args, None, now="2026-11-25T11:00:00Z")
    if verb in ("add", "import"):
        agent = agent or desk.agents[number % len(desk.agents)]  # every agent has a store early
        promise = f"promise {number} {rng.getrandbits(32):08x}"
        desk.attempted.add(promise)
        if verb == "import":
            return import_trial(desk, number, agent, promise, active)
        args = ["add", f"Customer {number}", promise, "--due", "fri 12:00"]
        return Trial(number, verb, agent, {promise: "add"}, args, None)
    pool = undone if verb == "done" else active
    promise = rng.choice(sorted(pool))
    where = pool[promise]
    if verb == "handoff":
        target = next(agent for agent in desk.agents if agent != where.agent)
        args = ["handoff", str(where.loop_id), "--to", target, "--note", f"over to {target}"]
        return Trial(number, verb, where.agent, {promise: verb}, args, None, target=target)
    args = [verb, str(where.loop_id)] + (["told her", "--via", "phone"] if verb == "close" else [])
    return Trial(number, verb, where.agent, {promise: verb}, args, None)


def import_trial(
    desk: Desk, number: int, agent: str, promise: str, active: dict[str, Where]
) -> Trial:
    """A CSV of a few new loops and, when there is one, an open loop of ``agent``'s closed."""
    rows = [["uid", "customer", "promise", "due", "state"]]
    effects = {}
    for row in range(desk.rng.randint(2, 6)):
        new = f"{promise} row {row}"
        desk.attempted.add(new)
        rows.append(["", f"Customer {number}.{row}", new, "fri 12:00", ""])
        effects[new] = "add"
    theirs = sorted(p for p, where in active.items() if where.agent == agent)
    if theirs:
        closing = desk.rng.choice(theirs)
        doc = active[closing].doc
        rows.append([doc["uid"], doc["customer"], doc["promise"], doc["due"], "closed"])
        effects[closing] = "close"
    sheet = desk.root / f"import-{number}.csv"
    with sheet.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return Trial(number, "import", agent, effects, ["import", str(sheet)], None)


def calibrate(desk: Desk, plan: list[str]) -> None:
    """Run each kind of command to its end (no kill), timing it; they also fill the store."""
    for number, verb in enumerate(plan):
        run_trial(desk, next_trial(desk, -1 - number, verb))


def run_trial(desk: Desk, trial: Trial) -> None:
    """Run one trial and check everything; a run that finished updates the timing."""
    when = f"{trial.at_write} after a write starts" if trial.at_write else trial.delay
    desk.log.append(f"#{trial.number} {trial.agent}: {' '.join(trial.args)}, kill at {when}")
    elapsed = launch(desk, trial)
    desk.log[-1] += f" -> {trial.code}"
    cut_short = {path.name for path in (desk.team or desk.root).glob(".*.tmp")}
    desk.outcomes["killed inside a write (a temporary copy left)"] += bool(cut_short - desk.temps)
    desk.temps = cut_short
    if trial.finished:
        desk.durations.setdefault(trial.verb, []).append(elapsed)
    check_files_as_left(desk)
    check_through_the_commands(desk)
    check_promises(desk, trial)


def aim(desk: Desk, trial: Trial) -> None:
    """When to kill: anywhere in the process's life, in its last part, or inside a write.

    The life is the median of the last runs that finished, so the aim follows the
    machine's load (a shared machine can make a command twice as slow for a while).
    A write is a few milliseconds at the very end, so a third of the kills watch for
    the temporary file it starts with and strike within 3 ms of it.
    """
    recent = sorted(desk.durations[trial.verb][-5:])
    span = recent[len(recent) // 2]
    choice = desk.rng.random()
    if choice < 0.4:
        trial.delay = desk.rng.uniform(0.0, 1.1 * span)
    elif choice < 0.7:
        trial.delay = desk.rng.uniform(0.6 * span, 1.1 * span)
    else:
        trial.delay, trial.at_write = 5 * span, desk.rng.uniform(0.0, 0.003)


def kill_at_random(desk: Desk, trials: int, plan: list[str]) -> Counter[str]:
    calibrate(desk, plan)
    for number in range(trials):
        trial = next_trial(desk, number)
        aim(desk, trial)
        run_trial(desk, trial)
    for number, agent in enumerate(desk.agents, start=trials):
        # A write that ends removes the temporary copies that killed writes left.
        run_trial(desk, next_trial(desk, number, "add", agent))
        assert list(desk.store(agent).parent.glob(f".{agent}.json.*.tmp")) == []
    archived = sum(len(archived_loops(desk.store(agent))) for agent in desk.agents)
    print(f"\n{desk.root.name}: {trials} kills, {dict(desk.outcomes)}, {archived} archived")
    return desk.outcomes


@pytest.fixture
def desk(tmp_path: Path, clean_env: None) -> Iterator[Desk]:
    seed = random.SystemRandom().getrandbits(32)
    rng = random.Random(seed)
    made = Desk(tmp_path, ["anna"], None, rng)
    made.log.append(f"seed {seed}")
    yield made


@pytest.fixture
def team_desk(tmp_path: Path, clean_env: None) -> Iterator[Desk]:
    seed = random.SystemRandom().getrandbits(32)
    folder = tmp_path / "team"
    folder.mkdir()
    made = Desk(tmp_path, ["anna", "luca"], folder, random.Random(seed))
    made.log.append(f"seed {seed}")
    yield made


ONE_STORE_PLAN = ["add", "add", "add", "done", "close", "import", "archive"]
TEAM_PLAN = ["add", "add", "add", "handoff", "done", "close", "import", "archive"]


def test_killing_add_done_close_and_import_at_any_moment_keeps_every_promise(desk: Desk) -> None:
    outcomes = kill_at_random(desk, SHORT_TRIALS, ONE_STORE_PLAN)
    assert outcomes["finished"] >= len(ONE_STORE_PLAN)


def test_killing_a_handoff_at_any_moment_leaves_the_loop_in_one_store(team_desk: Desk) -> None:
    outcomes = kill_at_random(team_desk, SHORT_TRIALS, TEAM_PLAN)
    assert outcomes["finished"] >= len(TEAM_PLAN)


@pytest.mark.slow
def test_many_kills_of_add_done_close_and_import_keep_every_promise(desk: Desk) -> None:
    outcomes = kill_at_random(desk, FULL_TRIALS, ONE_STORE_PLAN)
    assert outcomes["killed before its change"] > 0, outcomes


@pytest.mark.slow
def test_many_kills_of_handoffs_leave_each_loop_in_one_store(team_desk: Desk) -> None:
    outcomes = kill_at_random(team_desk, FULL_TRIALS, TEAM_PLAN)
    assert outcomes["killed before its change"] > 0, outcomes


# --- a write cut short -------------------------------------------------------


def test_a_write_cut_short_leaves_no_copy_of_a_forgotten_customer(
    tmp_path: Path, clean_env: None
) -> None:
    desk = Desk(tmp_path, ["anna"], None, random.Random(0))
    env = {**os.environ, **desk.env("anna")}

    def loopcloser(*args: str, fault: str | None = None) -> int:
        run_env = faulty_env(tmp_path, env, fault) if fault else env
        return subprocess.run(
            [str(EXECUTABLE), *args], env=run_env, capture_output=True, check=False
        ).returncode

    assert loopcloser("add", "Maria Rossi", "call back", "--due", "tomorrow") == 0
    assert loopcloser("add", "Bob", "send the form", "--due", "tomorrow", fault="die-before-rename")
    (cut,) = tmp_path.glob(".anna.json.*.tmp")  # the new copy, never put in place
    assert b"Maria Rossi" in cut.read_bytes()

    assert loopcloser("forget", "Maria Rossi", "--yes") == 0

    kept = [path.name for path in tmp_path.rglob("*") if path.is_file()
            and b"Maria Rossi" in path.read_bytes()]  # fmt: skip
    assert kept == []


def test_a_handoff_cut_short_leaves_no_copy_of_a_forgotten_customer(
    tmp_path: Path, clean_env: None
) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    desk = Desk(tmp_path, ["anna", "luca"], folder, random.Random(0))

    def loopcloser(agent: str, *args: str, fault: str | None = None) -> int:
        env = {**os.environ, **desk.env(agent)}
        run_env = faulty_env(tmp_path, env, fault) if fault else env
        return subprocess.run(
            [str(EXECUTABLE), *args], env=run_env, capture_output=True, check=False
        ).returncode

    assert loopcloser("luca", "add", "ACME", "send the invoice", "--due", "tomorrow") == 0
    assert loopcloser("anna", "add", "Maria Rossi", "call back", "--due", "tomorrow") == 0
    handing = ("handoff", "1", "--to", "luca", "--note", "call her")
    assert loopcloser("anna", *handing, fault="die-before-rename") == 9
    assert [path for path in folder.iterdir() if b"Maria Rossi" in path.read_bytes()]

    assert loopcloser("anna", "forget", "Maria Rossi", "--yes") == 0

    kept = [path.name for path in tmp_path.rglob("*") if path.is_file()
            and b"Maria Rossi" in path.read_bytes()]  # fmt: skip
    assert kept == []


def test_an_archive_cut_short_leaves_no_copy_of_a_forgotten_customer(
    tmp_path: Path, clean_env: None
) -> None:
    desk = Desk(tmp_path, ["anna"], None, random.Random(0))

    def loopcloser(*args: str, now: str = NOW, fault: str | None = None) -> int:
        env = {**os.environ, **desk.env("anna"), "LOOPCLOSER_NOW": now}
        run_env = faulty_env(tmp_path, env, fault) if fault else env
        return subprocess.run(
            [str(EXECUTABLE), *args], env=run_env, capture_output=True, check=False
        ).returncode

    long_ago = "2026-09-01T09:00:00Z"
    assert loopcloser("add", "Maria Rossi", "call back", "--due", "tomorrow", now=long_ago) == 0
    assert loopcloser("close", "1", "told her", now=long_ago) == 0
    # The archive is written first: killed before its rename, it leaves a whole copy.
    assert loopcloser("archive", fault="die-before-rename") == 9
    assert [path for path in tmp_path.rglob(".*.tmp") if b"Maria Rossi" in path.read_bytes()]

    assert loopcloser("forget", "Maria Rossi", "--yes") == 0

    kept = [path.name for path in tmp_path.rglob("*") if path.is_file()
            and b"Maria Rossi" in path.read_bytes()]  # fmt: skip
    assert kept == []


# --- erasure after kills -------------------------------------------------------

MARIA = ("Maria Rossi", "maria.rossi@example.com", "refund the double charge on 4 Nov")


def erase_after_a_kill(desk: Desk, number: int) -> None:
    """Maria's loops in every state and place, a command killed at random, then forget.

    Afterwards no file under the folder may hold her name, contact or promise.
    """
    customer, contact, promise = MARIA
    long_ago = "2026-09-01T09:00:00Z"
    steps = [
        (["add", customer, promise, "--due", "tomorrow", "--contact", contact], long_ago),
        (["close", "1", "told her", "--via", "phone"], long_ago),
        (["add", customer, f"{promise}, again", "--due", "fri 12:00"], NOW),
        (["add", "Bob", "send the form", "--due", "fri 12:00"], NOW),
        (["note", "3", f"Bob knows {customer}"], NOW),
    ]
    for args, now in steps:
        trial = Trial(number, args[0], "anna", {}, args, None, now=now)
        assert launch(desk, trial) >= 0 and trial.finished, (args, desk.log)
    verb = ["add", "archive", "close", "archive", "done", "archive"][number % 6]
    args = {
        "archive": ["archive", "--older-than", "1h"],
        "add": ["add", customer, "one more", "--due", "fri 12:00", "--contact", contact],
        "close": ["close", "2", "told her", "--via", "email"],
        "done": ["done", "2", "refund issued"],
    }[verb]
    killed = Trial(number, verb, "anna", {}, args, 5.0, desk.rng.uniform(0.0, 0.003))
    launch(desk, killed)
    desk.log.append(f"#{number}: {' '.join(args)} -> {killed.code}")
    forget = Trial(number, "forget", "anna", {}, ["forget", customer, "--yes"], None)
    launch(desk, forget)
    assert forget.finished, desk.log
    needles = [text.encode() for text in MARIA]
    kept = [
        path.relative_to(desk.root)
        for path in desk.root.rglob("*")
        if path.is_file() and path.suffix != ".toml"
        and any(needle in path.read_bytes() for needle in needles)
    ]  # fmt: skip
    assert kept == [], f"{kept} still hold her\n" + "\n".join(desk.log)


@pytest.mark.parametrize(
    "trials", [pytest.param(8, id="short"), pytest.param(80, id="long", marks=pytest.mark.slow)]
)
def test_forget_after_a_kill_at_any_moment_leaves_nothing_behind(
    tmp_path: Path, clean_env: None, trials: int
) -> None:
    seed = random.SystemRandom().getrandbits(32)
    rng = random.Random(seed)
    for number in range(trials):
        root = tmp_path / f"trial-{number}"
        root.mkdir()
        desk = Desk(root, ["anna"], None, rng)
        desk.log.append(f"seed {seed}")
        if number % 2:
            # No daily sweep: an archive killed mid-write is the only copy in the archive.
            settings = 'agent = "anna"\ntimezone = "Europe/Rome"\narchive_after = "off"\n'
            (root / "anna.toml").write_text(settings, encoding="utf-8")
        erase_after_a_kill(desk, number)
