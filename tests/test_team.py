"""A team folder: a handed-off loop is always in exactly one store, and customers are found
across every agent's store."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loopcloser.core import model
from loopcloser.core.errors import BadInput, InvalidTransition, NotFound, StoreError
from loopcloser.core.model import Event, Kind, Loop, State
from loopcloser.services import customers
from loopcloser.services import loops as actions
from loopcloser.storage import team
from loopcloser.storage.store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_team_worker.py")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "team"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def untouched_hooks() -> Iterator[None]:
    """Every test starts and ends with the real, do-nothing hooks."""
    yield
    team._after_intent_written = team._carry_on
    team._after_receiver_written = team._carry_on


def add_loop(
    folder: Path,
    agent: str,
    customer: str = "Maria Rossi",
    *,
    contact: str | None = None,
    at: datetime = MONDAY,
    promise: str = "call back about the refund",
) -> Loop:
    created = model.creation(
        uid=str(uuid.uuid4()),
        customer=customer,
        promise=promise,
        owner=agent,
        due=at + timedelta(days=3),
        at=at,
        contact=contact,
        via="phone",
    )
    return actions.add(Store(team.store_path(folder, agent)), created)


def handed(source: str, target: str, note: str = "she prefers mornings") -> Event:
    at = MONDAY + timedelta(days=1)
    return Event(kind=Kind.HANDOFF, at=at, by=source, text=note, changes={"owner": target})


def uids_on_disk(folder: Path, agent: str) -> list[str]:
    """The uids in an agent's store file as it is on disk now."""
    return [doc["uid"] for doc in Store(team.store_path(folder, agent)).documents().values()]


def intents(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".handoff-"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every store file's bytes, to prove that nothing was written."""
    return {agent: path.read_bytes() for agent, path in team.team_stores(folder)}


def run_worker(*args: str) -> subprocess.Popen[str]:
    pythonpath = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "LOOPCLOSER_LOCK_TIMEOUT": "60"}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


# The folder


def test_an_agents_store_is_agent_json_in_the_team_folder(folder: Path) -> None:
    assert team.store_path(folder, "anna") == folder / "anna.json"
    assert team.store_path(folder, "Anna Bianchi") == folder / "Anna Bianchi.json"


@pytest.mark.parametrize(
    "agent",
    ["", "  ", "a/b", "a\\b", "a\0b", "a\nb", ".anna", "anna.archive", ".", "..", "x" * 101],
)
def test_agent_names_that_are_not_safe_file_names_are_refused(folder: Path, agent: str) -> None:
    with pytest.raises(BadInput) as raised:
        team.store_path(folder, agent)
    assert raised.value.hint


def test_team_stores_lists_each_agent_once_and_skips_locks_temps_intents_archives(
    folder: Path,
) -> None:
    add_loop(folder, "luca")
    add_loop(folder, "anna")
    skipped = ("anna.json.lock", ".anna.json.k2j3.tmp", ".handoff-1234.json", "notes.txt")
    for name in (*skipped, "anna.archive.json"):
        (folder / name).write_text("{}")
    (folder / "archive.json").mkdir()
    assert team.team_stores(folder) == [
        ("anna", folder / "anna.json"),
        ("luca", folder / "luca.json"),
    ]


def test_missing_team_folder_is_a_store_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist") as raised:
        team.team_stores(tmp_path / "nowhere")
    assert "config set team" in (raised.value.hint or "")


# Handoff


def test_handoff_moves_the_loop_with_its_uid_and_whole_history(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    actions.change(
        Store(folder / "anna.json"),
        loop.id,
        Event(kind=Kind.NOTE, at=MONDAY + timedelta(hours=2), by="anna", text="asked Finance"),
    )
    add_loop(folder, "luca", "Someone Else")

    moved, new_id = team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))

    stored = actions.fetch(Store(folder / "luca.json"), new_id)
    assert stored == moved
    assert stored.uid == loop.uid
    assert stored.owner == "luca"
    assert [event.kind for event in stored.events] == [Kind.CREATED, Kind.NOTE, Kind.HANDOFF]
    assert stored.events[-1].text == "she prefers mornings"
    assert stored.events[-1].by == "anna"
    assert stored.state is State.OPEN
    assert uids_on_disk(folder, "anna") == []
    assert intents(folder) == []


