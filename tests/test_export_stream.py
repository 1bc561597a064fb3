"""Every loop read a document at a time: the store file streamed, finished loops read
straight from their documents, and the pieces of an export kept until their order is known."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopcloser.core.documents import load
from loopcloser.core.errors import StoreError
from loopcloser.core.finished import finished_json
from loopcloser.core.model import derive
from loopcloser.render.tables import loop_json
from loopcloser.storage.store import Scratch, read_tables, stream_documents
from tests.test_bench import generate

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ROME = ZoneInfo("Europe/Rome")
GOLDEN = Path(__file__).with_name("golden") / "export"
TABLES, _ = generate.documents(400, seed=3)
"""Two years of an agent's work: 400 loops, most closed, each with its history."""


def streamed(path: Path) -> dict[int, Any]:
    """The documents a streamed read gives, the later of a repeated id winning."""
    return dict(stream_documents(path, path))


def whole(path: Path) -> dict[int, Any]:
    return {int(key): doc for key, doc in read_tables(path)["loops"].items()}


# --- the store file, a document at a time ----------------------------------------------------


@pytest.mark.parametrize(
    "write",
    [
        orjson.dumps,
        lambda tables: json.dumps(tables, indent=2).encode(),  # a hand-edited store
        lambda tables: json.dumps(tables, ensure_ascii=False, separators=(" , ", " : ")).encode(),
        lambda tables: orjson.dumps({"journal": tables["journal"], **tables}),  # meta not first
        lambda tables: b"\xef\xbb\xbf" + orjson.dumps(tables),  # saved by an editor
        lambda tables: json.dumps(tables).encode("utf-16"),
    ],
    ids=["as-written", "indented", "spaced", "meta-last", "byte-order-mark", "utf-16"],
)
def test_a_streamed_read_gives_what_a_whole_read_gives(tmp_path: Path, write: Any) -> None:
    path = tmp_path / "loops.json"
    path.write_bytes(write(TABLES))
    assert streamed(path) == whole(path) and len(whole(path)) == 400


def test_what_orjson_refuses_or_splits_wrongly_is_read_all_the_same(tmp_path: Path) -> None:
    loops = {
        "1": {"customer": "lone \ud800 surrogate", "n": 1},
        "2": {"nested": {"3": {"a": "}"}, "4": {}}, "text": '},"5":{'},  # looks like a member end
        "10": {"last": True},
    }
    text = json.dumps({"meta": {"1": {"schema_version": 1}}, "loops": loops, "journal": {}})
    path = tmp_path / "loops.json"
    path.write_text(text, encoding="utf-8")
    assert streamed(path) == {int(key): doc for key, doc in loops.items()}


def test_a_repeated_id_comes_twice_and_the_later_wins(tmp_path: Path) -> None:
    path = tmp_path / "loops.json"
    path.write_bytes(b'{"meta":{"1":{}},"loops":{"1":{"a":1},"\\u0031":{"a":2}}}')
    assert list(stream_documents(path, path)) == [(1, {"a": 1}), (1, {"a": 2})]
    assert streamed(path) == whole(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "is empty"),
        (b"[1, 2]", "is not a JSON object"),
        (b'{"meta": {"1": {"schema_version": 99}}, "loops": {}}', "newer loopcloser"),
        (b'{"loops": {"01": {}}}', "has a malformed loops table"),
        (b'{"loops": {"1": 3}}', "has a malformed loops table"),
        (b'{"loops": {"1": {"a": 1}, "2": {"a": 2}', "is not valid JSON"),
        (b'{"loops": {"1": {"a": 1}}} trailing', "is not valid JSON"),
        (b'{"journal": [], "loops": {}}', "has a malformed journal table"),
        (b'{"loops": {"1": {"a": "\xff"}}}', "is not valid JSON"),
    ],
)
def test_a_file_that_is_no_store_is_refused_as_a_whole_read_refuses_it(
    tmp_path: Path, text: bytes, message: str
) -> None:
    path = tmp_path / "loops.json"
    path.write_bytes(text)
    with pytest.raises(StoreError) as whole_read:
        whole(path)
    with pytest.raises(StoreError) as stream_read:
        streamed(path)
    assert message in whole_read.value.message
    # Where the fault is may be said a little differently: the rest is the same words.
    where = re.compile(r" \(line [0-9]+, column [0-9]+\)")
    assert where.sub("", stream_read.value.message) == where.sub("", whole_read.value.message)
    assert stream_read.value.hint == whole_read.value.hint


