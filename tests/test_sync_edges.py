"""The team hub's sync at its edges: syncs killed or run twice at once, archives,
imports, undo, restored hubs, and rights that plain SQL must not get around. Each
test's docstring says what went wrong before it held."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.conftest import HubTeam, Run
from tests.test_sync import add, as_, hub_rows, ok, synced, uid_of


def events_of(run: Run, team: HubTeam, who: str, loop_id: int, machine: str = "desk") -> list[Any]:
    shown = ok(as_(run, team, who, "show", str(loop_id), "--json", machine=machine)).json()
    return list(shown["events"])


def test_an_export_of_a_synced_store_imports_elsewhere(
    run: Run, hub_team: HubTeam, tmp_path: Path
) -> None:
    """Events of a synced store carry uids; export writes them, import refuses them."""
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "voicemail"))
    synced(run, hub_team, "anna")
    exported = ok(as_(run, hub_team, "anna", "export", "--all", "--format", "json")).out
    file = tmp_path / "loops.json"
    file.write_text(exported, encoding="utf-8")
    imported = as_(run, hub_team, "anna", "import", str(file), LOOPCLOSER_HUB="",
                   machine="spare")  # fmt: skip
    assert imported.code == 0, imported.err


def test_the_same_csv_imported_on_both_machines_of_one_agent_syncs(
    run: Run, hub_team: HubTeam, tmp_path: Path
) -> None:
    """A CSV row without uid gets a uid made from its words: the desk and the laptop make
    the same loop uid with different event uids, and the hub refuses the second forever."""
    file = tmp_path / "loops.csv"
    file.write_text("customer,promise,due\nMaria Rossi,call back,2026-11-27 12:00\n",
                    encoding="utf-8")  # fmt: skip
    ok(as_(run, hub_team, "anna", "import", str(file)))
    ok(as_(run, hub_team, "anna", "import", str(file), machine="laptop"))
    synced(run, hub_team, "anna")
    laptop = as_(run, hub_team, "anna", "sync", "--json", machine="laptop")
    assert laptop.code == 0, laptop.err
    again = as_(run, hub_team, "anna", "sync", "--json", machine="laptop")
    assert again.code == 0, again.err


def test_a_loop_added_for_a_colleague_is_refused_with_a_hub(run: Run, hub_team: HubTeam) -> None:
    """`add --owner luca` with a hub would make a loop the hub holds as anna's while her
    store says luca's: nobody could work it. It is refused, pointing to handoff."""
    luca = hub_team.names["luca"]
    refused = as_(run, hub_team, "anna", "add", "Maria Rossi", "call back", "--due", "fri 12:00",
                  "--owner", luca)  # fmt: skip
    assert refused.code == 2 and "loopcloser handoff ID --to" in refused.err
    assert "No open loops" in as_(run, hub_team, "anna", "list").err
    mine = as_(run, hub_team, "anna", "add", "Maria Rossi", "call back", "--due", "fri 12:00",
               "--owner", hub_team.names["anna"])  # fmt: skip
    assert mine.code == 0, mine.err


def test_undo_of_a_handoff_the_hub_refused(run: Run, hub_team: HubTeam) -> None:
    """Offline, anna hands a loop to a misspelt name; the sync is refused and says
    'fix the cause, sync again'. The fix is undo, but the sync stamped uids on the
    events, and undo now calls the history 'changed outside loopcloser'."""
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", "lucaa", "--note", "x",
           LOOPCLOSER_HUB="postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"))  # fmt: skip
    refused = as_(run, hub_team, "anna", "sync")
    assert refused.code == 7 and "lucaa is not an agent" in refused.err
    undone = as_(run, hub_team, "anna", "undo")
    assert undone.code == 0, undone.err
    assert synced(run, hub_team, "anna")["sent"] == 1


