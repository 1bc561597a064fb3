"""The store keeps documents safe: atomic writes, one writer at a time, ids never reused."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from loopcloser.core.errors import BadInput, StoreError
from loopcloser.storage import store as store_module
from loopcloser.storage.store import SCHEMA_VERSION, Store
from tests.conftest import ran_without_root_powers

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_store_worker.py")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "loops.json"


def insert(path: Path, *docs: dict[str, Any]) -> list[int]:
    with Store(path).transaction() as transaction:
        return transaction.insert_many(list(docs))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def start_worker(*args: str) -> subprocess.Popen[str]:
    pythonpath = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


# Reading and writing


def test_inserted_document_is_found_after_reopening(path: Path) -> None:
    [loop_id] = insert(path, {"customer": "Ada", "promise": "call back"})
    assert Store(path).get(loop_id) == {"customer": "Ada", "promise": "call back"}
    assert Store(path).documents() == {loop_id: {"customer": "Ada", "promise": "call back"}}


def test_file_layout_has_loops_and_meta_tables(path: Path) -> None:
    insert(path, {"a": 1}, {"b": 2})
    data = json.loads(path.read_bytes())
    generation = data["meta"]["1"].pop("generation")
    assert re.fullmatch(r"[0-9a-f]{32}", generation), "a new generation per write"
    assert data == {
        "loops": {"1": {"a": 1}, "2": {"b": 2}},
        "meta": {"1": {"schema_version": SCHEMA_VERSION, "next_id": 3}},
    }
    assert path.read_bytes().startswith(b'{"meta":'), "meta first, for the index check"


def test_missing_file_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "loops.json"
    store = Store(path)
    assert store.documents() == {}
    assert store.get(1) is None
    assert not (tmp_path / "not").exists()


def test_insert_many_allocates_consecutive_ids(path: Path) -> None:
    assert insert(path, {"n": 1}, {"n": 2}, {"n": 3}) == [1, 2, 3]
    assert insert(path, {"n": 4}) == [4]
    assert insert(path) == []


def test_transaction_sees_its_own_changes(path: Path) -> None:
    with Store(path).transaction() as transaction:
        loop_id = transaction.insert({"n": 1})
        assert transaction.get(loop_id) == {"n": 1}
        assert transaction.documents() == {loop_id: {"n": 1}}


def test_put_replaces_the_whole_document(path: Path) -> None:
    [loop_id] = insert(path, {"state": "open", "note": "old"})
    with Store(path).transaction() as transaction:
        transaction.put(loop_id, {"state": "done"})
    assert Store(path).get(loop_id) == {"state": "done"}


def test_put_to_an_unknown_id_is_refused_and_writes_nothing(path: Path) -> None:
    insert(path, {"n": 1})
    before = path.read_bytes()
    with pytest.raises(ValueError, match="no document with id 7"), Store(path).transaction() as t:
        t.put(7, {"n": 7})
    assert path.read_bytes() == before


def test_string_ids_are_refused_instead_of_silently_ignored(path: Path) -> None:
    insert(path, {"n": 1})
    with pytest.raises(TypeError), Store(path).transaction() as transaction:
        transaction.put("1", {"n": 2})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Store(path).get("1")  # type: ignore[arg-type]


def test_changing_a_returned_document_does_not_change_the_store(path: Path) -> None:
    [loop_id] = insert(path, {"state": "open"})
    with Store(path).transaction() as transaction:
        transaction.documents()[loop_id]["state"] = "tampered"
        transaction.get(loop_id)["state"] = "tampered"  # type: ignore[index]
        transaction.insert({"n": 2})  # so the transaction does write
    assert Store(path).get(loop_id) == {"state": "open"}


def test_inserted_document_is_copied_so_later_caller_changes_do_not_leak(path: Path) -> None:
    doc: dict[str, Any] = {"notes": ["first"]}
    with Store(path).transaction() as transaction:
        loop_id = transaction.insert(doc)
        doc["notes"].append("second")
    assert Store(path).get(loop_id) == {"notes": ["first"]}


def test_transaction_cannot_be_used_after_its_block(path: Path) -> None:
    with Store(path).transaction() as transaction:
        pass
    with pytest.raises(RuntimeError):
        transaction.insert({"n": 1})


@pytest.mark.parametrize(
    "doc", [{"n": float("nan")}, {"s": {1, 2}}, {"lone": "\ud800"}], ids=["nan", "set", "surrogate"]
)
def test_document_that_is_not_json_is_refused_and_nothing_written(
    path: Path, doc: dict[str, Any]
) -> None:
    insert(path, {"n": 1})
    before = path.read_bytes()
    with pytest.raises(StoreError, match="cannot be stored"), Store(path).transaction() as t:
        t.insert({"n": 2})
        t.insert(doc)
    assert path.read_bytes() == before


def test_lone_surrogate_already_in_the_file_survives_a_write(path: Path) -> None:
    path.write_bytes(b'{"loops": {"1": {"name": "\\ud800"}}}')
    insert(path, {"name": "Ada"})
    assert Store(path).documents() == {1: {"name": "\ud800"}, 2: {"name": "Ada"}}


# Ids


def test_ids_are_never_reused_after_the_highest_document_is_removed(path: Path) -> None:
    insert(path, {"n": 1}, {"n": 2}, {"n": 3})
    data = json.loads(path.read_bytes())
    del data["loops"]["3"]  # TinyDB alone would hand out 3 again (max id + 1)
    path.write_text(json.dumps(data))
    assert insert(path, {"n": 4}) == [4]


def test_ids_skip_past_documents_the_counter_does_not_know(path: Path) -> None:
    meta = {"1": {"schema_version": 1, "next_id": 2}}
    path.write_text(json.dumps({"loops": {"1": {}, "5": {}}, "meta": meta}))
    assert insert(path, {"n": 6}) == [6]


def test_file_without_meta_gets_one_on_first_write(path: Path) -> None:
    path.write_text(json.dumps({"loops": {"2": {"n": 2}}}))
    assert insert(path, {"n": 3}) == [3]
    meta = json.loads(path.read_bytes())["meta"]["1"]
    assert (meta["schema_version"], meta["next_id"]) == (1, 4)


# One read, one write


def test_transaction_reads_once_and_writes_once(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert(path, {"n": 1})
    calls = {"read": 0, "write": 0}
    real_read, real_write = Path.read_bytes, store_module.write_atomically

    def counting_read(self: Path) -> bytes:
        calls["read"] += 1
        return real_read(self)

    def counting_write(target: Path, data: bytes) -> None:
        calls["write"] += 1
        real_write(target, data)

    monkeypatch.setattr(Path, "read_bytes", counting_read)
    monkeypatch.setattr(store_module, "write_atomically", counting_write)
    store = Store(path)
    with store.transaction() as transaction:
        transaction.documents()
        new_id = transaction.insert({"n": 2})
        transaction.insert_many([{"n": 3}, {"n": 4}])
        transaction.put(1, {"n": 1.5})
        transaction.get(new_id)
    assert store.get(new_id) == {"n": 2}  # the committed state serves later reads
    assert calls == {"read": 1, "write": 1}


def test_transaction_without_changes_writes_nothing(path: Path) -> None:
    insert(path, {"n": 1})
    before = path.stat()
    with Store(path).transaction() as transaction:
        transaction.documents()
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_failed_transaction_writes_nothing(path: Path) -> None:
    insert(path, {"n": 1})
    before = path.read_bytes()
    with pytest.raises(KeyError), Store(path).transaction() as transaction:
        transaction.insert({"n": 2})
        transaction.put(1, {"n": "changed"})
        raise KeyError("boom")
    assert path.read_bytes() == before
    assert insert(path, {"n": 3}) == [2]  # the lock was released and no id was consumed


def test_failed_first_transaction_creates_no_store(path: Path) -> None:
    with pytest.raises(KeyError), Store(path).transaction() as transaction:
        transaction.insert({"n": 1})
        raise KeyError("boom")
    assert not path.exists()


def test_store_reads_the_file_once_and_a_new_store_reads_afresh(path: Path) -> None:
    reader = Store(path)
    assert reader.documents() == {}
    insert(path, {"n": 1})
    assert reader.documents() == {}
    assert Store(path).documents() == {1: {"n": 1}}


# Permissions


def test_new_store_and_lock_files_are_private_and_new_directory_is_0700(tmp_path: Path) -> None:
    path = tmp_path / "agent" / "loops.json"
    insert(path, {"customer": "Ada"})
    assert mode_of(path) == 0o600
    assert mode_of(path.with_name("loops.json.lock")) == 0o600
    assert mode_of(path.parent) == 0o700


def test_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "loops-2026.json"
    insert(target, {"n": 0})
    link = tmp_path / "loops.json"
    link.symlink_to(target.name)
    insert(link, {"n": 1})
    assert link.is_symlink()
    assert Store(target).get(2) == {"n": 1}


def test_a_symlink_out_of_the_store_folder_is_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / "synced" / "loops.json"
    target.parent.mkdir()
    insert(target, {"n": 0})
    before = target.read_bytes()
    link = tmp_path / "loops.json"
    link.symlink_to(target)
    with pytest.raises(StoreError, match="outside its folder"):
        insert(link, {"n": 1})
    assert target.read_bytes() == before
    assert not (tmp_path / "loops.json.lock").exists()


# Files that cannot be read are reported and left alone


def truncated_real_store(path: Path) -> bytes:
    insert(path, {"customer": "Ada", "promise": "refund"}, {"customer": "Bob"})
    return path.read_bytes()[:-7]


BAD_STORES = {
    "not json": lambda path: b"customer: Ada\n{",
    "truncated": truncated_real_store,
    "json array": lambda path: b"[1, 2, 3]",
    "empty": lambda path: b"",
    "not utf-8": lambda path: b'{"loops": {"1": {"name": "\xff"}}}',
    "loops not an object": lambda path: b'{"loops": [1]}',
    "id not a number": lambda path: b'{"loops": {"one": {}}}',
    "meta not an object": lambda path: b'{"loops": {}, "meta": {"1": 3}}',
    "next_id not a number": lambda path: b'{"meta": {"1": {"schema_version": 1, "next_id": "2"}}}',
}


@pytest.mark.parametrize("make", BAD_STORES.values(), ids=BAD_STORES.keys())
def test_unreadable_store_is_reported_and_left_byte_for_byte(path: Path, make: Any) -> None:
    content = make(path)
    path.write_bytes(content)
    with pytest.raises(StoreError, match="left untouched") as raised:
        Store(path).documents()
    assert str(path) in raised.value.message
    with pytest.raises(StoreError), Store(path).transaction() as transaction:
        transaction.insert({"n": 1})
    assert path.read_bytes() == content
    assert leftovers(path.parent) == []


def test_invalid_json_message_says_where(path: Path) -> None:
    path.write_text('{"loops": {\n  "1": {"a": 1,}\n}}')
    with pytest.raises(StoreError, match=r"not valid JSON \(line 2, column 16\)"):
        Store(path).documents()


def test_store_from_a_newer_version_asks_for_an_upgrade(path: Path) -> None:
    content = b'{"loops": {}, "meta": {"1": {"schema_version": 2, "next_id": 1}}}'
    path.write_bytes(content)
    with pytest.raises(
        StoreError, match=r"newer loopcloser \(schema 2; this version reads 1\)"
    ) as e:
        Store(path).documents()
    assert e.value.hint == "upgrade loopcloser"
    with pytest.raises(StoreError, match="newer loopcloser"), Store(path).transaction():
        pass
    assert path.read_bytes() == content


def test_newer_schema_is_reported_even_when_the_rest_of_meta_changed(path: Path) -> None:
    path.write_bytes(b'{"meta": {"1": {"schema_version": 3, "next_id": "a-uuid"}}}')
    with pytest.raises(StoreError, match="newer loopcloser"):
        Store(path).documents()


def test_store_path_that_is_a_directory_is_reported(path: Path) -> None:
    path.mkdir()
    with pytest.raises(StoreError, match="cannot be read"):
        Store(path).documents()
    with pytest.raises(StoreError), Store(path).transaction():
        pass


def test_unreadable_store_file_is_reported(path: Path, request: pytest.FixtureRequest) -> None:
    if ran_without_root_powers(request):  # root reads any file whatever its mode
        return
    insert(path, {"n": 1})
    path.chmod(0)
    try:
        with pytest.raises(StoreError, match="Permission denied"):
            Store(path).documents()
    finally:
        path.chmod(0o600)


def test_read_only_directory_is_reported_and_old_file_kept(
    path: Path, request: pytest.FixtureRequest
) -> None:
    if ran_without_root_powers(request):  # root writes in any directory whatever its mode
        return
    insert(path, {"n": 1})
    before = path.read_bytes()
    path.parent.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="Permission denied"), Store(path).transaction() as t:
            t.insert({"n": 2})
    finally:
        path.parent.chmod(0o700)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_disk_full_during_write_keeps_old_file_and_leaves_no_temp_file(
    path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    insert(path, {"n": 1})
    before = path.read_bytes()

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(StoreError, match="No space left on device"), Store(path).transaction() as t:
        t.insert({"n": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


# Locking and other processes


def test_lock_timeout_comes_from_the_environment(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOOPCLOSER_LOCK_TIMEOUT", raising=False)
    assert Store(path).lock_timeout == 10
    monkeypatch.setenv("LOOPCLOSER_LOCK_TIMEOUT", "2.5")
    assert Store(path).lock_timeout == 2.5
    assert Store(path, lock_timeout=0).lock_timeout == 0
    monkeypatch.setenv("LOOPCLOSER_LOCK_TIMEOUT", "soon")
    with pytest.raises(BadInput, match="LOOPCLOSER_LOCK_TIMEOUT"):
        Store(path)


@pytest.fixture
def lock_holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    holder = start_worker("hold", str(path))
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        yield holder
    finally:
        holder.communicate(timeout=30)  # closing its stdin lets it finish


def test_lock_held_by_another_process_times_out_naming_the_holder(
    path: Path, lock_holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(StoreError, match=rf"is locked by pid {lock_holder.pid} since "):  # noqa: SIM117
        with Store(path, lock_timeout=0.5).transaction():
            pytest.fail("got the lock another process holds")
    assert time.monotonic() - started < 2


def test_readers_do_not_wait_for_the_lock(path: Path, lock_holder: subprocess.Popen[str]) -> None:
    started = time.monotonic()
    assert Store(path, lock_timeout=30).documents() == {}
    assert time.monotonic() - started < 1


def test_two_processes_inserting_at_once_lose_nothing(path: Path) -> None:
    workers = [start_worker("insert", str(path), "100", name) for name in ("a", "b")]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        worker.communicate(timeout=120)
        assert worker.returncode == 0
    documents = Store(path).documents()
    assert sorted(documents) == list(range(1, 201))
    for name in ("a", "b"):
        numbers = [doc["number"] for doc in documents.values() if doc["worker"] == name]
        assert numbers == list(range(100))


# Round trips

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(doc=st.dictionaries(st.text(), JSON_VALUES, max_size=6))
@example(doc={"emoji": "👩🏽‍💻🎉", "rtl": "שלום עליכם مرحبا", "controls": "\x00\x01\t\n\r\x1b\x7f"})
@example(doc={"\x00key\u202e": ["\u2028", "\ufeff", "\U0010ffff", "\\", '"']})
def test_any_json_document_round_trips_exactly(
    tmp_path_factory: pytest.TempPathFactory, doc: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("roundtrip") / "loops.json"
    [loop_id] = insert(path, doc)
    back = Store(path).get(loop_id)
    # json.dumps tells True from 1 and 1.0 from 1, which == does not.
    assert json.dumps(back) == json.dumps(doc)


@pytest.mark.parametrize("number", [-(2**63) - 1, 2**64, 10**40])
def test_an_integer_beyond_64_bits_is_refused_before_anything_is_written(
    tmp_path: Path, number: int
) -> None:
    path = tmp_path / "loops.json"
    insert(path, {"n": 1})
    before = path.read_bytes()
    with pytest.raises(StoreError, match="64 bits"), Store(path).transaction() as transaction:
        transaction.insert({"nested": [{"n": number}], "phone": "+39 1234567890123456789"})
    assert path.read_bytes() == before


# The index of open loops beside the store


def open_only(document: dict[str, object]) -> bool:
    return document.get("state") == "open"


def test_the_index_answers_for_the_open_loops_until_the_store_changes(path: Path) -> None:
    with Store(path, hot=open_only).transaction() as transaction:
        transaction.insert_many([{"state": "open"}, {"state": "closed"}, {"state": "open"}])
    index = path.with_name(f".{path.name}.open")
    assert index.exists() and index.stat().st_mode & 0o777 == 0o600
    assert Store(path, hot=open_only).hot_documents() == {
        1: {"state": "open"},
        3: {"state": "open"},
    }
    # Another writer (without an index) changes the store: the index is no longer current.
    with Store(path).transaction() as transaction:
        transaction.put(1, {"state": "closed"})
    assert Store(path, hot=open_only).hot_documents() == {3: {"state": "open"}}


def test_the_index_keeps_each_open_loops_facts_and_a_write_works_out_only_the_changed(
    path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from loopcloser.core.documents import is_open
    from loopcloser.core.model import facts, facts_to_json, from_document, to_document
    from tests.factories import made_loop

    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    loops = [made_loop(number, monday + timedelta(days=number), monday) for number in (1, 2, 3)]
    with Store(path, hot=is_open).transaction() as transaction:
        transaction.insert_many([to_document(loop) for loop in loops])
    index = path.with_name(f".{path.name}.open")

    def kept() -> dict[str, Any]:
        return dict(json.loads(index.read_bytes())["facts"])

    written = kept()
    for key, document in json.loads(index.read_bytes())["loops"].items():
        assert written[key][1] == facts_to_json(facts(from_document(int(key), document)))
    # Facts the next write finds beside an unchanged loop are the ones it keeps: planted
    # ones survive it, while the loop it changes has its facts worked out anew.
    planted = {key: [entry[0], ["planted"]] for key, entry in written.items()}
    text = index.read_bytes().replace(
        json.dumps(written, separators=(",", ":")).encode(),
        json.dumps(planted, separators=(",", ":")).encode(),
    )
    assert text != index.read_bytes()
    index.write_bytes(text)
    with Store(path, hot=is_open).transaction() as transaction:
        changed = {**transaction.get(2), "promise": "send the corrected invoice", "tags": ["vip"]}
        transaction.put(2, changed)
    now = kept()
    assert now["1"] == planted["1"] and now["3"] == planted["3"]
    assert now["2"][1] == written["2"][1] and now["2"][0] != written["2"][0]


def test_a_stale_or_broken_index_is_never_believed(path: Path) -> None:
    with Store(path, hot=open_only).transaction() as transaction:
        transaction.insert({"state": "open"})
    index = path.with_name(f".{path.name}.open")
    index.write_text('{"generation": "0", "loops": {"9": {"state": "open"}}}')
    assert Store(path, hot=open_only).hot_documents() == {1: {"state": "open"}}
    index.write_text("not json")
    assert Store(path, hot=open_only).hot_documents() == {1: {"state": "open"}}
    assert json.loads(index.read_bytes())["loops"] == {"1": {"state": "open"}}, "rebuilt"
