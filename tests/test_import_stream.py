"""import as a stream: a file read in chunks, new loops spooled and streamed into one write."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopcloser.core.documents import is_open
from loopcloser.core.errors import BadInput, StoreError
from loopcloser.core.importing import decode, decoded, opening, parse, read_rows
from loopcloser.storage.store import Store, index_path, read_index
from tests.conftest import Run
from tests.test_e2e import EXECUTABLE

Add = Callable[..., int]


def in_chunks(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def stored(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())


# --- reading in chunks --------------------------------------------------------------------


TRICKY_CSV = (
    "\ufeff\r\n"
    "sep=;\r\n"
    "Customer;Promise;Due;Tags\r\n"
    'Zoë Ünal;"call back\r\nabout the refund";2026-11-30;a;b\r\n'
    "\r\n"
    "Li Wei;warranty 💥;2026-12-01;\r"
    'ACME;"a ""quoted"" word";2026-12-02;vip\n'
    'Greta;"never closed;2026-12-03;\n'
)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 64])
def test_a_csv_read_in_chunks_of_any_size_reads_as_the_whole_file(size: int) -> None:
    data = TRICKY_CSV.encode()
    whole = parse("csv", decode(data, "crm.csv"), "crm.csv")
    first, text = opening(decoded(in_chunks(data, size), "crm.csv"), "crm.csv")
    assert first == "s"
    records = list(read_rows("csv", text, "crm.csv"))
    assert [record for record in records if record in whole.rows] == whole.rows
    assert [record for record in records if record in whole.problems] == whole.problems
    assert len(records) == len(whole.rows) + len(whole.problems) == 4


@pytest.mark.parametrize("size", [1, 3, 7])
def test_json_lines_read_in_chunks_keep_their_line_numbers(size: int) -> None:
    text = '{"a": "x\u2028y"}\n\n{"a": \n[1]\n{"b": "é"}\n'
    whole = parse("jsonl", text, "x.jsonl")
    chunks = in_chunks(text.encode(), size)
    records = list(read_rows("jsonl", opening(decoded(chunks, "x"), "x")[1], "x.jsonl"))
    assert [r.where.line for r in records] == [1, 3, 4, 5]
    assert [r for r in records if r in whole.rows] == whole.rows


def test_a_file_of_json_lines_with_no_loop_is_refused_with_the_hint_of_the_whole_file() -> None:
    text = json.dumps([{"customer": "M"}, {"customer": "L"}], indent=2)
    chunks = in_chunks(text.encode(), 4)
    with pytest.raises(BadInput) as refused:
        list(read_rows("jsonl", opening(decoded(chunks, "x"), "x")[1], "x.jsonl"))
    assert refused.value.hint == "it is one JSON array: use --format json"


JSON_ITEMS = [
    '{"customer": "Zoë", "n": [1, 2, {"x": "}, ]"}]}', "{}", "2", "-1.5e3", "12345", "null",
    "true", '"s,]"', "[1]", '"\\u00e9\\n"', '{"a": {"b": [{}]}}',
]  # fmt: skip


def as_a_whole(text: str) -> tuple[str, Any]:
    """What reading a JSON array whole gives: each item as a row or a problem, or the
    refusal of the file, as json.loads words it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        return "refused", f"is not valid JSON ({where}: {error.msg})"
    if not isinstance(data, list):
        return "refused", "not an array of loops"
    items = [item if isinstance(item, dict) else None for item in data]
    return "read", [(f"item {number}", item) for number, item in enumerate(items, 1)]