def test_forget_of_a_loop_reassigned_away_does_not_block_every_later_sync(
    run: Run, hub_team: HubTeam
) -> None:
    """Anna's loop is reassigned to luca while she is away; offline she forgets the
    customer (the erasure is queued). Her next sync sends the erasure first, the hub
    refuses it (the loop is luca's), and the whole sync fails: every sync after it too,
    so her other changes never leave."""
    first = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    uid = uid_of(run, hub_team, "anna", first)
    ok(as_(run, hub_team, "bruno", "hub", "reassign", uid[:8], "--to", hub_team.names["luca"],
           "--note", "anna is away"))  # fmt: skip
    down = {"LOOPCLOSER_HUB": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"}
    ok(as_(run, hub_team, "anna", "forget", "Maria Rossi", "--yes", **down))
    add(run, hub_team, "anna", "Jonas Berg")
    first_sync = as_(run, hub_team, "anna", "sync", "--json")
    second_sync = as_(run, hub_team, "anna", "sync", "--json")
    assert second_sync.code == 0, (first_sync.err, second_sync.err)
    assert hub_rows(hub_team, "SELECT count(*) FROM loopcloser.loops") == [(2,)]


def test_with_plain_sql_the_giver_cannot_set_the_fields_of_a_loop_handed_away(
    run: Run, hub_team: HubTeam
) -> None:
    """hub_fields lets 'the agent whose event was the latest to apply' set the fields:
    after a handoff that is the giver, who can then rewrite the receiver's loop."""
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", hub_team.names["luca"],
           "--note", "yours"))  # fmt: skip
    ((uid, seq),) = hub_rows(hub_team, "SELECT uid::text, seq FROM loopcloser.loops")
    with hub_team.sql("anna") as anna, pytest.raises(errors.InsufficientPrivilege):
        anna.execute(
            "SELECT loopcloser.hub_fields(%s, %s,"
            ' \'{"state": "cancelled", "customer": "Someone Else"}\', \'{}\')',
            (uid, seq),
        )
    assert hub_rows(hub_team, "SELECT fields->>'state' FROM loopcloser.loops") == [("open",)]


def test_with_plain_sql_an_owner_cannot_void_a_colleagues_past_events(
    run: Run, hub_team: HubTeam
) -> None:
    """hub_fields's ``void`` could mark any event of the loop, whoever wrote it: the owner
    would rewrite history. Only events recorded in the same transaction are marked."""
    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "anna's own words"))
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", hub_team.names["luca"],
           "--note", "yours"))  # fmt: skip
    synced(run, hub_team, "luca")
    ((uid, seq, events),) = hub_rows(
        hub_team, "SELECT uid::text, seq, events FROM loopcloser.loops"
    )
    annas_note = events[1]["uid"]
    with hub_team.sql("luca") as luca:  # only events of this transaction may be marked
        luca.execute(
            "SELECT loopcloser.hub_fields(%s, %s, %s::jsonb, %s::jsonb)",
            (uid, seq, json.dumps({"state": "open"}), json.dumps({annas_note: "conflict"})),
        )
    ((after,),) = hub_rows(hub_team, "SELECT events FROM loopcloser.loops")
    assert "void" not in after[1]


def test_with_plain_sql_an_agent_cannot_write_an_event_in_anothers_name(
    run: Run, hub_team: HubTeam
) -> None:
    """hub_record stores the body's ``by`` as sent: anna can write a note that every
    replica shows as written by the lead."""
    import uuid

    loop_id = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    uid = uid_of(run, hub_team, "anna", loop_id)
    bruno = hub_team.names["bruno"]
    forged = {"kind": "note", "at": "2026-11-25T09:00:00Z", "by": bruno, "text": "approved"}
    with hub_team.sql("anna") as anna:
        try:
            anna.execute("SELECT loopcloser.hub_record(%s, %s, %s::jsonb)",
                         (str(uuid.uuid4()), uid, json.dumps(forged)))  # fmt: skip
        except psycopg.Error:
            return  # refused: fine
    ((events,),) = hub_rows(hub_team, "SELECT events FROM loopcloser.loops")
    assert events[-1]["by"] == hub_team.names["anna"], "the hub shows the lead wrote it"


# --- the archive ---------------------------------------------------------------------


