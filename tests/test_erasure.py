"""Forgetting a customer leaves no trace of them in the store's folder, and nothing else moves."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopcloser import actions
from loopcloser.erasure import FORGOTTEN, forget, matches, scrub
from loopcloser.errors import BadInput
from loopcloser.model import (
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
from loopcloser.store import Store
from loopcloser.undo import undo

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

NAME, EMAIL = "Maria Rossi", "maria.rossi@example.com"
NOTES = ("Maria's husband called about the refund", "Rückruf vereinbart", "refund confirmed")
PROMISE = "call Maria back about the broken kettle"


def add(store: Store, customer: str, contact: str | None = None, promise: str = "call back") -> int:
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
        tags=["billing"],
        ref="TCK-1234",
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

    assert forget([store], NAME) == 1

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

    assert forget([store], "  li ") == 1

    documents = fresh(store).documents()
    assert documents[li]["customer"] == FORGOTTEN
    assert documents[li_wei]["customer"] == "Li Wei"


def test_customer_is_found_by_contact_in_another_case(store: Store) -> None:
    loop_id = add(store, NAME, EMAIL)

    assert forget([store], "Maria.Rossi@EXAMPLE.com") == 1

    assert (fresh(store).get(loop_id) or {})["contact"] is None


def test_renamed_customer_is_found_by_the_earlier_name(store: Store) -> None:
    loop_id = add(store, "Maria Bianchi", "m.bianchi@example.com")
    change(store, loop_id, Kind.EDITED, 1, changes={"customer": "Maria Rossi-Bianchi"})
    change(store, loop_id, Kind.EDITED, 2, changes={"contact": "mrb@example.com"})

    assert forget([store], "maria   bianchi") == 1

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

    assert forget([anna, ben], NAME) == 3


def test_forgetting_nobody_is_bad_input(store: Store) -> None:
    with pytest.raises(BadInput):
        forget([store], "   ")


def test_no_match_scrubs_nothing_and_keeps_undo(store: Store) -> None:
    loop_id = add(store, "Li Wei")
    untouched = store.path.read_bytes()

    assert forget([store], NAME) == 0

    assert store.path.read_bytes() == untouched
    assert undo(store).what == f"added #{loop_id}"


def test_journal_is_dropped_when_only_it_still_holds_the_customer(store: Store) -> None:
    # A loop handed off to another store leaves its old copy in this store's journal.
    loop_id = add(store, NAME, EMAIL)
    with store.transaction() as transaction:
        document = transaction.get(loop_id)
        transaction.remove(loop_id)
        transaction.log(
            {
                "at": to_utc_text(T0 + HOUR),
                "by": "anna",
                "what": f"handoff #{loop_id}",
                "before": {str(loop_id): document},
                "blocked": "the loop now lives in ben's store",
            }
        )

    assert forget([store], NAME) == 0

    assert EMAIL.encode() not in store.path.read_bytes()
    with pytest.raises(BadInput, match="nothing to undo"):
        undo(store)


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
