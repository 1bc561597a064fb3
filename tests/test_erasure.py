"""Forgetting a customer leaves no trace of them in the store's folder, and nothing else moves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopcloser.core.errors import BadInput
from loopcloser.core.model import (
    STORED_FIELDS,
    Event,
    Kind,
    apply,
    creation,
    from_document,
    replay,
    to_document,
    to_utc_text,
)
from loopcloser.services import loops as actions
from loopcloser.services.forget import FORGOTTEN, forget, matches, mentions, redact, scrub
from loopcloser.services.undo import undo
from loopcloser.storage import team
from loopcloser.storage.store import Store
from tests.conftest import Run
from tests.test_undo import log_handoff

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_team_worker.py")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

NAME, EMAIL = "Maria Rossi", "maria.rossi@example.com"
NOTES = ("Maria's husband called about the refund", "Rückruf vereinbart", "refund confirmed")
PROMISE = "call Maria back about the broken kettle"


def add(
    store: Store,
    customer: str,
    contact: str | None = None,
    promise: str = "call back",
    *,
    tags: tuple[str, ...] = ("billing",),
    ref: str = "TCK-1234",
) -> int:
    event = creation(
        uid=str(uuid.uuid4()),
        customer=customer,
        promise=promise,
        owner="anna",
        due=T0 + 48 * HOUR,
        at=T0,
        contact=contact,
        via="phone",
        prefers="email",
        update_every=timedelta(days=2),
        tags=list(tags),
        ref=ref,
    )
    return actions.add(store, event).id


def change(store: Store, loop_id: int, kind: Kind, hours: int, **fields: Any) -> None:
    actions.change(store, loop_id, Event(kind=kind, at=T0 + hours * HOUR, by="anna", **fields))


def add_marias_history(store: Store) -> int:
    """Maria's loop with every kind of free text: notes, a contact summary, a reason."""
    loop_id = add(store, NAME, EMAIL, PROMISE)
    change(store, loop_id, Kind.NOTE, 1, text=NOTES[0])
    finance = {"waiting_on": {"party": "Finance", "until": None}}
    change(store, loop_id, Kind.WAITING, 2, text=NOTES[1], changes=finance)
    change(store, loop_id, Kind.RESUMED, 3)
    change(store, loop_id, Kind.CONTACT, 4, via="email", text=NOTES[2])
    change(store, loop_id, Kind.CLOSED, 5, via="email", text=NOTES[2])
    return loop_id


@pytest.fixture
def store(tmp_path: Path) -> Store:
    # A folder of its own, so that every file in it can be searched.
    return Store(tmp_path / "agent" / "loops.json")