def in_pieces(text: str, size: int) -> tuple[str, Any]:
    """What the streamed reader gives for ``text`` coming ``size`` characters at a time
    (decoded() gathers the first 4 KiB: given straight, short texts are cut too)."""
    pieces = iter([text[start : start + size] for start in range(0, len(text), size)])
    try:
        records = list(read_rows("json", pieces, "x.json"))
    except BadInput as refused:
        return "refused", refused.message.removeprefix("x.json ")
    return "read", [(str(record.where), getattr(record, "fields", None)) for record in records]


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(st.sampled_from(JSON_ITEMS), max_size=6),
    separator=st.sampled_from([",", ", ", ",\n  ", " ,\r\n"]),
    ends=st.sampled_from([("[", "]"), ("[\n  ", "\n]\n"), (" \n[", "] ")]),
    damage=st.tuples(st.integers(0, 10**6), st.sampled_from(["", ",", "]", "[", "{", '"', "1"])),
    damaged=st.booleans(),
    size=st.sampled_from([1, 2, 3, 7, 64, 65536]),
)
def test_a_json_array_read_in_pieces_reads_as_the_whole_text(
    items: list[str], separator: str, ends: tuple[str, str], damage: tuple[int, str],
    damaged: bool, size: int,
) -> None:  # fmt: skip
    text = ends[0] + separator.join(items) + ends[1]
    if damaged:
        at = damage[0] % len(text)
        text = text[:at] + damage[1] + text[at + 1 :]
    if not text.strip():
        return  # an empty file is refused before any format is read
    whole, streamed = as_a_whole(text), in_pieces(text, size)
    if whole[0] == "read":
        assert streamed == ("read", [(where, item) for where, item in whole[1]])
    else:
        assert streamed[0] == "refused" and whole[1] in streamed[1]


@pytest.mark.parametrize(
    "text",
    [' \n\n{"a": 1}\n{"b": 2}', '\n  [{"a": 1} {"b": 2}]', "[\n  1,\n  2,\n]", "\n\n  42 x"],
)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_a_json_file_refused_in_pieces_is_refused_where_a_whole_read_says(
    text: str, size: int
) -> None:
    assert in_pieces(text, size)[1].startswith(as_a_whole(text)[1])


def test_a_json_array_is_read_an_item_at_a_time() -> None:
    """The first loop is planned while the rest of the file is still to come."""
    taken = 0

    def pieces() -> Any:
        nonlocal taken
        rest = ['{"customer": "L"},'] * 99 + ["{}]"]
        for piece in ["[", json.dumps({"customer": "Zoë"}), ",\n", *rest]:
            taken += 1
            yield piece

    records = read_rows("json", iter(pieces()), "x.json")
    first = next(records)
    assert first.where.item == 1 and taken < 10
    assert len(list(records)) == 100


@pytest.mark.parametrize("size", [1, 2, 4096])
def test_a_byte_that_is_not_utf8_deep_in_the_file_names_its_line_whatever_the_chunks(
    size: int,
) -> None:
    data = b"customer,promise,due\n" + "Zoë,call,2026-11-30\n".encode() * 500
    data += b"Li,caf\xe9,2026-11-30\n"
    with pytest.raises(BadInput, match="line 502 holds the byte 0xe9"):
        list(decoded(in_chunks(data, size), "crm.csv"))
    cut = "customer\nZoë".encode()[:-1]  # the file ends inside a character
    with pytest.raises(BadInput, match="line 2 holds the byte 0xc3"):
        list(decoded(in_chunks(cut, size), "crm.csv"))


def test_the_first_bytes_are_checked_even_when_they_come_in_small_chunks() -> None:
    data = b"customer,promise,due\n" * 10 + b"\x00"
    with pytest.raises(BadInput, match="NUL bytes"):
        list(decoded(in_chunks(data, 3), "crm.csv"))
    with pytest.raises(BadInput, match="is empty"):
        opening(decoded([b"\xef\xbb\xbf", b"  \n", b"\r\n"], "crm.csv"), "crm.csv")


# --- the spool and the streamed write ---------------------------------------------------