def test_the_receiver_gives_the_loop_its_own_next_id(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    for _ in range(3):
        add_loop(folder, "luca")
    with Store(folder / "luca.json").transaction() as transaction:
        transaction.remove(3)  # ids are never reused: the next one is still 4

    moved, new_id = team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))

    assert (moved.id, new_id) == (4, 4)
    assert sorted(Store(folder / "luca.json").documents()) == [1, 2, 4]


def test_handing_off_a_missing_loop_is_not_found_and_writes_nothing(folder: Path) -> None:
    add_loop(folder, "anna")
    add_loop(folder, "luca")
    before = snapshot(folder)
    with pytest.raises(NotFound, match="no loop #7 in anna's store"):
        team.handoff(folder, "anna", 7, "luca", handed("anna", "luca"))
    assert snapshot(folder) == before
    assert intents(folder) == []


def test_handing_off_a_closed_loop_is_an_invalid_transition_and_writes_nothing(
    folder: Path,
) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    closing = Event(kind=Kind.CLOSED, at=MONDAY + timedelta(hours=1), by="anna", via="phone")
    actions.change(Store(folder / "anna.json"), loop.id, closing)
    before = snapshot(folder)
    with pytest.raises(InvalidTransition, match="closed"):
        team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))
    assert snapshot(folder) == before
    assert intents(folder) == []


def test_handing_off_to_yourself_is_refused(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    with pytest.raises(BadInput, match="already in anna's store"):
        team.handoff(folder, "anna", loop.id, "anna", handed("anna", "anna"))


def test_an_event_that_is_not_a_handoff_to_the_receiver_is_a_programming_error(
    folder: Path,
) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    with pytest.raises(ValueError, match="naming luca"):
        team.handoff(folder, "anna", loop.id, "luca", handed("anna", "giulia"))


def test_a_misspelt_receiver_is_refused_unless_they_are_declared_new(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    with pytest.raises(BadInput, match="lcua has no store") as raised:
        team.handoff(folder, "anna", loop.id, "lcua", handed("anna", "lcua"))
    assert "anna, luca" in (raised.value.hint or "")

    team.handoff(folder, "anna", loop.id, "giulia", handed("anna", "giulia"), new_agent=True)
    assert uids_on_disk(folder, "giulia") == [loop.uid]


def test_both_journals_carry_a_blocked_entry_so_undo_cannot_split_the_loop(
    folder: Path,
) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    _, new_id = team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))

    with Store(folder / "anna.json").transaction() as transaction:
        _, departure = transaction.journal()[0]
    with Store(folder / "luca.json").transaction() as transaction:
        _, arrival = transaction.journal()[0]
    assert departure["what"] == f"handed off #{loop.id} to luca"
    assert (
        departure["blocked"] == f"loop #{loop.id} was handed off to luca; ask them to hand it back"
    )
    assert departure["before"][str(loop.id)]["uid"] == loop.uid
    assert arrival["what"] == f"#{new_id} arrived from anna"
    assert "hand it back" in arrival["blocked"]
    assert arrival["before"] == {str(new_id): None}


def test_handoffs_in_opposite_directions_at_once_finish_without_deadlock(folder: Path) -> None:
    anna_uids = [add_loop(folder, "anna").uid for _ in range(5)]
    luca_uids = [add_loop(folder, "luca").uid for _ in range(5)]
    workers = [
        run_worker("move", str(folder), "anna", "luca", "1,2,3,4,5"),
        run_worker("move", str(folder), "luca", "anna", "1,2,3,4,5"),
    ]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    assert sorted(uids_on_disk(folder, "anna")) == sorted(luca_uids)
    assert sorted(uids_on_disk(folder, "luca")) == sorted(anna_uids)
    assert intents(folder) == []


def test_a_receiver_already_holding_the_loop_is_refused_and_nothing_is_written(
    folder: Path,
) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    with Store(folder / "luca.json").transaction() as transaction:  # e.g. imported twice
        transaction.insert(Store(folder / "anna.json").documents()[loop.id])
    before = snapshot(folder)
    with pytest.raises(StoreError, match="already holds this loop"):
        team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))
    assert snapshot(folder) == before
    assert intents(folder) == []


# Failures and crashes: the loop is never in two stores or in none for long


def test_a_failure_after_the_receiver_is_written_puts_the_loop_back(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    luca_before = (folder / "luca.json").read_bytes()

    def fail() -> None:
        assert loop.uid in uids_on_disk(folder, "luca")  # the failure is in the window
        raise RuntimeError("power cut")

    team._after_receiver_written = fail
    with pytest.raises(RuntimeError, match="power cut"):
        team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))

    assert uids_on_disk(folder, "anna") == [loop.uid]
    assert loop.uid not in uids_on_disk(folder, "luca")
    with Store(folder / "luca.json").transaction() as transaction:
        assert all("arrived" not in entry["what"] for _, entry in transaction.journal())
    assert (folder / "luca.json").read_bytes() != luca_before  # its next id stays used
    assert intents(folder) == []