def closed_long_ago(run: Run, team: HubTeam) -> None:
    old = "2026-09-01T09:00:00Z"
    made = as_(run, team, "anna", "add", "Maria Rossi", "call back", "--due", "2026-09-03",
               LOOPCLOSER_NOW=old)  # fmt: skip
    ok(as_(run, team, "anna", "close", ok(made).out.strip(), "--via", "phone", "told",
           LOOPCLOSER_NOW=old))  # fmt: skip


def test_a_sync_killed_between_push_and_pull_then_the_archive_does_not_double_a_loop(
    run: Run, hub_team: HubTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push is noted, the pull never ran; the daily sweep then archives the loop (the
    hub holds all of it). The next pull finds it changed past the cursor, not in the
    store (it reads the archive only to bring back a copy that differs), and inserts it
    again as a loop 'arrived from your other machine'."""
    import loopcloser.services.sync as sync_module

    closed_long_ago(run, hub_team)

    def killed(*_: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(sync_module, "pull", killed)
        assert as_(run, hub_team, "anna", "sync").code == 130
    ok(as_(run, hub_team, "anna", "archive"))
    again = synced(run, hub_team, "anna")
    loops = ok(as_(run, hub_team, "anna", "export", "--all", "--format", "json")).json()
    assert len(loops) == 1, (again, [loop["id"] for loop in loops])


def test_a_hub_made_anew_does_not_double_an_archived_loop(run: Run, hub_team: HubTeam) -> None:
    """The same hole from the other side: a new epoch means a full pull, and every
    archived loop comes back as a second copy."""
    closed_long_ago(run, hub_team)
    synced(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "archive"))
    with psycopg.connect(hub_team.admin, autocommit=True) as admin:
        admin.execute("UPDATE loopcloser.hub_meta SET value = 'restored' WHERE key = 'epoch'")
    again = synced(run, hub_team, "anna")
    loops = ok(as_(run, hub_team, "anna", "export", "--all", "--format", "json")).json()
    assert (len(loops), again["arrived"]) == (1, [])


# --- two syncs of one store at once (two cron jobs) --------------------------------


def test_two_syncs_of_one_store_at_once_neither_double_nor_block_an_event(
    run: Run, hub_team: HubTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P1 sends anna's note; meanwhile luca's late note reaches the hub and P2 (the other
    cron job) syncs the same store. When P1 notes what the hub took, settle() takes the
    events past the *length* of what it sent as made here meanwhile: luca's late note
    becomes anna's to send, and the hub refuses it at every sync after ('another's')."""
    import loopcloser.services.sync as sync_module

    loop_id = add(run, hub_team, "luca")
    synced(run, hub_team, "luca")
    uid = uid_of(run, hub_team, "luca", loop_id)
    ok(as_(run, hub_team, "bruno", "hub", "reassign", uid[:8], "--to", hub_team.names["anna"],
           "--note", "luca is away"))  # fmt: skip
    assert synced(run, hub_team, "anna")["arrived"][0]["kind"] == "reassigned"
    ok(as_(run, hub_team, "luca", "note", str(loop_id), "offline, before I knew"))
    ok(as_(run, hub_team, "anna", "note", "1", "anna's note"))

    original = sync_module.send_chunk
    state = {"nested": False}

    def then_the_others(*args: Any) -> Any:
        results = original(*args)
        if not state["nested"]:
            state["nested"] = True
            synced(run, hub_team, "luca")  # the late note, after anna's
            synced(run, hub_team, "anna")  # the other cron job, on the same store
        return results

    with monkeypatch.context() as patched:
        patched.setattr(sync_module, "send_chunk", then_the_others)
        ok(as_(run, hub_team, "anna", "sync"))
    uids = [event.get("uid") for event in events_of(run, hub_team, "anna", 1)]
    after = as_(run, hub_team, "anna", "sync", "--json")
    assert after.code == 0, after.err
    assert len(uids) == len(set(uids)) == 4


# --- erasure when a sync is killed -------------------------------------------------


def test_a_sync_killed_before_its_purge_still_erases_the_customer_from_the_backups(
    run: Run, hub_team: HubTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pull drops the erased loop and moves the cursor past the tombstone in one
    write; the customer's name lives only in memory (Synced.erased_customers) until
    sync_and_purge forgets it in the backups and mentions. Killed in between, the next
    sync sees no erasure: the daily copies keep the customer."""
    import loopcloser.services.purge as purge_module

    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", hub_team.names["luca"],
           "--note", "yours"))  # fmt: skip
    synced(run, hub_team, "luca")
    tomorrow = {"LOOPCLOSER_NOW": "2026-11-26T09:00:00Z"}
    ok(as_(run, hub_team, "luca", "note", "1", "she called", **tomorrow))  # a daily copy
    synced(run, hub_team, "luca", **tomorrow)
    ok(as_(run, hub_team, "bruno", "forget", "Maria Rossi", "--yes", **tomorrow))

    def killed(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(purge_module, "forget", killed)
        assert as_(run, hub_team, "luca", "sync", **tomorrow).code == 130
    synced(run, hub_team, "luca", **tomorrow)
    folder = Path(hub_team.env("luca")["LOOPCLOSER_STORE"]).parent
    holding = [p.name for p in folder.rglob("*") if p.is_file() and b"Rossi" in p.read_bytes()]
    assert holding == []


# --- what the hub takes from an agent -----------------------------------------------


def test_an_event_without_a_moment_is_refused_by_the_hub_not_a_traceback_later(
    run: Run, hub_team: HubTeam
) -> None:
    """hub_record checks only that an event has a kind. The loop's former owner (who may
    still add 'late' events) writes one without 'at'; the new owner's next sync that has
    changes of its own to send replays the hub's history and dies with a KeyError."""
    import uuid

    loop_id = add(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "handoff", str(loop_id), "--to", hub_team.names["luca"],
           "--note", "yours"))  # fmt: skip
    synced(run, hub_team, "luca")
    ((uid,),) = hub_rows(hub_team, "SELECT uid::text FROM loopcloser.loops")
    refused = False
    with hub_team.sql("anna") as anna:
        try:
            anna.execute("SELECT loopcloser.hub_record(%s, %s, '{\"kind\": \"note\"}'::jsonb)",
                         (str(uuid.uuid4()), uid))  # fmt: skip
        except psycopg.Error:
            refused = True
    if refused:
        return
    ok(as_(run, hub_team, "luca", "note", "1", "mine"))
    try:
        result = as_(run, hub_team, "luca", "sync")
    except Exception as error:
        pytest.fail(f"a traceback: {type(error).__name__}: {error}")
    assert "this is a bug" not in result.err, result.err
    assert synced(run, hub_team, "luca")["sent"] == 0  # and the loop syncs again


def test_a_hub_restored_from_a_backup_gets_back_what_it_lost(run: Run, hub_team: HubTeam) -> None:
    """A hub restored from last night's backup keeps its epoch but lost the last changes:
    the stores notice they are ahead of it, pull everything, and send again what it lost,
    keeping every event they had."""
    loop_id = add(run, hub_team, "anna")
    synced(run, hub_team, "anna")
    ok(as_(run, hub_team, "anna", "note", str(loop_id), "after the backup"))
    synced(run, hub_team, "anna")
    with psycopg.connect(hub_team.admin, autocommit=True) as admin:  # as the backup was
        admin.execute("DELETE FROM loopcloser.loop_events WHERE seq = 2")
        admin.execute("UPDATE loopcloser.loops SET seq = 1, events = events - 1, position = 1")
        admin.execute("SELECT setval('loopcloser.hub_positions', 1)")
    synced(run, hub_team, "anna")
    assert len(events_of(run, hub_team, "anna", loop_id)) == 2
    again = synced(run, hub_team, "anna")
    assert again["sent"] == 1
    assert hub_rows(hub_team, "SELECT seq FROM loopcloser.loops") == [(2,)]
    assert len(events_of(run, hub_team, "anna", loop_id)) == 2