def test_spooled_documents_are_written_as_insert_many_writes_them(tmp_path: Path) -> None:
    documents = [
        {"n": n, "state": "open" if n % 2 else "closed", "text": "é\u2028"} for n in range(7)
    ]
    plain = Store(tmp_path / "plain.json", hot=is_open)
    streamed = Store(tmp_path / "streamed.json", hot=is_open)
    for store in (plain, streamed):
        with store.transaction() as transaction:
            transaction.insert_many([{"n": "old", "state": "open"}])
            transaction.log({"what": "first"})
    with plain.transaction() as transaction:
        ids = transaction.insert_many(documents)
        transaction.log({"what": "import", "before": dict.fromkeys(map(str, ids))})
    with streamed.transaction() as transaction:
        for place, document in enumerate(documents):
            transaction.spool().add(place, document)
        spooled = transaction.insert_spooled()
        transaction.log({"what": "import", "before": {}}, created=spooled)
    assert list(spooled) == ids == list(range(2, 9))
    tables = [stored(tmp_path / name) for name in ("plain.json", "streamed.json")]
    for table in tables:
        table["meta"]["1"].pop("generation")
    assert tables[0] == tables[1]
    assert read_index(tmp_path / "streamed.json") == read_index(tmp_path / "plain.json")
    assert sorted(read_index(tmp_path / "streamed.json") or {}) == [1, 3, 5, 7]


def test_spooled_documents_take_ids_in_the_order_of_their_places(tmp_path: Path) -> None:
    store = Store(tmp_path / "loops.json", hot=is_open)
    with store.transaction() as transaction:
        for place, name in [(30, "c"), (10, "a"), (1 << 60, "d"), (20, "b"), (10, "a2")]:
            transaction.spool().add(place, {"name": name, "state": "open"})
        transaction.insert_spooled()
    loops = stored(tmp_path / "loops.json")["loops"]
    assert [(key, doc["name"]) for key, doc in loops.items()] == [
        ("1", "a"), ("2", "a2"), ("3", "b"), ("4", "c"), ("5", "d"),
    ]  # fmt: skip
    index = json.loads(index_path(tmp_path / "loops.json").read_bytes())["loops"]
    assert index == loops
    assert Store(tmp_path / "loops.json").get(3) == {"name": "b", "state": "open"}


def test_a_document_the_store_cannot_hold_is_refused_as_it_is_spooled(tmp_path: Path) -> None:
    store = Store(tmp_path / "loops.json")
    with pytest.raises(StoreError, match="beyond 64 bits"), store.transaction() as transaction:
        transaction.spool().add(1, {"n": 2**70})
    assert not (tmp_path / "loops.json").exists()


def test_a_failed_streamed_write_leaves_the_store_and_its_folder_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "loops.json"
    store = Store(path, hot=is_open)
    with store.transaction() as transaction:
        transaction.insert({"n": 1, "state": "open"})
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(StoreError, match="No space left"), store.transaction() as transaction:
        transaction.spool().add(1, {"n": 2, "state": "open"})
        transaction.log({"what": "import"}, created=transaction.insert_spooled())
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="after its with-block"):
        transaction.spool()
    after = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    assert after == before  # no temporary copy, and the spool never had a name


def test_an_import_refused_past_its_first_chunk_leaves_the_store_as_it_was(
    run: Run, home: Path, add: Add
) -> None:
    add("Maria Rossi", "call back")
    before = (home / "loops.json").read_bytes()
    # Blank lines carry the bad byte past the first chunk read, so it is found while
    # the store is locked and the good row already spooled.
    sheet = home / "crm.csv"
    blank = b"\n" * (1 << 20)
    sheet.write_bytes(b"customer,promise,due\nLi Wei,warranty,2026-11-30\n" + blank + b"\xe9\n")
    result = run("import", str(sheet))
    assert result.code == 2
    assert f"line {3 + len(blank)} holds the byte 0xe9" in result.err
    assert (home / "loops.json").read_bytes() == before
    assert not [name for name in os.listdir(home) if name.endswith(".tmp")]


# --- the whole command ----------------------------------------------------------------------