def test_a_failure_before_the_receiver_is_written_changes_nothing(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    before = snapshot(folder)

    def interrupt() -> None:
        raise KeyboardInterrupt

    team._after_intent_written = interrupt
    with pytest.raises(KeyboardInterrupt):
        team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))
    assert snapshot(folder) == before
    assert intents(folder) == []


@pytest.mark.skipif(sys.platform == "win32", reason="read-only bits differ on Windows")
def test_a_read_only_source_store_keeps_the_loop_where_it_was(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    source = folder / "anna.json"
    source.chmod(stat.S_IRUSR)
    try:
        with pytest.raises(StoreError, match="read-only"):
            team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))
    finally:
        source.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert uids_on_disk(folder, "anna") == [loop.uid]
    assert loop.uid not in uids_on_disk(folder, "luca")
    assert intents(folder) == []


def crash(folder: Path, where: str, loop_id: int) -> None:
    worker = run_worker(f"crash-after-{where}", str(folder), "anna", "luca", str(loop_id))
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 9, err


def test_a_crash_between_the_two_writes_is_recovered_to_the_receiver_alone(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")

    crash(folder, "receiver", loop.id)

    # Proof that the process died in the window: the loop is in both files.
    assert uids_on_disk(folder, "anna") == [loop.uid]
    assert loop.uid in uids_on_disk(folder, "luca")
    assert len(intents(folder)) == 1

    assert team.recover(folder) == 1

    assert uids_on_disk(folder, "anna") == []
    assert uids_on_disk(folder, "luca").count(loop.uid) == 1
    assert intents(folder) == []
    settled = snapshot(folder)
    assert team.recover(folder) == 0
    assert snapshot(folder) == settled


def test_a_crash_after_the_intent_before_any_store_write_is_recovered_to_one_store(
    folder: Path,
) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    before = snapshot(folder)

    crash(folder, "intent", loop.id)

    assert snapshot(folder) == before  # neither store was written
    assert len(intents(folder)) == 1

    assert team.recover(folder) == 1

    assert uids_on_disk(folder, "anna") == []
    assert uids_on_disk(folder, "luca").count(loop.uid) == 1
    moved = [doc for doc in Store(folder / "luca.json").documents().values()][-1]
    assert moved["owner"] == "luca"
    assert moved["events"][-1]["kind"] == "handoff"
    assert intents(folder) == []
    assert team.recover(folder) == 0


def test_recovery_keeps_a_receiver_copy_changed_since_the_crash(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    crash(folder, "receiver", loop.id)
    luca = Store(folder / "luca.json")
    (new_id,) = [i for i, doc in luca.documents().items() if doc["uid"] == loop.uid]
    note = Event(kind=Kind.NOTE, at=MONDAY + timedelta(days=2), by="luca", text="called her")
    actions.change(luca, new_id, note)

    assert team.recover(folder) == 1

    assert actions.fetch(Store(folder / "luca.json"), new_id).events[-1] == note
    assert uids_on_disk(folder, "anna") == []


def test_the_next_handoff_first_finishes_one_a_crash_interrupted(folder: Path) -> None:
    first = add_loop(folder, "anna")
    second = add_loop(folder, "anna")
    add_loop(folder, "luca")
    crash(folder, "receiver", first.id)

    team.handoff(folder, "anna", second.id, "luca", handed("anna", "luca"))

    assert uids_on_disk(folder, "anna") == []
    luca_uids = uids_on_disk(folder, "luca")
    assert luca_uids.count(first.uid) == 1
    assert luca_uids.count(second.uid) == 1
    assert intents(folder) == []


def test_recovery_with_nothing_pending_reads_no_store(folder: Path) -> None:
    (folder / "anna.json").write_text("this is not a store")
    assert team.recover(folder) == 0
    assert team.recover(folder / "missing") == 0
    assert not (folder / ".handoffs.lock").exists()  # not even the lock was taken


def test_an_unreadable_intent_is_reported_and_left_alone(folder: Path) -> None:
    (folder / ".handoff-0000.json").write_text('{"uid": "0000"}')
    assert team.recover(folder) == 0, "it stops nothing"
    (problem,) = team.unreadable_intents(folder)
    assert "cannot be read" in problem.message and "move the file aside" in (problem.hint or "")
    assert intents(folder) == [".handoff-0000.json"]


# Customers across the team


def test_a_colleagues_loop_is_found_by_email_in_any_case_and_spacing(folder: Path) -> None:
    add_loop(folder, "anna", "Maria Rossi", contact="maria.rossi@example.com")
    theirs = add_loop(folder, "luca", "Acme S.p.A.", contact="Maria.Rossi@Example.com")
    add_loop(folder, "luca", "Giulia Verdi", contact="mariarossi@example.com")  # no dot
    sources = [(agent, Store(path)) for agent, path in team.team_stores(folder)]

    for needle in ("MARIA.ROSSI@example.com", " maria.rossi @ example.com "):
        found = customers.customer_loops(sources, needle)
        assert [(agent, loop.customer) for agent, loop in found] == [
            ("anna", "Maria Rossi"),
            ("luca", "Acme S.p.A."),
        ]
    assert ("luca", theirs) in customers.customer_loops(sources, "maria.rossi@")


def test_a_phone_number_is_found_however_it_is_spaced(folder: Path) -> None:
    add_loop(folder, "luca", "Paolo Neri", contact="+39 333 123 4567")
    sources = [("luca", Store(folder / "luca.json"))]
    assert len(customers.customer_loops(sources, "+393331234567")) == 1
    assert len(customers.customer_loops(sources, "333 1234 567")) == 1


def test_a_name_fragment_finds_loops_in_any_state_oldest_first(folder: Path) -> None:
    later = add_loop(folder, "anna", "Maria Rossi", at=MONDAY + timedelta(days=1))
    earlier = add_loop(folder, "luca", "MARIA ROSSINI", at=MONDAY)
    add_loop(folder, "luca", "Paolo Neri")
    closing = Event(kind=Kind.CLOSED, at=MONDAY + timedelta(hours=3), by="luca", via="phone")
    closed = actions.change(Store(folder / "luca.json"), earlier.id, closing)
    sources = [(agent, Store(path)) for agent, path in team.team_stores(folder)]

    found = customers.customer_loops(sources, "rossi")

    assert found == [("luca", closed), ("anna", later)]


def test_an_empty_needle_is_refused(folder: Path) -> None:
    with pytest.raises(BadInput, match="which customer"):
        customers.customer_loops([("anna", Store(folder / "anna.json"))], "  ")


def test_the_timeline_merges_every_event_oldest_first(folder: Path) -> None:
    anna = add_loop(folder, "anna", "Maria Rossi", at=MONDAY)
    luca = add_loop(folder, "luca", "Maria Rossi", at=MONDAY + timedelta(hours=1))
    for agent, loop, hours in (("anna", anna, 5), ("luca", luca, 3)):
        note = Event(kind=Kind.NOTE, at=MONDAY + timedelta(hours=hours), by=agent, text="x")
        actions.change(Store(folder / f"{agent}.json"), loop.id, note)
    sources = [(agent, Store(path)) for agent, path in team.team_stores(folder)]

    rows = customers.timeline(customers.customer_loops(sources, "maria"))

    assert [(agent, event.kind, event.at.hour) for agent, _, event in rows] == [
        ("anna", Kind.CREATED, 9),
        ("luca", Kind.CREATED, 10),
        ("luca", Kind.NOTE, 12),
        ("anna", Kind.NOTE, 14),
    ]


def test_events_at_the_same_moment_keep_the_order_of_the_loops(folder: Path) -> None:
    first = add_loop(folder, "anna", "Maria Rossi", at=MONDAY)
    second = add_loop(folder, "luca", "Maria Rossi", at=MONDAY)
    rows = customers.timeline([("anna", first), ("luca", second)])
    assert [loop.uid for _, loop, _ in rows] == [first.uid, second.uid]


def test_the_timeline_of_nothing_is_empty() -> None:
    assert customers.timeline([]) == []


def test_intent_files_hold_customer_data_so_they_are_private(folder: Path) -> None:
    loop = add_loop(folder, "anna")
    add_loop(folder, "luca")
    seen: list[int] = []

    def look() -> None:
        (intent,) = [path for path in folder.iterdir() if path.name.startswith(".handoff-")]
        seen.append(stat.S_IMODE(intent.stat().st_mode))
        assert json.loads(intent.read_text())["source"] == "anna"

    team._after_intent_written = look
    team.handoff(folder, "anna", loop.id, "luca", handed("anna", "luca"))
    assert seen == [0o600]