def test_a_missing_file_has_no_documents(tmp_path: Path) -> None:
    assert streamed(tmp_path / "none.json") == {}


@settings(max_examples=60, deadline=None)
@given(
    documents=st.dictionaries(
        st.integers(1, 10**6),
        st.dictionaries(
            st.text(max_size=5),
            st.recursive(
                st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=8),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["1", "22", "x", "}"]), inner, max_size=3)
                ),
                max_leaves=8,
            ),
            max_size=4,
        ),
        max_size=6,
    ),
    indent=st.sampled_from([None, 1]),
)
def test_any_documents_stream_back_as_they_were(
    tmp_path_factory: pytest.TempPathFactory, documents: dict[int, Any], indent: int | None
) -> None:
    path = tmp_path_factory.mktemp("store") / "loops.json"
    tables = {"meta": {"1": {}}, "loops": {str(key): doc for key, doc in documents.items()}}
    path.write_text(json.dumps(tables, indent=indent), encoding="utf-8")
    assert streamed(path) == documents


# --- a finished loop straight from its document ----------------------------------------------


def through_the_model(loop_id: int, document: dict[str, Any]) -> dict[str, Any]:
    loop = load(loop_id, document)
    return loop_json(loop, derive(loop, NOW, ROME), with_events=True)


def golden_documents() -> list[tuple[int, dict[str, Any]]]:
    found = []
    for name in ("store.json", "store.archive.json"):
        path = GOLDEN / name
        found += list(stream_documents(path, path))
    return found


def test_a_finished_loop_read_from_its_document_is_what_the_model_makes() -> None:
    pairs = [(int(key), doc) for key, doc in TABLES["loops"].items()] + golden_documents()
    read = 0
    for loop_id, document in pairs:
        fast = finished_json(loop_id, document)
        if fast is not None:
            read += 1
            assert fast == through_the_model(loop_id, document), loop_id
    finished = [doc for _, doc in pairs if doc["state"] in ("closed", "cancelled")]
    assert read >= len(finished) - 5, "nearly every finished loop is read straight"


def test_loops_still_open_are_left_to_the_model() -> None:
    active = [(int(key), doc) for key, doc in TABLES["loops"].items() if doc["state"] == "open"]
    assert active and all(finished_json(loop_id, doc) is None for loop_id, doc in active)


CLOSED = [(int(key), doc) for key, doc in TABLES["loops"].items() if doc["state"] == "closed"]
ODD_VALUES = st.sampled_from(
    [None, "", 0, -1, 10**15, 1.5, True, [], {}, [None], {"party": "IT", "until": None},
     "2026-11-25T09:00:00Z", "2026-11-25T09:00:00.5Z", "2026-11-25 09:00:00Z",
     "2026-02-30T09:00:00Z", "2026-11-25T10:00:00+01:00", "２０２６-11-25T09:00:00Z",
     "closed", "cancelled", "open", "created", "contact", "rescheduled", "late"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_finished_document_edited_anyhow_is_read_as_the_model_reads_it_or_left_to_it(
    data: st.DataObject,
) -> None:
    """Whatever a hand edit did to a document, reading it straight never says other than the
    model: it says the same, or leaves the document to the model."""
    loop_id, original = data.draw(st.sampled_from(CLOSED))
    document = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 3))):
        target: Any = document
        path: list[Any] = []
        while (
            isinstance(target, (dict, list)) and target and (not path or data.draw(st.booleans()))
        ):
            key = data.draw(
                st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target)))
            )
            path.append(key)
            target = target[key]
        if not path:
            continue
        parent: Any = document
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(ODD_VALUES))  # later edits may go in
    fast = finished_json(loop_id, document)
    if fast is None:
        return
    assert fast == through_the_model(loop_id, document)


# --- the pieces of an export, until their order is known -------------------------------------


@pytest.mark.parametrize("in_memory", [True, False])
def test_pieces_come_back_in_any_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_memory: bool
) -> None:
    from loopcloser.storage import store

    if not in_memory:
        monkeypatch.setattr(store, "SCRATCH_IN_MEMORY", 100)
        monkeypatch.setattr(store, "SCRATCH_BATCH", 30)
    scratch = Scratch(tmp_path)
    pieces = [f"piece {number} ".encode() * (number % 4) for number in range(50)]
    assert [scratch.add(piece) for piece in pieces] == list(range(50))
    order = sorted(range(50), key=lambda number: (number * 7) % 50)
    assert list(scratch.pieces(order)) == [pieces[number] for number in order]
    scratch.close()
    assert list(tmp_path.iterdir()) == [], "a file without a name: nothing to clean up"


