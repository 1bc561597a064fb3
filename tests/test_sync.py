"""Agents' stores syncing with the team hub, through the command line, against a real
PostgreSQL server (the session's ``postgres`` fixture): nothing is mocked.

Each agent runs with their own store and settings (``HubTeam.env``); "machines" are
separate stores of one agent. Rights are proved with plain SQL as an agent's login.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.conftest import HubTeam, Outcome, Run

DEAD_HUB = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"


def as_(
    run: Run, team: HubTeam, who: str, *args: str, machine: str = "desk", **env: str
) -> Outcome:
    return run(*args, env=team.env(who, machine, **env))


def ok(result: Outcome) -> Outcome:
    assert result.code == 0, result.err
    return result


def synced(run: Run, team: HubTeam, who: str, machine: str = "desk", **env: str) -> dict[str, Any]:
    result = ok(as_(run, team, who, "sync", "--json", machine=machine, **env))
    data: dict[str, Any] = result.json()
    return data


def add(run: Run, team: HubTeam, who: str, customer: str = "Maria Rossi",
        promise: str = "call back about the refund", machine: str = "desk") -> int:  # fmt: skip
    return int(ok(as_(run, team, who, "add", customer, promise, "--due", "fri 12:00",
                      machine=machine)).out)  # fmt: skip


def uid_of(run: Run, team: HubTeam, who: str, loop_id: int, machine: str = "desk") -> str:
    shown = ok(as_(run, team, who, "show", str(loop_id), "--json", machine=machine)).json()
    return str(shown["uid"])


def hub_rows(team: HubTeam, query: str, *values: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(team.admin, autocommit=True) as admin:
        return admin.execute(query, values).fetchall()


def kinds_in_hub(team: HubTeam, loop_uid: str) -> list[tuple[str, str, bool]]:
    """(kind, author, late) of a loop's events, in the hub's order."""
    rows = hub_rows(
        team,
        "SELECT kind, author, late FROM loopcloser.loop_events"
        " WHERE loop_uid = %s ORDER BY position",
        loop_uid,
    )
    return [(kind, author, late) for kind, author, late in rows]


def history(run: Run, team: HubTeam, who: str, loop_id: int, machine: str = "desk") -> list[Any]:
    shown = ok(as_(run, team, who, "show", str(loop_id), "--json", machine=machine)).json()
    return [(event["kind"], event.get("text"), event.get("void")) for event in shown["events"]]


# --- sending --------------------------------------------------------------------


def test_a_loop_added_and_synced_is_in_the_hub_with_its_history(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "Finance has the receipt"))
    first = synced(run, hub_team, "anna")
    assert (first["sent"], first["waiting"]) == (2, 0)
    loop_uid = uid_of(run, hub_team, "anna", loop_id)
    anna = hub_team.names["anna"]
    assert kinds_in_hub(hub_team, loop_uid) == [("created", anna, False), ("note", anna, False)]
    ((owner, fields),) = hub_rows(
        hub_team, "SELECT owner, fields FROM loopcloser.loops WHERE uid = %s", loop_uid
    )
    assert (owner, fields["customer"], fields["state"], fields["id"]) == (
        anna, "Maria Rossi", "open", loop_id,
    )  # fmt: skip
    again = synced(run, hub_team, "anna")
    assert (again["sent"], again["received"], again["resent"]) == (0, 0, 0)


def test_events_sent_again_after_a_sync_cut_short_are_stored_once(
    run: Run, hub_team: HubTeam
) -> None:
    """The hub committed, then the sync died before the store noted it: the next sync
    sends the same events (same uids) and the hub keeps one copy of each."""
    from loopcloser.storage.store import Store

    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "voicemail"))
    synced(run, hub_team, "anna")
    store = Store(Path(hub_team.env("anna")["LOOPCLOSER_STORE"]))
    with store.transaction() as transaction:
        document = transaction.get(loop_id)
        assert document is not None and document["sent"] == 2
        transaction.put(loop_id, {**document, "sent": 0})  # as if never acknowledged
    again = synced(run, hub_team, "anna")
    assert (again["sent"], again["resent"], again["waiting"]) == (0, 2, 0)
    loop_uid = uid_of(run, hub_team, "anna", loop_id)
    assert len(kinds_in_hub(hub_team, loop_uid)) == 2
    assert len(history(run, hub_team, "anna", loop_id)) == 2


def test_with_the_hub_down_local_commands_work_and_the_changes_wait(
    run: Run, hub_team: HubTeam
) -> None:
    down = {"LOOPCLOSER_HUB": DEAD_HUB}
    loop_id = int(ok(as_(run, hub_team, "anna", "add", "Li Wei", "check the warranty",
                         "--due", "fri 12:00", **down)).out)  # fmt: skip
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "supplier asked", **down))
    assert "Li Wei" in ok(as_(run, hub_team, "anna", "list", **down)).out
    status = ok(as_(run, hub_team, "anna", "status", "--json", **down)).json()
    assert (status["to_sync"], status["last_sync"]) == (2, None)
    assert "2 to sync" in ok(as_(run, hub_team, "anna", "status", **down)).out
    failed = as_(run, hub_team, "anna", "sync", **down)
    assert failed.code == 7 and failed.err.count("\n") == 1
    assert failed.err.startswith("loopcloser: cannot reach the hub")
    assert "2 changes waiting here for the next sync" in failed.err
    doctor = as_(run, hub_team, "anna", "doctor", "--json", **down).json()
    (sync_check,) = [check for check in doctor if check["name"] == "sync"]
    assert sync_check["ok"] and "never synced; 2 changes wait to be sent" in sync_check["detail"]
    back = synced(run, hub_team, "anna")
    assert (back["sent"], back["waiting"]) == (2, 0)
    status = ok(as_(run, hub_team, "anna", "status", "--json")).json()
    assert status["to_sync"] == 0 and status["last_sync"].startswith("2026-11-25T09:00:00")


def test_a_wrong_password_is_one_line_with_exit_code_7(run: Run, hub_team: HubTeam) -> None:
    wrong = as_(run, hub_team, "anna", "sync", LOOPCLOSER_HUB_PASSWORD="not-the-password")
    assert wrong.code == 7 and wrong.err.count("\n") == 1
    assert "password authentication failed" in wrong.err


def test_a_login_known_as_another_agent_is_told_what_to_do(run: Run, hub_team: HubTeam) -> None:
    theirs = hub_team.env("luca")
    login = {key: theirs[key] for key in ("LOOPCLOSER_HUB", "LOOPCLOSER_HUB_PASSWORD")}
    mixed = run("sync", env={**hub_team.env("anna"), **login})
    assert mixed.code == 7
    assert f"the hub knows this login as agent {hub_team.names['luca']}" in mixed.err


# --- handoff and reassignment ----------------------------------------------------


def test_a_handoff_goes_through_the_hub_and_the_giver_keeps_no_copy(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    luca = hub_team.names["luca"]
    given = ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", luca,
                   "--note", "she prefers mornings"))  # fmt: skip
    assert f"#{loop_id} is {luca}'s now: its copy here is gone." in given.err
    assert "No open loops" in ok(as_(run, hub_team, "anna", "list")).err
    assert as_(run, hub_team, "anna", "note", str(loop_id), "too late").code == 3
    arrived = synced(run, hub_team, "luca")
    assert arrived["arrived"] == [
        {"id": 1, "from": hub_team.names["anna"], "kind": "handoff", "note": "she prefers mornings"}
    ]
    assert history(run, hub_team, "luca", 1) == [
        ("created", None, None), ("handoff", "she prefers mornings", None),
    ]  # fmt: skip
    ok(as_(run, hub_team, "luca", "close", "1", "--via", "phone", "refund confirmed"))
    assert synced(run, hub_team, "luca")["sent"] == 1
    owner = hub_rows(hub_team, "SELECT owner, fields->>'state' FROM loopcloser.loops")
    assert owner == [(luca, "closed")]


def test_a_handoff_to_a_name_the_hub_does_not_know_changes_nothing(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    refused = as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", "lucaa", "--note", "x")
    assert refused.code == 2 and "lucaa is not an agent of the team hub" in refused.err
    assert hub_team.names["luca"] in refused.err  # the names it knows
    shown = ok(as_(run, hub_team, "anna", "show", str(loop_id), "--json")).json()
    assert shown["owner"] == hub_team.names["anna"]


def test_offline_a_handed_loop_is_read_only_until_the_next_sync(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    luca = hub_team.names["luca"]
    down = {"LOOPCLOSER_HUB": DEAD_HUB}
    given = ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", luca, "--note", "n",
                   **down))  # fmt: skip
    assert "the hub was not reached" in given.err
    changed = as_(run, hub_team, "anna", "note", str(loop_id), "mine still?", **down)
    assert changed.code == 4 and f"is {luca}'s: only its owner changes it" in changed.err
    synced(run, hub_team, "anna")
    assert synced(run, hub_team, "luca")["arrived"][0]["kind"] == "handoff"


def test_a_lead_reassigns_and_the_absent_agents_offline_changes_arrive_late(
    run: Run, hub_team: HubTeam
) -> None:
    first, second = add(run, hub_team, "anna"), add(run, hub_team, "anna", "Jonas Berg")
    synced(run, hub_team, "anna")
    first_uid, second_uid = (
        uid_of(run, hub_team, "anna", first),
        uid_of(run, hub_team, "anna", second),
    )
    # Anna, offline, goes on working on both loops.
    ok(as_(run, hub_team, "anna", "note", str(first), "she called again"))
    ok(as_(run, hub_team, "anna", "done", str(first), "refund sent"))
    ok(as_(run, hub_team, "anna", "note", str(second), "invoice drafted"))
    luca = hub_team.names["luca"]
    from tests.test_schemas import valid

    moved = ok(as_(run, hub_team, "bruno", "hub", "reassign", first_uid[:8], "--to", luca,
                   "--note", "anna is off this week", "--json")).json()  # fmt: skip
    valid("hub-reassign", moved)
    assert moved == {"uid": first_uid, "customer": "Maria Rossi", "from": hub_team.names["anna"],
                     "to": luca}  # fmt: skip
    took = synced(run, hub_team, "luca")
    assert took["arrived"][0]["kind"] == "reassigned" and took["arrived"][0]["note"]
    back = synced(run, hub_team, "anna")
    assert (
        back["late"] == [first]
        and back["sent"] == 3
        and back["left"] == [{"id": first, "owner": luca}]
    )
    anna = hub_team.names["anna"]
    assert kinds_in_hub(hub_team, first_uid) == [
        ("created", anna, False), ("reassigned", hub_team.names["bruno"], False),
        ("note", anna, True), ("done", anna, True),
    ]  # fmt: skip
    assert kinds_in_hub(hub_team, second_uid)[-1] == ("note", anna, False)  # her other loop
    told = synced(run, hub_team, "luca")
    assert told["late_arrivals"] == [{"id": 1, "by": anna}, {"id": 1, "by": anna}]
    shown = ok(as_(run, hub_team, "luca", "show", "1", "--json")).json()
    assert shown["state"] == "open", "late changes change nothing"
    assert [event.get("void") for event in shown["events"]] == [None, None, "late", "late"]
    assert (
        "arrived after the loop was reassigned" in ok(as_(run, hub_team, "luca", "show", "1")).out
    )


def test_only_a_lead_may_reassign(run: Run, hub_team: HubTeam) -> None:
    loop_id = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    loop_uid = uid_of(run, hub_team, "anna", loop_id)
    refused = as_(run, hub_team, "luca", "hub", "reassign", loop_uid, "--to",
                  hub_team.names["luca"], "--note", "mine now")  # fmt: skip
    assert refused.code == 7 and "only a lead may reassign" in refused.err
    assert hub_rows(hub_team, "SELECT owner FROM loopcloser.loops") == [(hub_team.names["anna"],)]


# --- one agent, two machines; clocks --------------------------------------------


def test_one_agent_on_two_machines_keeps_every_change_in_the_hubs_order(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    assert synced(run, hub_team, "anna", "laptop")["arrived"][0]["kind"] == "created"
    ok(as_(run, hub_team, "anna", "note", "1", "from the laptop", machine="laptop"))
    ok(as_(run, hub_team, "anna", "close", "1", "--via", "phone", "told her", machine="laptop"))
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "from the desk"))
    ok(as_(run, hub_team, "anna", "done", str(loop_id), "refund sent"))
    synced(run, hub_team, "anna", "laptop")
    synced(run, hub_team, "anna")
    synced(run, hub_team, "anna", "laptop")
    expected = [
        ("created", None, None),
        ("note", "from the laptop", None),
        ("closed", "told her", None),
        ("note", "from the desk", None),
        ("done", "refund sent", "conflict"),  # the laptop had closed it first
    ]
    assert history(run, hub_team, "anna", loop_id) == expected
    assert history(run, hub_team, "anna", 1, "laptop") == expected
    fields = hub_rows(hub_team, "SELECT fields->>'state', events FROM loopcloser.loops")
    assert fields[0][0] == "closed" and fields[0][1][-1]["void"] == "conflict"


def test_a_clock_two_hours_fast_changes_nothing_in_the_hubs_order(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    synced(run, hub_team, "anna", "laptop")
    fast = {"LOOPCLOSER_NOW": "2026-11-25T11:00:00Z"}  # the laptop's clock: two hours ahead
    ok(as_(run, hub_team, "anna", "note", "1", "written second, clock says later", machine="laptop",
           **fast))  # fmt: skip
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "written first",
           LOOPCLOSER_NOW="2026-11-25T09:30:00Z"))  # fmt: skip
    synced(run, hub_team, "anna")  # the desk reaches the hub first
    synced(run, hub_team, "anna", "laptop", **fast)
    synced(run, hub_team, "anna")
    texts = [text for _, text, _ in history(run, hub_team, "anna", loop_id)]
    assert texts == [None, "written first", "written second, clock says later"]
    # A colleague whose clock is two hours behind still gets everything.
    slow = {"LOOPCLOSER_NOW": "2026-11-25T07:00:00Z"}
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", hub_team.names["luca"],
           "--note", "yours"))  # fmt: skip
    assert len(synced(run, hub_team, "luca", **slow)["arrived"]) == 1


def test_a_hub_made_anew_means_a_full_pull_without_doubles(run: Run, hub_team: HubTeam) -> None:
    add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    synced(run, hub_team, "anna", "laptop")
    with psycopg.connect(hub_team.admin, autocommit=True) as admin:
        admin.execute("UPDATE loopcloser.hub_meta SET value = 'restored' WHERE key = 'epoch'")
    again = synced(run, hub_team, "anna", "laptop")
    assert again["arrived"] == [] and again["received"] == 0
    listed = ok(as_(run, hub_team, "anna", "list", "--json", machine="laptop")).json()
    assert len(listed) == 1


# --- erasure --------------------------------------------------------------------


def test_forget_erases_the_customer_from_the_hub_and_every_replica_drops_them(
    run: Run, hub_team: HubTeam
) -> None:
    mine = add(run, hub_team, "anna")
    add(run, hub_team, "anna", "Jonas Berg")
    add(run, hub_team, "luca", "Maria Rossi", "send a voucher")
    synced(run, hub_team, "anna")
    synced(run, hub_team, "luca")
    synced(run, hub_team, "anna", "laptop")
    # The laptop, offline from here, goes on working on Maria's loop (the first made).
    assert uid_of(run, hub_team, "anna", 1, "laptop") == uid_of(run, hub_team, "anna", mine)
    ok(as_(run, hub_team, "anna", "note", "1", "she asked again", machine="laptop"))
    forgot = as_(run, hub_team, "anna", "forget", "Maria Rossi", "--yes", "--json")
    assert forgot.code == 0, forgot.err
    assert forgot.json()["hub"] == {"erased": 1, "queued": 0, "left_to_a_lead": 1}
    assert "only a lead may erase them" in forgot.err
    lead = ok(as_(run, hub_team, "bruno", "forget", "Maria Rossi", "--yes", "--json")).json()
    assert lead["hub"]["erased"] == 1
    stale = synced(run, hub_team, "anna", "laptop")
    assert stale["erased"] == 1 and stale["sent"] == 0
    assert "Maria" not in ok(as_(run, hub_team, "anna", "list", "--all", machine="laptop")).out
    assert synced(run, hub_team, "luca")["erased"] == 1
    assert synced(run, hub_team, "anna")["erased"] == 1
    assert as_(run, hub_team, "anna", "show", str(mine)).code == 3
    # Nothing of Maria stays in the hub; what it keeps holds no personal data.
    everything = hub_rows(hub_team, "SELECT fields::text || events::text FROM loopcloser.loops")
    events = hub_rows(hub_team, "SELECT body::text FROM loopcloser.loop_events")
    assert len(everything) == 1 and not any("Maria" in row[0] for row in everything + events)
    tombstones = hub_rows(hub_team, "SELECT * FROM loopcloser.erasures")
    assert len(tombstones) == 2 and all(len(row) == 3 for row in tombstones)


def test_forget_with_the_hub_down_queues_the_erasure_for_the_next_sync(
    run: Run, hub_team: HubTeam
) -> None:
    add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    forgot = as_(run, hub_team, "anna", "forget", "Maria Rossi", "--yes", LOOPCLOSER_HUB=DEAD_HUB)
    assert forgot.code == 0 and "erased from it at the next sync" in forgot.err
    assert hub_rows(hub_team, "SELECT count(*) FROM loopcloser.loops") == [(1,)]
    assert synced(run, hub_team, "anna")["erased"] == 1
    assert hub_rows(hub_team, "SELECT count(*) FROM loopcloser.loops") == [(0,)]


# --- reading the team from the hub ---------------------------------------------


def test_report_digest_and_customer_read_the_hub_fresh_without_a_sync(
    run: Run, hub_team: HubTeam
) -> None:
    from tests.test_schemas import valid

    add(run, hub_team, "anna")
    overdue = int(ok(as_(run, hub_team, "anna", "add", "Jonas Berg", "confirm the router",
                         "--due", "2026-11-24 12:00", "--allow-past")).out)  # fmt: skip
    add(run, hub_team, "luca", "Maria Rossi", "send a voucher")
    synced(run, hub_team, "anna")
    synced(run, hub_team, "luca")
    report = ok(as_(run, hub_team, "bruno", "report", "--json")).json()
    valid("report", report)
    rows = {row["agent"]: row for row in report["agents"]}
    assert (rows[hub_team.names["anna"]]["open"], rows[hub_team.names["anna"]]["overdue"]) == (2, 1)
    assert rows[hub_team.names["luca"]]["open"] == 1
    digest = ok(as_(run, hub_team, "bruno", "digest", "--agent", hub_team.names["anna"],
                    "--json")).json()  # fmt: skip
    (late,) = [section for section in digest["sections"] if section["key"] == "overdue"]
    assert [row["id"] for row in late["loops"]] == [overdue]
    found = ok(as_(run, hub_team, "luca", "customer", "Maria", "--json")).json()
    assert sorted(row["agent"] for row in found["loops"]) == sorted(
        [hub_team.names["anna"], hub_team.names["luca"]]
    )
    offline = as_(run, hub_team, "luca", "customer", "Maria", LOOPCLOSER_HUB=DEAD_HUB)
    assert offline.code == 0 and "only this store was read" in offline.err
    down = as_(run, hub_team, "bruno", "report", LOOPCLOSER_HUB=DEAD_HUB)
    assert down.code == 7


# --- remind, undo ----------------------------------------------------------------


def test_remind_syncs_at_the_end_and_tells_of_a_loop_handed_over(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", hub_team.names["luca"],
           "--note", "call before noon"))  # fmt: skip
    reminded = ok(as_(run, hub_team, "luca", "remind"))
    assert f"#1 is yours now, handed to you by {hub_team.names['anna']}: call before noon" in (
        reminded.err
    )
    assert "Maria Rossi" in ok(as_(run, hub_team, "luca", "list")).out
    down = as_(run, hub_team, "luca", "remind", LOOPCLOSER_HUB=DEAD_HUB)
    assert down.code == 0 and "the hub was not reached" in down.err


def test_undo_of_a_change_the_hub_has_is_refused(run: Run, hub_team: HubTeam) -> None:
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "first"))
    synced(run, hub_team, "anna")
    refused = as_(run, hub_team, "anna", "undo")
    assert refused.code == 4 and "synced with the team hub since" in refused.err
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "not sent yet"))
    ok(as_(run, hub_team, "anna", "undo"))
    assert synced(run, hub_team, "anna")["sent"] == 0


# --- rights, held by PostgreSQL ----------------------------------------------------


def test_with_plain_sql_an_agent_cannot_set_or_erase_a_colleagues_loop(
    run: Run, hub_team: HubTeam
) -> None:
    loop_id = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    loop_uid = uid_of(run, hub_team, "anna", loop_id)
    with hub_team.sql("luca") as luca:
        with pytest.raises(errors.InsufficientPrivilege, match="not"):
            luca.execute("SELECT loopcloser.hub_fields(%s, 1, '{\"state\": \"closed\"}', '{}')",
                         (loop_uid,))  # fmt: skip
        with pytest.raises(errors.InsufficientPrivilege, match="a lead erases them"):
            luca.execute("SELECT loopcloser.hub_erase(ARRAY[%s]::uuid[])", (loop_uid,))
        with pytest.raises(errors.InsufficientPrivilege):
            luca.execute("UPDATE loopcloser.agents SET lead = true")
    state = hub_rows(hub_team, "SELECT fields->>'state' FROM loopcloser.loops")
    assert state == [("open",)]


def test_the_sync_json_keeps_to_its_schema(run: Run, hub_team: HubTeam) -> None:
    from tests.test_schemas import valid

    add(run, hub_team, "anna")
    valid("sync", synced(run, hub_team, "anna"))
    assert json.loads(json.dumps(synced(run, hub_team, "anna")))["sent"] == 0


def test_a_pull_cut_short_leaves_the_store_as_it_was_and_the_next_one_gets_everything(
    run: Run, hub_team: HubTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store takes what a pull brings and the new cursor in one write: a pull that
    dies before it changes nothing, so the next one has no gap and no double."""
    from loopcloser.storage.store import Transaction

    luca = hub_team.names["luca"]
    for customer in ("Maria Rossi", "Jonas Berg", "Li Wei"):
        loop_id = add(run, hub_team, "anna", customer)
        ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", luca, "--note", "yours"))

    def dies(self: Transaction, key: str, value: Any) -> None:
        raise KeyboardInterrupt  # as if killed in the middle of taking the pull

    with monkeypatch.context() as patched:
        patched.setattr(Transaction, "set_meta", dies)
        assert as_(run, hub_team, "luca", "sync").code == 130
    assert "No open loops" in as_(run, hub_team, "luca", "list").err
    taken = synced(run, hub_team, "luca")
    assert [row["id"] for row in taken["arrived"]] == [1, 2, 3]
    assert len(ok(as_(run, hub_team, "luca", "list", "--json")).json()) == 3
    assert synced(run, hub_team, "luca")["received"] == 0


