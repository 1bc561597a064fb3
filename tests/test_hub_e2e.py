"""A team on several machines, as shell scripts see it: the installed executable, one
store per agent and machine, and a real PostgreSQL hub that goes down and comes back,
two agents syncing at once, and syncs killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import HubTeam

EXECUTABLE = Path(sys.executable).parent / "loopcloser"


def environment(team: HubTeam, who: str, machine: str = "desk") -> dict[str, str]:
    return {**os.environ, **team.env(who, machine)}


def run(team: HubTeam, who: str, *args: str, machine: str = "desk",
        **extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [str(EXECUTABLE), *args],
        env={**environment(team, who, machine), **extra},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def data(team: HubTeam, who: str, *args: str, machine: str = "desk") -> Any:
    return json.loads(ok(run(team, who, *args, "--json", machine=machine)).stdout)


def add(team: HubTeam, who: str, customer: str, promise: str = "call back", *extra: str) -> int:
    return int(ok(run(team, who, "add", customer, promise, "--due", "fri 12:00", *extra)).stdout)


def exported(team: HubTeam, who: str) -> Any:
    """Every loop of the agent's store, with its history."""
    return json.loads(ok(run(team, who, "export", "--all", "--format", "json")).stdout)


def hub_count(team: HubTeam, query: str) -> Any:
    with psycopg.connect(team.admin, autocommit=True) as admin:
        return admin.execute(query).fetchone()


def test_three_agents_and_a_lead_through_a_day_with_the_hub_going_down(
    hub_team: HubTeam, hub_outage: tuple[Callable[[], None], Callable[[], None]]
) -> None:
    team = hub_team
    sara = team.extra_agent("sara")
    names = team.names
    # Morning: each agent logs promises on their own machine and syncs.
    for customer in ("Maria Rossi", "Jonas Berg", "ACME Logistics"):
        add(team, "anna", customer)
    add(team, "luca", "Li Wei")
    add(team, "luca", "Hotel Miramare")
    kept = add(team, sara, "Northwind Traders")
    add(team, sara, "Blue Fern Dental", "call back", "--due", "2026-11-24 12:00", "--allow-past")
    for who in ("anna", "luca", sara):
        assert data(team, who, "sync")["sent"] >= 2
    # Anna hands Maria's loop to Luca, with the context.
    ok(run(team, "anna", "handoff", "1", "--to", names["luca"], "--note", "prefers mornings"))
    assert data(team, "luca", "sync")["arrived"][0]["note"] == "prefers mornings"
    # The hub goes down: every local command works, sync says so in one line.
    stop, start = hub_outage
    stop()
    offline = add(team, "anna", "Greta Lind", "send the quote")
    ok(run(team, "anna", "note", str(offline), "asked Finance"))
    assert "Greta Lind" in ok(run(team, "anna", "list")).stdout
    down = run(team, "anna", "sync")
    assert down.returncode == 7 and down.stderr.count("\n") == 1
    assert "2 changes waiting here" in down.stderr
    assert data(team, "anna", "status")["to_sync"] == 2
    # Sara, offline too, keeps working on a loop the lead will move.
    ok(run(team, sara, "note", str(kept), "they called again"))
    start()
    assert data(team, "anna", "sync")["sent"] == 2
    # Sara is absent: the lead moves her loop to Anna.
    sara_uid = data(team, sara, "show", str(kept))["uid"]
    ok(run(team, "bruno", "hub", "reassign", sara_uid[:8], "--to", names["anna"],
           "--note", "Sara is ill"))  # fmt: skip
    back = data(team, sara, "sync")
    assert back["late"] == [kept] and back["left"] == [{"id": kept, "owner": names["anna"]}]
    took = data(team, "anna", "sync")
    assert [(a["kind"], a["from"]) for a in took["arrived"]] == [("reassigned", names["bruno"])]
    assert took["late_arrivals"] == [{"id": took["arrived"][0]["id"], "by": names[sara]}]
    # A customer asks to be forgotten: the lead erases them everywhere.
    forgot = data(team, "bruno", "forget", "Jonas Berg", "--yes")
    assert forgot["hub"]["erased"] == 1
    assert data(team, "anna", "sync")["erased"] == 1
    assert "Jonas" not in ok(run(team, "anna", "list", "--all")).stdout
    # The lead's report, read from the hub with no sync and no store of the lead's own.
    report = data(team, "bruno", "report")
    rows = {row["agent"]: row for row in report["agents"]}
    assert {name: rows[names[name]]["open"] for name in ("anna", "luca")} == {"anna": 3, "luca": 3}
    assert (rows[names[sara]]["open"], rows[names[sara]]["overdue"]) == (1, 1)
    assert report["total"]["open"] == 7
    assert hub_count(team, "SELECT count(*) FROM loopcloser.loops") == (7,)


