"""Undo reverts journalled changes one at a time, newest first, and never a handoff."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loopcloser.core.errors import BadInput, InvalidTransition, StoreError
from loopcloser.core.model import Event, Kind, State, creation, to_utc_text
from loopcloser.services import loops as actions
from loopcloser.services.undo import Pending, Reverted, pending, undo
from loopcloser.storage.store import Store

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "loops.json")


def add(store: Store, customer: str = "Maria Rossi", at: datetime = T0) -> int:
    event = creation(
        uid=f"uid-{customer}-{at.isoformat()}",
        customer=customer,
        promise="call back about the refund",
        owner="anna",
        due=at + 48 * HOUR,
        at=at,
        via="phone",
    )
    return actions.add(store, event).id


def log_handoff(
    store: Store, loop_id: int, at: datetime, blocked: str, *, remove: bool = False
) -> None:
    """Journal a handoff of the loop by anna that undo must refuse; ``remove`` moves it out."""
    with store.transaction() as transaction:
        document = transaction.get(loop_id)
        if remove:
            transaction.remove(loop_id)
        transaction.log(
            {
                "at": to_utc_text(at),
                "by": "anna",
                "what": f"handoff #{loop_id}",
                "before": {str(loop_id): document},
                "blocked": blocked,
            }
        )


def change(store: Store, loop_id: int, kind: Kind, at: datetime, **fields: Any) -> None:
    actions.change(store, loop_id, Event(kind=kind, at=at, by="anna", **fields))


def fresh(store: Store) -> Store:
    """A new Store on the same file: it reads what is really on disk."""
    return Store(store.path)


def test_undo_of_a_close_reopens_the_loop_exactly_as_it_was(store: Store) -> None:
    loop_id = add(store)
    change(store, loop_id, Kind.NOTE, T0 + HOUR, text="Finance says Friday")
    before = dict(fresh(store).get(loop_id) or {})
    change(store, loop_id, Kind.CLOSED, T0 + 2 * HOUR, via="phone", text="refund confirmed")

    reverted = undo(store)

    assert reverted == Reverted(
        what=f"closed #{loop_id}", at=T0 + 2 * HOUR, by="anna", loop_ids=(loop_id,)
    )
    assert fresh(store).get(loop_id) == before
    assert before["state"] == State.OPEN


def test_undo_of_an_add_removes_the_loop_and_its_id_is_never_reused(store: Store) -> None:
    first = add(store, "Maria Rossi")
    second = add(store, "Li Wei", T0 + HOUR)

    reverted = undo(store)

    assert reverted.what == f"added #{second}"
    assert set(fresh(store).documents()) == {first}
    assert add(store, "Ahmed Khan", T0 + 2 * HOUR) == second + 1


def test_repeated_undo_steps_back_through_changes_newest_first(store: Store) -> None:
    loop_id = add(store)
    snapshots = [dict(fresh(store).get(loop_id) or {})]
    steps: list[tuple[Kind, dict[str, Any]]] = [
        (Kind.NOTE, {"text": "left a voicemail"}),
        (Kind.WAITING, {"changes": {"waiting_on": {"party": "Finance", "until": None}}}),
        (Kind.RESUMED, {}),
        (Kind.DONE, {}),
    ]
    for hours, (kind, fields) in enumerate(steps, start=1):
        change(store, loop_id, kind, T0 + hours * HOUR, **fields)
        snapshots.append(dict(fresh(store).get(loop_id) or {}))

    undone = [undo(store).what for _ in steps]

    assert undone == [f"{kind} #{loop_id}" for kind, _ in reversed(steps)]
    assert fresh(store).get(loop_id) == snapshots[0]
    assert undo(store).what == f"added #{loop_id}"
    assert fresh(store).documents() == {}


def test_undo_with_nothing_journalled_is_bad_input(store: Store) -> None:
    with pytest.raises(BadInput, match="nothing to undo") as raised:
        undo(store)
    assert raised.value.hint


def test_undo_after_undoing_everything_is_bad_input(store: Store) -> None:
    add(store)
    undo(store)
    with pytest.raises(BadInput, match="nothing to undo"):
        undo(store)


def test_a_blocked_change_is_refused_and_nothing_changes(store: Store) -> None:
    loop_id = add(store)
    log_handoff(store, loop_id, T0 + HOUR, "the loop now lives in ben's store", remove=True)
    untouched = store.path.read_bytes()

    with pytest.raises(InvalidTransition, match="ben's store") as raised:
        undo(store)

    assert raised.value.hint
    assert store.path.read_bytes() == untouched


def test_pending_lists_changes_newest_first_with_any_blocked_reason(store: Store) -> None:
    loop_id = add(store)
    change(store, loop_id, Kind.NOTE, T0 + HOUR, text="left a voicemail")
    log_handoff(store, loop_id, T0 + 2 * HOUR, "handed off to ben")

    listed = pending(store)

    assert listed == [
        Pending(f"handoff #{loop_id}", T0 + 2 * HOUR, "anna", (loop_id,), "handed off to ben"),
        Pending(f"note #{loop_id}", T0 + HOUR, "anna", (loop_id,)),
        Pending(f"added #{loop_id}", T0, "anna", (loop_id,)),
    ]
    assert pending(store, limit=2) == listed[:2]


def test_pending_is_empty_for_a_new_store_and_writes_nothing(store: Store) -> None:
    assert pending(store) == []
    assert not store.path.exists()


def test_pending_refuses_a_limit_below_one(store: Store) -> None:
    with pytest.raises(BadInput, match="at least 1"):
        pending(store, limit=0)


def test_pending_does_not_change_the_journal(store: Store) -> None:
    add(store)
    pending(store)
    assert undo(store).what == "added #1"


def test_undo_refuses_to_resurrect_a_loop_removed_by_hand(store: Store) -> None:
    loop_id = add(store)
    change(store, loop_id, Kind.DONE, T0 + HOUR)
    with store.transaction() as transaction:
        transaction.remove(loop_id)  # as a hand edit would, with no journal entry
    untouched = store.path.read_bytes()

    with pytest.raises(StoreError, match="no longer in the store") as raised:
        undo(store)

    assert raised.value.hint
    assert store.path.read_bytes() == untouched


def test_undo_refuses_when_the_history_was_rewritten_by_hand(store: Store) -> None:
    loop_id = add(store)
    change(store, loop_id, Kind.NOTE, T0 + HOUR, text="first")
    change(store, loop_id, Kind.NOTE, T0 + 2 * HOUR, text="second")
    with store.transaction() as transaction:
        document = dict(transaction.get(loop_id) or {})
        document["events"] = document["events"][:1]
        transaction.put(loop_id, document)

    with pytest.raises(StoreError, match="history was changed"):
        undo(store)


def test_undo_reverts_every_loop_of_a_change_or_none(store: Store) -> None:
    first, second = add(store, "Maria Rossi"), add(store, "Li Wei", T0 + HOUR)
    with store.transaction() as transaction:
        before = {str(first): transaction.get(first), str(second): transaction.get(second)}
        transaction.remove(second)  # the change touched both; a hand edit then lost one
        transaction.log({"at": to_utc_text(T0), "by": "anna", "what": "merge", "before": before})
    untouched = store.path.read_bytes()

    with pytest.raises(StoreError, match=f"#{second}"):
        undo(store)

    assert store.path.read_bytes() == untouched


def test_an_undo_that_cannot_be_written_changes_nothing_and_can_be_retried(
    store: Store,
) -> None:
    loop_id = add(store)
    change(store, loop_id, Kind.DONE, T0 + HOUR)
    untouched = store.path.read_bytes()
    # loopcloser refuses a read-only store by its mode bits, so this fails even as root.
    mode = stat.S_IMODE(store.path.stat().st_mode)
    store.path.chmod(0o400)
    try:
        with pytest.raises(StoreError):
            undo(store)
        assert store.path.read_bytes() == untouched
    finally:
        store.path.chmod(mode)

    assert undo(fresh(store)).what == f"done #{loop_id}"
    assert (fresh(store).get(loop_id) or {})["state"] == State.OPEN


def test_a_malformed_journal_entry_is_a_store_error(store: Store) -> None:
    add(store)
    with store.transaction() as transaction:
        transaction.log({"at": "yesterday", "by": "anna", "what": "x", "before": {"1": None}})

    with pytest.raises(StoreError, match="malformed"):
        undo(store)