def every_file(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def fresh(store: Store) -> Store:
    return Store(store.path)


def replays(loop_id: int, document: dict[str, Any]) -> bool:
    loop = from_document(loop_id, document)
    return replay(loop_id, loop.events) == loop


# --- forget -----------------------------------------------------------------


def test_forgotten_customer_appears_nowhere_in_the_store_folder(store: Store) -> None:
    add_marias_history(store)
    add(store, "Li Wei", "li.wei@example.com")
    secrets = [NAME, EMAIL, PROMISE, *NOTES]
    assert any(s.encode() in p.read_bytes() for p in every_file(store.path.parent) for s in secrets)

    assert forget([store], NAME).loops == 1

    for path in every_file(store.path.parent):
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, f"{secret!r} left in {path.name}"


def test_other_customers_loops_are_untouched(store: Store) -> None:
    add_marias_history(store)
    other = add(store, "Li Wei", "li.wei@example.com")
    change(store, other, Kind.NOTE, 1, text="prefers mornings")
    before = json.dumps(fresh(store).get(other), sort_keys=True)

    forget([store], NAME)

    assert json.dumps(fresh(store).get(other), sort_keys=True) == before


def test_forgetting_keeps_dates_states_and_history_shape(store: Store) -> None:
    loop_id = add_marias_history(store)
    before = dict(fresh(store).get(loop_id) or {})

    forget([store], NAME)

    after = dict(fresh(store).get(loop_id) or {})
    assert (after["customer"], after["contact"], after["promise"]) == (FORGOTTEN, None, FORGOTTEN)
    for name in set(STORED_FIELDS) - {"customer", "contact", "promise"}:
        assert after[name] == before[name], name
    shape = [(event["kind"], event["at"], event.get("via")) for event in before["events"]]
    assert [(event["kind"], event["at"], event.get("via")) for event in after["events"]] == shape
    assert not any("text" in event for event in after["events"])
    assert replays(loop_id, after)


def test_undo_after_forgetting_cannot_bring_the_customer_back(store: Store) -> None:
    loop_id = add_marias_history(store)

    forget([store], NAME)

    with pytest.raises(BadInput, match="nothing to undo"):
        undo(store)
    assert (fresh(store).get(loop_id) or {})["customer"] == FORGOTTEN


def test_forgetting_li_does_not_forget_li_wei(store: Store) -> None:
    li = add(store, "Li", "li@example.com")
    li_wei = add(store, "Li Wei", "li.wei@example.com")

    assert forget([store], "  li ").loops == 1

    documents = fresh(store).documents()
    assert documents[li]["customer"] == FORGOTTEN
    assert documents[li_wei]["customer"] == "Li Wei"


def test_customer_is_found_by_contact_in_another_case(store: Store) -> None:
    loop_id = add(store, NAME, EMAIL)

    assert forget([store], "Maria.Rossi@EXAMPLE.com").loops == 1

    assert (fresh(store).get(loop_id) or {})["contact"] is None


def test_renamed_customer_is_found_by_the_earlier_name(store: Store) -> None:
    loop_id = add(store, "Maria Bianchi", "m.bianchi@example.com")
    change(store, loop_id, Kind.EDITED, 1, changes={"customer": "Maria Rossi-Bianchi"})
    change(store, loop_id, Kind.EDITED, 2, changes={"contact": "mrb@example.com"})

    assert forget([store], "maria   bianchi").loops == 1

    after = fresh(store).get(loop_id) or {}
    raw = store.path.read_bytes()
    for secret in (b"Bianchi", b"m.bianchi@", b"mrb@"):
        assert secret not in raw
    assert replays(loop_id, after)


def test_forget_counts_loops_across_stores(tmp_path: Path) -> None:
    anna, ben = Store(tmp_path / "anna.json"), Store(tmp_path / "ben.json")
    add(anna, NAME, EMAIL)
    add(anna, NAME, promise="send the invoice")
    add(ben, NAME.upper())
    add(ben, "Li Wei")

    assert forget([anna, ben], NAME).loops == 3


def test_forgetting_nobody_is_bad_input(store: Store) -> None:
    with pytest.raises(BadInput):
        forget([store], "   ")


def test_no_match_scrubs_nothing_and_keeps_undo(store: Store) -> None:
    loop_id = add(store, "Li Wei")
    untouched = store.path.read_bytes()

    assert forget([store], NAME).loops == 0

    assert store.path.read_bytes() == untouched
    assert undo(store).what == f"added #{loop_id}"


def test_journal_is_dropped_when_only_it_still_holds_the_customer(store: Store) -> None:
    # A loop handed off to another store leaves its old copy in this store's journal.
    loop_id = add(store, NAME, EMAIL)
    log_handoff(store, loop_id, T0 + HOUR, "the loop now lives in ben's store", remove=True)

    assert forget([store], NAME).loops == 0

    assert EMAIL.encode() not in store.path.read_bytes()
    with pytest.raises(BadInput, match="nothing to undo"):
        undo(store)


# --- mentions everywhere, team folders, failures ------------------------------

OTHER_NOTE = f"Li's sister {NAME} called, write to {EMAIL.upper()}"


def in_team(folder: Path, agent: str) -> Store:
    return Store(team.store_path(folder, agent))


def crash_after_intent(folder: Path, source: str, target: str, loop_id: int) -> None:
    """A handoff killed after writing its intent file, before either store changed."""
    pythonpath = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    crashed = subprocess.run(
        [sys.executable, str(WORKER), "crash-after-intent", str(folder), source, target,
         str(loop_id)],
        env={**os.environ, "PYTHONPATH": pythonpath},
        capture_output=True,
        check=False,
        timeout=60,
    )  # fmt: skip
    assert crashed.returncode == 9, crashed.stderr


def add_marias_mentions(store: Store) -> int:
    """Maria's loop naming her in its tags, ref and the party it waits on."""
    loop_id = add(store, NAME, EMAIL, PROMISE, tags=("vip", NAME.lower()), ref="MARIA-ROSSI/77")
    change(store, loop_id, Kind.NOTE, 1, text=NOTES[0])
    bank = {"waiting_on": {"party": f"{NAME}'s bank", "until": to_utc_text(T0 + 30 * HOUR)}}
    change(store, loop_id, Kind.WAITING, 2, text=NOTES[1], changes=bank)
    return loop_id


def assert_no_trace(folder: Path, secrets: list[str]) -> None:
    """No file under ``folder``, hidden ones included, holds a secret in any case."""
    files = every_file(folder)
    assert any(path.name.startswith(".") for path in files), "hidden files are searched too"
    for path in files:
        raw = path.read_bytes().decode("utf-8", errors="replace").casefold()
        for secret in secrets:
            assert secret.casefold() not in raw, f"{secret!r} left in {path.name}"


def every_document(folder: Path) -> dict[tuple[str, int], dict[str, Any]]:
    return {
        (agent, loop_id): document
        for agent, path in team.team_stores(folder)
        for loop_id, document in Store(path).documents().items()
    }


def test_forgotten_customer_appears_nowhere_in_the_team_folder_hidden_files_included(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "team"
    anna, luca = in_team(folder, "anna"), in_team(folder, "luca")
    add_marias_mentions(anna)
    li = add(luca, "Li Wei", "li.wei@example.com")
    change(luca, li, Kind.NOTE, 1, text=OTHER_NOTE)
    travelling = add(anna, NAME, EMAIL, "send the new kettle", ref=f"RMA {NAME}")
    crash_after_intent(folder, "anna", "luca", travelling)
    (intent,) = folder.glob(".handoff-*.json")
    assert NAME.encode() in intent.read_bytes()

    erased = forget([], NAME, folder)

    assert (erased.loops, erased.mentions, erased.failed) == (2, 1, [])
    assert_no_trace(folder, [NAME, EMAIL, PROMISE, "Rossi", *NOTES])
    assert not list(folder.glob(".handoff-*")), "the interrupted handoff was completed"
    documents = every_document(folder)
    assert all(replays(loop_id, document) for (_, loop_id), document in documents.items())
    others = documents["luca", li]
    assert (others["customer"], others["contact"]) == ("Li Wei", "li.wei@example.com")
    assert others["events"][-1]["text"] == f"Li's sister {FORGOTTEN} called, write to {FORGOTTEN}"
    marias = [doc for doc in documents.values() if doc["customer"] == FORGOTTEN]
    assert sorted(doc["owner"] for doc in marias) == ["anna", "luca"]
    waiting = next(doc for doc in marias if doc["waiting_on"])
    assert waiting["waiting_on"] == {
        "party": f"{FORGOTTEN}'s bank",
        "until": "2026-11-24T15:00:00Z",
    }
    assert waiting["tags"] == ["vip", FORGOTTEN]


def test_forgetting_li_does_not_redact_lisa(store: Store) -> None:
    add(store, "Li", "li@example.com")
    lisa = add(store, "Lisa Li-Bianchi", "lisa@example.com", tags=("Lisa",), ref="LI-LISA")
    change(store, lisa, Kind.NOTE, 1, text="Lisa said Li, her cousin, will call; Lisa's fine")

    erased = forget([store], "Li")

    assert (erased.loops, erased.mentions) == (1, 1)
    after = fresh(store).get(lisa) or {}
    assert (after["customer"], after["contact"]) == ("Lisa Li-Bianchi", "lisa@example.com")
    assert (after["tags"], after["ref"]) == (["Lisa"], f"{FORGOTTEN}-LISA")
    text = f"Lisa said {FORGOTTEN}, her cousin, will call; Lisa's fine"
    assert after["events"][-1]["text"] == text
    assert replays(lisa, after)


def test_another_customers_loop_with_the_forgotten_contact_loses_only_that(store: Store) -> None:
    maria = add(store, NAME, EMAIL)
    shared = add(store, "Rossi household", EMAIL.upper())

    erased = forget([store], NAME)

    assert (erased.loops, erased.mentions) == (1, 1)
    after = fresh(store).documents()
    assert after[maria]["customer"] == FORGOTTEN
    assert (after[shared]["customer"], after[shared]["contact"]) == ("Rossi household", FORGOTTEN)
    assert replays(shared, after[shared])


def test_a_loop_held_by_two_stores_is_counted_once(tmp_path: Path) -> None:
    anna, ben = Store(tmp_path / "anna.json"), Store(tmp_path / "ben.json")
    loop_id = add(anna, NAME, EMAIL)
    with ben.transaction() as transaction:
        transaction.insert(dict(anna.get(loop_id) or {}))

    assert forget([anna, ben, Store(tmp_path / "." / "anna.json")], NAME).loops == 1


def test_a_corrupt_colleague_store_does_not_stop_the_erasure_and_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "team"
    anna, bob, luca = (in_team(folder, agent) for agent in ("anna", "bob", "luca"))
    add_marias_mentions(anna)
    add(bob, NAME, EMAIL)
    li = add(luca, "Li Wei")
    change(luca, li, Kind.NOTE, 1, text=OTHER_NOTE)
    bobs = bob.path.read_bytes()
    bob.path.write_text("garbage")

    erased = forget([], NAME, folder)

    assert (erased.loops, erased.mentions) == (1, 1)
    assert [path for path, _ in erased.failed] == [str(bob.path)]
    assert "not valid JSON" in erased.failed[0][1]
    for other in (anna, luca):
        assert NAME.encode() not in other.path.read_bytes()
        assert EMAIL.encode() not in other.path.read_bytes()

    bob.path.write_bytes(bobs)  # restored from a backup
    again = forget([], NAME, folder)

    assert (again.loops, again.mentions, again.failed) == (1, 0, [])
    assert_no_trace(folder, [NAME, EMAIL, PROMISE, *NOTES])


def test_a_handoff_that_cannot_be_completed_is_scrubbed_in_its_intent_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "team"
    anna, luca = in_team(folder, "anna"), in_team(folder, "luca")
    maria = add_marias_mentions(anna)
    add(luca, "ACME")
    crash_after_intent(folder, "anna", "luca", maria)
    lucas = luca.path.read_bytes()
    luca.path.write_text("garbage")

    erased = forget([], NAME, folder)

    assert erased.loops == 1
    assert [path for path, _ in erased.failed] == [str(luca.path)]
    (intent,) = folder.glob(".handoff-*.json")
    assert NAME.encode() not in intent.read_bytes()
    assert b"(forgotten)" in intent.read_bytes()

    luca.path.write_bytes(lucas)
    assert team.recover(folder) == 1  # the scrubbed intent still completes the handoff

    (moved,) = [doc for doc in fresh(luca).documents().values() if doc["customer"] != "ACME"]
    assert (moved["customer"], moved["owner"]) == (FORGOTTEN, "luca")
    assert replays(2, moved)
    assert fresh(anna).documents() == {}
    assert_no_trace(folder, [NAME, EMAIL, PROMISE, *NOTES])


def test_forget_racing_handoffs_back_and_forth_never_leaves_the_name_in_any_store(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "team"
    anna, luca = in_team(folder, "anna"), in_team(folder, "luca")
    uid = anna.get(add_marias_mentions(anna))["uid"]  # type: ignore[index]
    li = add(luca, "Li Wei")
    change(luca, li, Kind.NOTE, 1, text=OTHER_NOTE)
    moves: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def shuttle() -> None:
        try:
            while not stop.is_set():
                for source, target in (("anna", "luca"), ("luca", "anna")):
                    documents = in_team(folder, source).documents()
                    (loop_id,) = [i for i, doc in documents.items() if doc["uid"] == uid]
                    over = Event(kind=Kind.HANDOFF, at=T0 + 40 * HOUR, by=source,
                                 text="over to you", changes={"owner": target})  # fmt: skip
                    team.handoff(folder, source, loop_id, target, over)
                    moves.append(target)
        except BaseException as error:  # reported by the test below
            errors.append(error)

    mover = threading.Thread(target=shuttle)
    mover.start()
    try:
        while len(moves) < 4 and mover.is_alive():
            stop.wait(0.01)
        erased = forget([], NAME, folder)
        seen = len(moves)
        while len(moves) < seen + 4 and mover.is_alive():
            stop.wait(0.01)
    finally:
        stop.set()
        mover.join(timeout=60)

    assert errors == []
    assert (erased.loops, erased.mentions, erased.failed) == (1, 1, [])
    assert_no_trace(folder, [NAME, EMAIL, PROMISE, *NOTES])
    holders = [key for key, doc in every_document(folder).items() if doc["uid"] == uid]
    assert len(holders) == 1, "the loop is in exactly one store"
    assert all(replays(i, doc) for (_, i), doc in every_document(folder).items())


def test_the_command_reports_a_store_it_could_not_erase_and_exits_5(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = home / "team"
    folder.mkdir()
    monkeypatch.delenv("LOOPCLOSER_STORE")
    monkeypatch.setenv("LOOPCLOSER_TEAM", str(folder))
    assert run("add", NAME, "call back", "--due", "fri 12:00", "--tag", "vip").code == 0
    assert run("add", "Li Wei", "refund", "--due", "fri 12:00").code == 0
    assert run("note", "2", f"{NAME} is Li's sister").code == 0
    add(in_team(folder, "luca"), NAME)
    bob = team.store_path(folder, "bob")
    bob.write_text("garbage")

    result = run("forget", NAME.upper(), "--yes")

    assert result.code == 5
    assert (
        result.out
        == f"Forgot {NAME.upper()}: 2 loops scrubbed, mentions redacted in 1 other loop.\n"
    )
    warning, error = result.err.splitlines()
    assert warning.startswith(f"loopcloser: warning: could not erase in {bob}: store {bob}")
    assert "run forget again" in error
    for store in (folder / "anna.json", folder / "luca.json"):
        assert b"Maria" not in store.read_bytes()

    bob.unlink()
    again = run("forget", NAME, "--yes", "--json")
    assert again.code == 0, again.err
    assert again.json() == {"customer": NAME, "scrubbed": 0, "mentions": 0, "failed": []}


# --- scrub and matches, pure ------------------------------------------------


def marias_document(customer: str, contact: str, promise: str, texts: list[str]) -> dict[str, Any]:
    loop = apply(
        None,
        creation(
            uid="u-1",
            customer=customer,
            promise=promise,
            owner="anna",
            due=T0 + HOUR,
            at=T0,
            contact=contact,
        ),
        loop_id=1,
    )
    kinds = [Kind.NOTE, Kind.CONTACT, Kind.DONE, Kind.REOPENED]
    for hours, text in enumerate(texts, start=1):
        event = Event(kind=kinds[hours % len(kinds)], at=T0 + hours * HOUR, by="anna", text=text)
        loop = apply(loop, event)
    renamed = {"customer": f"{customer} Jr", "contact": contact, "promise": promise}
    loop = apply(loop, Event(kind=Kind.EDITED, at=T0, by="anna", changes=renamed))
    return to_document(loop)


# Letters beyond ASCII never occur in a document's keys, states or dates, so any
# trace of them in the scrubbed JSON is a leak, never a coincidence.
words = st.text(
    alphabet=st.characters(min_codepoint=0x100, max_codepoint=0x2FFF, categories=["L", "N"])
    | st.just(" "),
    min_size=1,
    max_size=20,
).filter(str.strip)


@given(name=words, contact=words, promise=words, texts=st.lists(words, max_size=6))
def test_scrub_leaves_no_trace_of_the_customer_and_replay_holds(
    name: str, contact: str, promise: str, texts: list[str]
) -> None:
    document = marias_document(name, contact, promise, texts)

    scrubbed = scrub(document)

    text = json.dumps(scrubbed, ensure_ascii=False)
    for secret in (name, contact, promise, *texts):
        assert secret not in text
    assert replays(1, scrubbed)
    assert matches(document, name) and matches(document, f"  {name}   Jr ")


def test_scrub_does_not_change_the_document_it_is_given() -> None:
    document = marias_document(NAME, EMAIL, PROMISE, list(NOTES))
    copy = json.dumps(document)

    scrub(document)

    assert json.dumps(document) == copy


def test_scrub_keeps_the_department_waited_on() -> None:
    document = marias_document(NAME, EMAIL, PROMISE, [])
    document["waiting_on"] = {"party": "Finance", "until": None}

    assert scrub(document)["waiting_on"] == {"party": "Finance", "until": None}


def test_matches_whole_names_only() -> None:
    document = marias_document("Li Wei", "li.wei@example.com", "call back", [])

    assert matches(document, "li   wei")
    assert not matches(document, "Li")
    assert not matches(document, "example.com")
    assert not matches(document, "")


def mentioning_document(name: str, texts: list[str]) -> dict[str, Any]:
    """Another customer's loop naming ``name`` in its tags, ref, waiting party and notes."""
    loop = apply(
        None,
        creation(
            uid="u-2",
            customer="Li Wei",
            promise=f"ask {name} for the receipt",
            owner="anna",
            due=T0 + HOUR,
            at=T0,
            contact="li.wei@example.com",
            tags=[name, "billing"],
            ref=f"REF {name}",
        ),
        loop_id=2,
    )
    party = {"waiting_on": {"party": f"{name} bank", "until": None}}
    loop = apply(loop, Event(kind=Kind.WAITING, at=T0, by="anna", text=name, changes=party))
    for hours, text in enumerate(texts, start=1):
        loop = apply(loop, Event(kind=Kind.NOTE, at=T0 + hours * HOUR, by="anna", text=text))
    loop = apply(loop, Event(kind=Kind.EDITED, at=T0, by="anna", changes={"tags": [name]}))
    return to_document(loop)


@given(name=words, texts=st.lists(words, max_size=4))
def test_redact_leaves_no_whole_word_mention_and_replay_holds(name: str, texts: list[str]) -> None:
    document = mentioning_document(name, [f"{text}, {name.upper()}!" for text in texts])
    pattern = mentions([name])
    assert pattern is not None

    redacted = redact(document, pattern)

    free_text = [
        redacted["promise"],
        redacted["ref"],
        redacted["waiting_on"]["party"],
        *redacted["tags"],
        *(event.get("text", "") for event in redacted["events"]),
    ]
    assert not any(pattern.search(text) for text in free_text)
    assert (redacted["customer"], redacted["contact"]) == ("Li Wei", "li.wei@example.com")
    assert replays(2, redacted)


def test_redact_keeps_ids_moments_agents_and_channels() -> None:
    document = marias_document("Anna", "anna@example.com", "call Anna", ["Anna called"])
    pattern = mentions(["anna", "anna@example.com"])
    assert pattern is not None

    redacted = redact(scrub(document), pattern)

    assert (redacted["owner"], redacted["uid"], redacted["due"]) == ("anna", "u-1", document["due"])
    assert {event["by"] for event in redacted["events"]} == {"anna"}
    assert [event["at"] for event in redacted["events"]] == [e["at"] for e in document["events"]]


def test_mentions_are_found_however_the_words_are_joined() -> None:
    pattern = mentions(["  Maria   Rossi ", EMAIL, "", "-"])
    assert pattern is not None

    for text in ("MARIA-ROSSI", "maria.rossi", "maria_rossi", "Maria\nRossi", "(Maria Rossi)"):
        assert pattern.sub(FORGOTTEN, text).strip("()") == "forgotten", text
    for text in ("Mariarossi", "Maria Rossini", "XMaria Rossi", "Maria Rossi2", "a-b"):
        assert pattern.search(text) is None, text
    assert pattern.sub(FORGOTTEN, f"mail {EMAIL}.") == f"mail {FORGOTTEN}."
    assert mentions(["", "  ", "-"]) is None
