"""The store's batch changes an import and its undo rely on: many loops in one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopcloser.storage.store import Store


def test_put_many_replaces_each_document_under_its_own_id(tmp_path: Path) -> None:
    store = Store(tmp_path / "loops.json")
    with store.transaction() as transaction:
        ids = transaction.insert_many([{"n": number} for number in range(5)])
    with store.transaction() as transaction:
        transaction.put_many({ids[3]: {"n": 30}, ids[0]: {"n": 0, "new": True}, ids[4]: {"n": 40}})
    documents = Store(tmp_path / "loops.json").documents()
    assert {loop_id: dict(doc) for loop_id, doc in documents.items()} == {
        ids[0]: {"n": 0, "new": True},
        ids[1]: {"n": 1},
        ids[2]: {"n": 2},
        ids[3]: {"n": 30},
        ids[4]: {"n": 40},
    }


def test_batch_changes_to_an_unknown_id_write_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "loops.json")
    with store.transaction() as transaction:
        (loop_id,) = transaction.insert_many([{"n": 1}])
    before = (tmp_path / "loops.json").read_bytes()
    for change in ("put_many", "remove_many"):
        with pytest.raises(ValueError, match="no document with id 99"), store.transaction() as tx:
            if change == "put_many":
                tx.put_many({loop_id: {"n": 2}, 99: {"n": 3}})
            else:
                tx.remove_many([loop_id, 99])
    assert (tmp_path / "loops.json").read_bytes() == before


def test_remove_many_removes_them_all_and_their_ids_are_never_reused(tmp_path: Path) -> None:
    store = Store(tmp_path / "loops.json")
    with store.transaction() as transaction:
        ids = transaction.insert_many([{"n": number} for number in range(4)])
    with store.transaction() as transaction:
        transaction.remove_many([ids[0], ids[2]])
        assert transaction.insert({"n": 9}) == ids[-1] + 1
    loops = json.loads((tmp_path / "loops.json").read_bytes())["loops"]
    assert sorted(loops) == [str(ids[1]), str(ids[3]), str(ids[-1] + 1)]