def closed_loop() -> tuple[int, dict[str, Any]]:
    """A loop rescheduled without telling, told at a contact, closed: every rule of terms."""
    from loopcloser.core.model import Event, Kind, apply, creation, to_document

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    loop = apply(None, creation(
        uid="00000000-0000-4000-8000-000000000001", customer="Zoë", promise="call back",
        owner="anna", due=at("2026-11-05T10:00:00Z"), at=at("2026-11-01T08:00:00Z"),
    ))  # fmt: skip
    moved, moved_again = {"due": "2026-11-09T10:00:00Z"}, {"due": "2026-11-12T10:00:00Z"}
    for kind, moment, extra in [
        (Kind.RESCHEDULED, "2026-11-04T08:00:00Z", {"told": False, "changes": moved}),
        (Kind.CONTACT, "2026-11-06T08:00:00Z", {"text": "told her", "via": "chat"}),
        (Kind.RESCHEDULED, "2026-11-07T08:00:00Z", {"told": True, "changes": moved_again}),
        (Kind.CLOSED, "2026-11-10T08:00:00Z", {"text": "done", "via": "phone"}),
    ]:
        loop = apply(loop, Event(kind=kind, at=at(moment), by="anna", **extra))  # type: ignore[arg-type]
    return 7, to_document(loop)


def edit(path: str, value: Any) -> Any:
    """An edit of a document: ``events.1.text`` set to ``value`` (``DELETE`` removes it)."""

    def edited(document: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        target: Any = document
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value

    return edited


DELETE = object()


def both(*edits: Any) -> Any:
    """Edits made one after the other."""

    def edited(document: dict[str, Any]) -> None:
        for change in edits:
            change(document)

    return edited


LEFT_TO_THE_MODEL = {
    "a null in an event": edit("events.1.text", None),
    "a moment with a space": edit("events.2.at", "2026-11-06 08:00:00Z"),
    "a moment with an offset": edit("events.2.at", "2026-11-06T09:00:00+01:00"),
    "a moment with a fraction": edit("created", "2026-11-01T08:00:00.5Z"),
    "a day that is not": edit("events.4.at", "2026-11-31T08:00:00Z"),
    "no changes written as {}": edit("events.2.changes", {}),
    "an unknown key in an event": edit("events.2.mood", "fine"),
    "a key that is not text": edit("events.2.key", 3),
    "no author": edit("events.2.by", DELETE),
    "an unknown kind": edit("events.2.kind", "chat"),
    "a wait left over": edit("waiting_on", {"party": "IT", "until": None}),
    "no contact field": edit("contact", DELETE),
    "tags that are not a list": edit("tags", "vip"),
    "a cadence too long to be one": edit("update_every", 10**15),
    "a new due in another form": edit("events.3.changes.due", "2026-11-12T11:00:00+01:00"),
}
READ_STRAIGHT = {
    "as stored": edit("ref", None),
    "cancelled": edit("state", "cancelled"),
    "the telling reschedule void": edit("events.3.void", "late"),
    "the contact void": edit("events.2.void", "conflict"),
    "no closing event": edit("events.4.kind", "note"),
    "no due in the creation": edit("events.0.changes.due", DELETE),
    "synced": edit("sent", 5),
    "told at the very due": edit("events.4.at", "2026-11-05T10:00:00Z"),
    "a new due heard at the very due": both(
        edit("events.2.at", "2026-11-05T10:00:00Z"), edit("events.4.at", "2026-11-12T10:00:00Z")
    ),
}


@pytest.mark.parametrize("change", LEFT_TO_THE_MODEL.values(), ids=list(LEFT_TO_THE_MODEL))
def test_a_document_out_of_the_stores_form_is_left_to_the_model(change: Any) -> None:
    loop_id, document = closed_loop()
    assert finished_json(loop_id, document) == through_the_model(loop_id, document)
    change(document)
    assert finished_json(loop_id, document) is None


@pytest.mark.parametrize("change", READ_STRAIGHT.values(), ids=list(READ_STRAIGHT))
def test_a_finished_document_in_form_is_read_as_the_model_reads_it(change: Any) -> None:
    loop_id, document = closed_loop()
    change(document)
    fast = finished_json(loop_id, document)
    assert fast is not None and fast == through_the_model(loop_id, document)