def test_a_streamed_import_keeps_ids_from_the_file_and_undo_takes_it_back_whole(
    run: Run, home: Path, add: Add
) -> None:
    existing = add("Maria Rossi", "call back")
    lines = [
        {"id": 12, "customer": "C", "promise": "third", "due": "2026-12-01T10:00:00Z"},
        {"id": 3, "customer": "A", "promise": "first", "due": "2026-12-01T10:00:00Z"},
        {"customer": "D", "promise": "last", "due": "2026-12-01T10:00:00Z", "state": "closed"},
        {"id": 7, "customer": "B", "promise": "second", "due": "2026-12-01T10:00:00Z"},
    ]
    sheet = home / "crm.jsonl"
    sheet.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = run("import", str(sheet), "--json")
    assert result.code == 0, result.err
    summary = result.json()
    assert (summary["added_ids"], summary["updated_ids"]) == ([2, 3, 4, 5], [])
    loops = stored(home / "loops.json")["loops"]
    assert [loops[key]["promise"] for key in ("2", "3", "4", "5")] == [
        "first", "second", "third", "last",
    ]  # fmt: skip
    listed = json.loads(run("list", "--json").out)
    assert [loop["id"] for loop in listed] == [1, 2, 3, 4]  # the closed one is not listed
    assert run("import", str(sheet)).out.startswith("Imported 4 loops: 0 added, 0 updated, 4")
    assert run("undo").code == 0
    assert list(stored(home / "loops.json")["loops"]) == [str(existing)]
    assert [loop["id"] for loop in json.loads(run("list", "--json").out)] == [existing]


def test_strict_and_dry_run_spool_nothing_into_the_store(run: Run, home: Path) -> None:
    text = "customer,promise,due\n" + "".join(f"C{n},p,2026-11-30\n" for n in range(20))
    sheet = home / "crm.csv"
    sheet.write_text(text + "Li,p,someday\n", encoding="utf-8")
    assert run("import", str(sheet), "--dry-run").code == 2
    assert not (home / "loops.json").exists()
    assert run("import", str(sheet), "--strict").code == 2
    assert stored(home / "loops.json")["loops"] == {}  # the day's sweep was noted, no more


def fifty_megabytes(path: Path) -> int:
    """A CRM export of ~190-byte rows, 50 MB in all; returns how many rows."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["customer", "contact", "promise", "due", "owner", "tags", "ref", "state"])
        while file.tell() < 50 * 1024 * 1024:
            writer.writerow([
                f"Customer number {rows} Ltd", f"customer{rows}@example.com",
                f"call back about the refund of order {rows} and confirm the new delivery date"
                " with the warehouse", f"2026-12-{1 + rows % 28:02d}T10:00:00Z", "maria",
                "billing;vip", f"CRM-{rows}", ("open", "waiting", "done")[rows % 3],
            ])  # fmt: skip
            rows += 1
    return rows


@pytest.mark.slow
def test_a_50_mb_csv_imports_in_under_200_mb_of_memory(tmp_path: Path) -> None:
    import resource  # not on Windows

    sheet = tmp_path / "crm.csv"
    rows = fifty_megabytes(sheet)
    env = {**os.environ, "LOOPCLOSER_NOW": "2026-11-25T09:00:00Z"}
    env["LOOPCLOSER_CONFIG"] = str(tmp_path / "none.toml")
    store = tmp_path / "loops.json"
    result = subprocess.run(
        [str(EXECUTABLE), "import", str(sheet), "--store", str(store)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    # The largest child this test process has waited for: the import, unless an earlier
    # test ran a larger one (which could only fail this test, never pass it wrongly).
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Imported {rows:,} loops: {rows:,} added, 0 updated, 0 unchanged.\n"
    assert len(stored(store)["loops"]) == rows
    assert peak_kib < 200 * 1024, f"the import peaked at {peak_kib / 1024:.0f} MiB"