def test_a_store_with_an_archive_sends_it_all_once_and_keeps_one_copy_of_each_loop(
    run: Run, hub_team: HubTeam
) -> None:
    """Loops closed long ago live in the archive: the first sync sends them too, a
    later change from another machine reaches the archived copy, and no loop is ever
    listed twice."""
    from loopcloser.storage.store import Store

    old = "2026-09-01T09:00:00Z"
    for customer in ("Maria Rossi", "Jonas Berg", "Li Wei"):
        made = as_(run, hub_team, "anna", "add", customer, "call back", "--due", "2026-09-03",
                   LOOPCLOSER_NOW=old)  # fmt: skip
        ok(as_(run, hub_team, "anna", "close", ok(made).out.strip(), "--via", "phone", "told",
               LOOPCLOSER_NOW=old))  # fmt: skip
    add(run, hub_team, "anna", "Greta Lind")
    archived = ok(as_(run, hub_team, "anna", "archive", "--json", LOOPCLOSER_HUB=""))
    assert archived.json()["archived"] == 3
    first = synced(run, hub_team, "anna")
    assert first["sent"] == 3 * 2 + 1 and first["arrived"] == []
    assert len(ok(as_(run, hub_team, "anna", "export", "--all", "--format", "json")).json()) == 4
    assert hub_rows(hub_team, "SELECT count(*) FROM loopcloser.loops") == [(4,)]
    # The next day's first write archives the synced old loops again.
    tomorrow = {"LOOPCLOSER_NOW": "2026-11-26T09:00:00Z"}
    ok(as_(run, hub_team, "anna", "note", "4", "still on it", **tomorrow))
    store = Store(Path(hub_team.env("anna")["LOOPCLOSER_STORE"]))
    assert (len(store.documents()), len(store.archived())) == (1, 3)
    assert synced(run, hub_team, "anna", **tomorrow)["sent"] == 1
    # The laptop gets all four, and reopens one of the old ones.
    laptop = synced(run, hub_team, "anna", "laptop", **tomorrow)
    assert len(laptop["arrived"]) == 4
    ok(as_(run, hub_team, "anna", "reopen", "1", "--reason", "she called back", machine="laptop",
           **tomorrow))  # fmt: skip
    synced(run, hub_team, "anna", "laptop", **tomorrow)
    back = synced(run, hub_team, "anna", **tomorrow)
    assert (back["received"], back["arrived"]) == (1, [])
    loops = ok(as_(run, hub_team, "anna", "export", "--all", "--format", "json", **tomorrow)).json()
    assert len(loops) == 4 and len({loop["uid"] for loop in loops}) == 4
    assert [loop["state"] for loop in loops if loop["customer"] == "Maria Rossi"] == ["open"]


def test_an_offline_handoff_asks_the_hub_once(
    run: Run, hub_team: HubTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a train each attempt waits for the hub's timeout: a handoff asks once."""
    from loopcloser.core.errors import HubError
    from loopcloser.storage import hub

    loop_id = add(run, hub_team, "anna")
    attempts = []

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise HubError("cannot reach the hub: timeout expired")

    monkeypatch.setattr(hub, "connect", unreachable)
    given = ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to",
                   hub_team.names["luca"], "--note", "yours"))  # fmt: skip
    assert len(attempts) == 1 and "the hub was not reached" in given.err