def test_two_agents_syncing_in_a_loop_at_once_lose_and_double_nothing(
    hub_team: HubTeam,
) -> None:
    """Anna adds and hands loops to Luca while both sync over and over, in parallel."""
    team = hub_team
    worker = """
import subprocess, sys
exe, role, luca, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for n in range(rounds):
    if role == "anna":
        made = subprocess.run([exe, "add", f"Customer {n}", "call back", "--due", "fri 12:00"],
                              capture_output=True, text=True, check=True)
        if n % 2:
            subprocess.run([exe, "handoff", made.stdout.strip(), "--to", luca, "--note", "yours"],
                           capture_output=True, text=True, check=True)
    done = subprocess.run([exe, "sync"], capture_output=True, text=True)
    if done.returncode not in (0, 7):
        sys.exit(done.stderr)
"""
    rounds = "8"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", worker, str(EXECUTABLE), who, team.names["luca"], rounds],
            env=environment(team, who),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("anna", "luca")
    ]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    for who in ("anna", "luca", "anna", "luca"):
        ok(run(team, who, "sync"))
    mine, theirs = exported(team, "anna"), exported(team, "luca")
    assert (len(mine), len(theirs)) == (4, 4)
    assert not {loop["uid"] for loop in mine} & {loop["uid"] for loop in theirs}
    events = sum(len(loop["events"]) for loop in mine + theirs)
    assert hub_count(team, "SELECT count(*), count(DISTINCT uid) FROM loopcloser.loop_events") == (
        events,
        events,
    )


def test_fifty_syncs_killed_then_one_clean_sync_store_every_change_exactly_once(
    hub_team: HubTeam,
) -> None:
    from loopcloser.core.model import (
        Event,
        Kind,
        apply,
        creation,
        event_to_document,
        to_document,
    )
    from loopcloser.storage.store import Store

    team = hub_team
    anna = team.names["anna"]
    store = Path(team.env("anna")["LOOPCLOSER_STORE"])
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    documents = []
    for number in range(300):
        made = creation(uid=f"00000000-0000-4000-8000-{number:012d}", customer=f"Customer {number}",
                        promise="call back", owner=anna, due=start + timedelta(days=7),
                        at=start)  # fmt: skip
        loop = apply(None, made)
        for step in range(2):
            loop = apply(loop, Event(kind=Kind.NOTE, at=start + timedelta(minutes=step + 1),
                                     by=anna, text=f"note {step}"))  # fmt: skip
        documents.append(to_document(loop))
    with Store(store).transaction() as transaction:
        transaction.insert_many(documents)
    rng = random.Random(50)
    held = []  # the hub's event count after each kill
    added = 0
    for kill in range(50):
        # Work goes on between the cut syncs: each one finds new changes to send.
        with Store(store).transaction() as transaction:
            for loop_id in rng.sample(range(1, 301), 10):
                document = transaction.get(loop_id)
                assert document is not None
                note = Event(kind=Kind.NOTE, at=start + timedelta(hours=kill), by=anna,
                             text=f"between kills {kill}")  # fmt: skip
                events = [*document["events"], event_to_document(note)]
                transaction.put(loop_id, {**document, "events": events})
                added += 1
        process = subprocess.Popen(
            [str(EXECUTABLE), "sync"],
            env=environment(team, "anna"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Up to well past a sync's start on a loaded machine, so kills land all along it.
        time.sleep(rng.uniform(0.05, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        held.append(hub_count(team, "SELECT count(*) FROM loopcloser.loop_events")[0])
    # The kills fell at many points of a sync: the hub filled up step by step.
    assert len(set(held)) >= 10, held
    clean = data(team, "anna", "sync")
    assert clean["waiting"] == 0 and clean["refused"] == []
    listed = exported(team, "anna")
    local_events = sum(len(loop["events"]) for loop in listed)
    assert len(listed) == 300 and local_events == 300 * 3 + added
    assert hub_count(team, "SELECT count(*), count(DISTINCT uid) FROM loopcloser.loop_events") == (
        local_events,
        local_events,
    )
    assert hub_count(
        team, "SELECT count(*) FROM loopcloser.loops WHERE seq <> jsonb_array_length(events)"
    ) == (0,)
    again = data(team, "anna", "sync")
    assert (again["sent"], again["resent"], again["received"]) == (0, 0, 0)
