"""Loops finished long ago move to an archive beside the store, and are still found there."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loopcloser.core.documents import finished_before
from loopcloser.core.errors import StoreError
from loopcloser.storage.store import Store, archive_path
from tests.conftest import Run, archive_files, archived_loops

OLD = "2026-10-01T09:00:00Z"  # 55 days before the pinned now
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOMORROW = "2026-11-26T09:00:00Z"


def file_loops(path: Path) -> dict[str, Any]:
    loops: dict[str, Any] = json.loads(path.read_bytes())["loops"]
    return loops


def added(run: Run, customer: str, promise: str, now: str | None = None) -> int:
    result = run("add", customer, promise, "--due", "fri 12:00", now=now)
    assert result.code == 0, result.err
    return int(result.out)


@pytest.fixture
def old_closed(run: Run) -> int:
    """A loop promised and closed in October."""
    loop_id = added(run, "Maria Rossi", "call back about the refund", now=OLD)
    for args in (("done", str(loop_id)), ("close", str(loop_id), "told her", "--via", "phone")):
        assert run(*args, now=OLD).code == 0
    return loop_id


def test_the_first_change_of_a_day_moves_old_finished_loops_to_the_archive(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    assert str(old_closed) in file_loops(home / "loops.json")
    fresh = add("Li Wei", "check the warranty")  # today: the day's first change

    assert file_loops(home / "loops.json").keys() == {str(fresh)}
    archive = home / "loops.archive" / "2026-10.json"  # the month it was closed in
    assert archive_files(home / "loops.json") == [archive]
    archived = file_loops(archive)
    assert archived.keys() == {str(old_closed)}
    assert archived[str(old_closed)]["state"] == "closed"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
    # Ids are never handed out twice, archive or not.
    assert add("Jonas Berg", "confirm the shipping") == fresh + 1


def test_recent_and_open_loops_stay_in_the_store(
    run: Run, add: Callable[..., int], home: Path
) -> None:
    opened = add("Maria Rossi", "call back")
    recent = add("Li Wei", "send the form")
    run("done", str(recent))
    run("close", str(recent), "sent", "--via", "email")
    old_open = added(run, "Jonas Berg", "chase the courier", now=OLD)  # open, old events only

    added(run, "Hotel Miramare", "confirm the booking", now=TOMORROW)

    kept = file_loops(home / "loops.json").keys()
    assert {str(opened), str(recent), str(old_open)} <= kept
    assert archive_files(home / "loops.json") == []


def test_the_sweep_runs_once_a_day(run: Run, add: Callable[..., int], home: Path) -> None:
    first = add("Maria Rossi", "call back")
    run("done", str(first))
    run("close", str(first), "told", "--via", "phone")
    meta = json.loads((home / "loops.json").read_bytes())["meta"]["1"]
    assert meta["swept"] == "2026-11-25"
    assert run("config", "set", "archive_after", "1h").code == 0

    # Later the same day the loop is old enough, but the day's sweep has run.
    added(run, "Li Wei", "send the form", now="2026-11-25T15:00:00Z")
    assert str(first) in file_loops(home / "loops.json")
    added(run, "Jonas Berg", "chase the courier", now=TOMORROW)  # a new day
    assert str(first) not in file_loops(home / "loops.json")
    assert str(first) in archived_loops(home / "loops.json")


def test_show_list_all_customer_and_export_all_still_read_the_archive(
    run: Run, add: Callable[..., int], old_closed: int
) -> None:
    add("Li Wei", "check the warranty")

    shown = run("show", str(old_closed), "--json")
    assert shown.code == 0 and shown.json()["state"] == "closed"
    assert old_closed in [loop["id"] for loop in run("list", "--all", "--json").json()]
    assert old_closed not in [loop["id"] for loop in run("list", "--json").json()]
    exported = run("export", "--all", "--format", "jsonl").out.splitlines()
    assert len(exported) == 2
    customer = run("customer", "maria rossi", "--json")
    assert customer.code == 0 and "call back about the refund" in customer.out


def test_report_reads_the_archive_only_for_periods_it_covers(
    run: Run, add: Callable[..., int], old_closed: int
) -> None:
    add("Li Wei", "check the warranty")

    long_ago = run("report", "--since", "2026-09-28", "--json").json()
    this_week = run("report", "--json").json()

    assert long_ago["total"]["closed"] == 1 and long_ago["total"]["kept"] == 1
    assert this_week["total"]["closed"] == 0


def test_changing_an_archived_loop_brings_it_back(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    add("Li Wei", "check the warranty")

    reopened = run("reopen", str(old_closed), "--reason", "the refund bounced")
    assert reopened.code == 0, reopened.err
    assert file_loops(home / "loops.json")[str(old_closed)]["state"] == "open"
    assert str(old_closed) not in archived_loops(home / "loops.json")
    assert [loop["id"] for loop in run("list", "--json").json()].count(old_closed) == 1


def test_forget_erases_the_customer_from_the_archive_too(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    add("Li Wei", "check the warranty")
    assert b"Maria Rossi" in (home / "loops.archive" / "2026-10.json").read_bytes()

    assert run("forget", "Maria Rossi", "--yes").code == 0

    for path in home.rglob("*"):
        if path.is_file():
            assert b"Maria Rossi" not in path.read_bytes(), path.name


def test_undo_stops_at_changes_to_loops_that_went_to_the_archive(
    run: Run, add: Callable[..., int], old_closed: int
) -> None:
    fresh = add("Li Wei", "check the warranty")

    assert run("undo").code == 0  # the add of today
    assert run("show", str(fresh)).code == 3
    nothing = run("undo")
    assert nothing.code == 2 and "nothing to undo" in nothing.err
    assert run("show", str(old_closed), "--json").json()["state"] == "closed"


def test_archive_command_moves_on_demand(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    recent = add("Li Wei", "check the warranty")
    run("done", str(recent))
    run("close", str(recent), "sent", "--via", "email")

    kept = run("archive", "--json")
    assert kept.json() == {"archived": 0, "kept": 1, "archive": str(home / "loops.archive")}
    moved = run("archive", "--older-than", "1m", now=TOMORROW)
    assert moved.code == 0
    assert moved.out.startswith(f"Archived 1 loop to {home / 'loops.archive'}; 0 stay")
    assert archived_loops(home / "loops.json").keys() == {str(old_closed), str(recent)}


def test_archive_off_keeps_everything_and_the_command_says_how(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    assert run("config", "set", "archive_after", "off").code == 0
    add("Li Wei", "check the warranty")
    assert str(old_closed) in file_loops(home / "loops.json")

    refused = run("archive")
    assert refused.code == 2
    assert "archive_after" in refused.err and "--older-than" in refused.err
    assert run("archive", "--older-than", "soon").code == 2


def test_a_crash_between_the_two_writes_leaves_the_loop_in_both_and_shown_once(
    run: Run, add: Callable[..., int], home: Path, old_closed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopcloser.storage import atomic, store

    real = atomic.write_atomically
    store_file = (home / "loops.json").resolve()

    def dies_on_the_store(path: Path, data: bytes) -> None:
        if path == store_file:
            raise StoreError("the power went")
        real(path, data)

    monkeypatch.setattr(store, "write_atomically", dies_on_the_store)
    assert run("add", "Li Wei", "check the warranty", "--due", "fri").code == 5
    monkeypatch.setattr(store, "write_atomically", real)

    assert str(old_closed) in file_loops(home / "loops.json")
    assert str(old_closed) in archived_loops(home / "loops.json")
    assert [loop["id"] for loop in run("list", "--all", "--json").json()] == [old_closed]
    assert len(run("export", "--all", "--format", "jsonl").out.splitlines()) == 1

    add("Li Wei", "check the warranty")  # the sweep, done again, completes the move
    assert str(old_closed) not in file_loops(home / "loops.json")
    assert str(old_closed) in archived_loops(home / "loops.json")


def test_finished_before_reads_the_last_event_of_a_closed_or_cancelled_loop() -> None:
    finished = finished_before(NOW - timedelta(days=30))
    old, recent = "2026-10-01T09:00:00Z", "2026-11-20T09:00:00Z"

    assert finished({"state": "closed", "events": [{"at": old}, {"at": old}]})
    assert finished({"state": "cancelled", "events": [{"at": old}]})
    assert not finished({"state": "closed", "events": [{"at": old}, {"at": recent}]})
    assert not finished({"state": "open", "events": [{"at": old}]})
    assert not finished({"state": "done", "events": [{"at": old}]})
    # Out of shape: left in the store, where load() reports it.
    assert not finished({"state": "closed", "events": []})
    assert not finished({"state": "closed", "events": [{"at": 5}]})
    assert not finished({"state": "closed", "events": [{"at": "2026-10-01T11:00:00+02:00"}]})


def test_a_malformed_archive_blocks_nothing_and_is_named_with_the_fix(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    archive = home / "loops.archive" / "2026-10.json"  # the month the sweep writes
    archive.parent.mkdir()
    archive.write_bytes(b"{not json")

    added = run("add", "Li Wei", "check the warranty", "--due", "fri")

    assert added.code == 0, added.err
    assert "the archive" in added.err and f"mv {archive} {archive}.broken" in added.err
    assert archive.read_bytes() == b"{not json"
    assert str(old_closed) in file_loops(home / "loops.json"), "nothing swept into it"
    listed = run("list", "--all", "--json")
    assert listed.code == 0 and "the archive" in listed.err
    assert len(listed.json()) == 2
    doctor = run("doctor", "--json")
    assert doctor.code == 5
    assert [check["name"] for check in doctor.json() if not check["ok"]] == ["archive"]
    assert run("archive").code == 5, "moving loops into it by name still refuses"


def test_a_store_without_archive_reads_as_before(tmp_path: Path) -> None:
    store = Store(tmp_path / "loops.json")
    assert store.archived() == {}
    assert store.archive_cutoff() is None
    assert store.all_documents() == {}


def test_one_archived_loop_is_found_by_id_whatever_its_text_holds(tmp_path: Path) -> None:
    from loopcloser.core.documents import Sweep
    from loopcloser.storage.store import Archive

    store = Store(tmp_path / "loops.json")
    texts = ['says "1":{ in a note', "\u05e9\u05dc\u05d5\u05dd \U0001f600" * 30_000, "plain"]
    with store.transaction() as transaction:
        ids = transaction.insert_many(
            [{"uid": f"u{n}", "text": text} for n, text in enumerate(texts)]
        )
    store.sweep(Sweep(retire=lambda doc: True, cutoff="2026-11-01T00:00:00Z", mark="x"))

    # Documents that do not tell when they were finished go to the archive's first file.
    archive = Archive(tmp_path / "loops.json", tmp_path / "shown.json")
    for loop_id, text in zip(ids, texts, strict=True):
        assert archive.get(loop_id) == {"uid": f"u{loop_id - 1}", "text": text}
    assert archive.get(99) is None
    assert archive.cutoff() == "2026-11-01T00:00:00Z"

    # Edited by hand into another shape: read in full, same answers.
    path = archive_path(tmp_path / "loops.json")
    path.write_text(json.dumps(json.loads(path.read_bytes()), indent=2), encoding="utf-8")
    hand_edited = Archive(tmp_path / "loops.json", tmp_path / "loops.json")
    assert hand_edited.get(ids[0]) == {"uid": "u0", "text": texts[0]}
    assert hand_edited.get(99) is None


def test_import_finds_archived_loops_by_uid(run: Run, home: Path, old_closed: int) -> None:
    exported = run("export", "--all", "--format", "csv").out
    added(run, "Li Wei", "check the warranty")  # sweeps the October loop
    assert str(old_closed) in archived_loops(home / "loops.json")

    again = run("import", "-", "--format", "csv", stdin=exported)
    assert again.code == 0, again.err
    assert "0 added" in again.out
    changed = exported.replace("call back about the refund", "call back about the refunds")
    updated = run("import", "-", "--format", "csv", stdin=changed)
    assert updated.code == 0, updated.err
    assert "1 updated" in updated.out
    assert file_loops(home / "loops.json")[str(old_closed)]["promise"] == (
        "call back about the refunds"
    )
    assert str(old_closed) not in archived_loops(home / "loops.json")
    assert len(run("export", "--all", "--format", "jsonl").out.splitlines()) == 2


def test_the_days_sweep_writes_only_the_month_its_loops_were_closed_in(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    september = added(run, "Jonas Berg", "chase the courier", now="2026-09-10T09:00:00Z")
    run("close", str(september), "told him", "--via", "phone", now="2026-09-10T10:00:00Z")
    add("Li Wei", "check the warranty")  # sweeps both months
    folder = home / "loops.archive"
    assert sorted(path.name for path in folder.iterdir()) == ["2026-09.json", "2026-10.json"]
    september_file = (folder / "2026-09.json").stat()

    late = added(run, "Hotel Miramare", "confirm the booking", now="2026-10-20T09:00:00Z")
    run("close", str(late), "confirmed", "--via", "email", now="2026-10-20T10:00:00Z")
    added(run, "Polar Freight", "send the form", now=TOMORROW)  # the next day's sweep

    assert file_loops(folder / "2026-10.json").keys() == {str(old_closed), str(late)}
    again = (folder / "2026-09.json").stat()
    assert (again.st_ino, again.st_mtime_ns) == (september_file.st_ino, september_file.st_mtime_ns)


def test_a_report_reads_only_the_months_of_its_period(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    add("Li Wei", "check the warranty")
    (home / "loops.archive" / "2025-01.json").write_bytes(b"{not json")

    this_week = run("report", "--json")
    assert this_week.code == 0 and "the archive" not in this_week.err
    october = run("report", "--since", "2026-10-01", "--json")
    assert october.code == 0 and "the archive" not in october.err
    assert october.json()["total"]["closed"] == 1
    since_2024 = run("report", "--since", "2024-12-01", "--json")
    assert "2025-01.json" in since_2024.err


def test_an_archive_of_one_file_is_still_read_changed_and_erased(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    # As an older loopcloser left it: one loops.archive.json, no folder of months.
    add("Li Wei", "check the warranty")
    month = home / "loops.archive" / "2026-10.json"
    single = archive_path(home / "loops.json")
    single.write_bytes(month.read_bytes())
    month.unlink()
    month.parent.rmdir()

    assert run("show", str(old_closed), "--json").json()["state"] == "closed"
    assert old_closed in [loop["id"] for loop in run("list", "--all", "--json").json()]
    assert run("report", "--since", "2026-09-28", "--json").json()["total"]["closed"] == 1
    reopened = run("reopen", str(old_closed), "--reason", "the refund bounced")
    assert reopened.code == 0, reopened.err
    assert str(old_closed) not in file_loops(single)
    run("close", str(old_closed), "told her", "--via", "phone")
    assert run("archive", "--older-than", "1h", now=TOMORROW).code == 0
    assert str(old_closed) in file_loops(home / "loops.archive" / "2026-11.json")

    assert run("forget", "Maria Rossi", "--yes").code == 0
    for path in home.rglob("*"):
        if path.is_file():
            assert b"Maria Rossi" not in path.read_bytes(), path.name


def test_a_change_to_an_archived_loop_moves_it_to_the_month_of_its_last_event(
    tmp_path: Path,
) -> None:
    from loopcloser.core.documents import Sweep

    store = Store(tmp_path / "loops.json")
    closed = {"uid": "u1", "state": "closed", "events": [{"at": "2026-09-10T09:00:00Z"}]}
    with store.transaction() as transaction:
        [loop_id] = transaction.insert_many([closed])
    store.sweep(Sweep(retire=lambda doc: True, cutoff="2026-10-01T00:00:00Z", mark="x"))
    assert archived_loops(tmp_path / "loops.json").keys() == {str(loop_id)}

    later = {**closed, "events": [*closed["events"], {"at": "2026-11-02T09:00:00Z"}]}
    with store.transaction() as transaction:
        transaction.put_archived(loop_id, later)

    folder = tmp_path / "loops.archive"
    assert file_loops(folder / "2026-09.json") == {}
    assert file_loops(folder / "2026-11.json") == {str(loop_id): later}
    assert Store(tmp_path / "loops.json").archived_since("2026-11-01T00:00:00Z") == {loop_id: later}


def test_a_month_file_names_its_ids_so_a_loop_of_another_month_is_not_looked_for_there(
    run: Run, add: Callable[..., int], home: Path, old_closed: int
) -> None:
    add("Li Wei", "check the warranty")
    month = home / "loops.archive" / "2026-10.json"
    head = month.read_bytes()[:80]
    assert head.startswith(b'{"meta":{"1":{"cutoff":"2026-11-24T09:00:00Z","low":%d,"high":%d'
                           % (old_closed, old_closed))  # fmt: skip
    from loopcloser.storage.store import Segment

    segment = Segment(month, month)
    assert segment.get(old_closed) is not None
    # An id outside the file's span is answered from the first bytes alone.
    month.write_bytes(head[: head.index(b"}") + 1] + b"  not read any further")
    assert segment.get(old_closed + 1) is None
