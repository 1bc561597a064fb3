"""export for scripts and spreadsheets: JSON, JSON Lines and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run

Add = Callable[..., int]


def test_json_and_jsonl_carry_every_field_and_the_history(run: Run, add: Add) -> None:
    add('Maria, "Rossi"; 💥', "call back\nabout it", "--due", "fri 12:00", "--tag", "vip")
    closed = add("ACME", "invoice", "--due", "tomorrow")
    run("close", str(closed))
    loops = run("export").json()
    assert [loop["customer"] for loop in loops] == ['Maria, "Rossi"; 💥'], "open loops by default"
    assert loops[0]["events"][0]["kind"] == "created"
    everything = run("export", "--all", "--format", "jsonl").out.splitlines()
    assert [json.loads(line)["id"] for line in everything] == [1, 2]
    assert json.loads(everything[0]) == run("show", "1", "--json").json()


def test_csv_has_a_header_a_spreadsheet_user_can_edit(run: Run, add: Add) -> None:
    add('Maria, "Rossi"', "call back\nabout it", "--due", "fri 12:00", "--tag", "vip",
        "--tag", "billing", "--ref", "CRM-1")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").out)))
    assert list(rows[0]) == ["id", "uid", "customer", "contact", "promise", "due", "owner",
                             "tags", "ref", "state"]  # fmt: skip
    assert rows[0]["customer"] == 'Maria, "Rossi"' and rows[0]["promise"] == "call back\nabout it"
    expected = ("vip;billing", "CRM-1", "2026-11-27T11:00:00Z")
    assert (rows[0]["tags"], rows[0]["ref"], rows[0]["due"]) == expected


def test_output_into_a_pipe_writes_into_it_and_never_replaces_it(
    run: Run, add: Callable[..., int], home: Path
) -> None:
    import os
    import stat
    import threading

    add("Maria Rossi", "call back")
    fifo = home / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()

    result = run("export", "--format", "csv", "-o", str(fifo))

    reader.join(timeout=10)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and b"Maria Rossi" in received[0]


def test_output_through_a_symlink_writes_the_file_it_names(
    run: Run, add: Callable[..., int], home: Path
) -> None:
    add("Maria Rossi", "call back")
    real = home / "exports" / "loops.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = home / "latest.csv"
    link.symlink_to(real)

    assert run("export", "--format", "csv", "-o", str(link)).code == 0

    assert link.is_symlink() and "Maria Rossi" in real.read_text()
    folder = run("export", "--format", "csv", "-o", str(home))
    assert folder.code == 2 and "is a folder" in folder.err


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+39 055 123", "-1+2", "@SUM(A1)",
            "\tindented", "'=already quoted", "plain", "'apostrophe"]  # fmt: skip


def test_csv_cells_never_run_as_formulas_and_import_takes_them_back(run: Run, home: Path) -> None:
    for text in FORMULAS:
        added = run("add", "--due", "fri 12:00", f"--contact={text}", "--", text, f"do {text}")
        assert added.code == 0, added.err
    sheet = home / "loops.csv"
    assert run("export", "--format", "csv", "-o", str(sheet)).code == 0
    rows = list(csv.DictReader(io.StringIO(sheet.read_bytes().decode("utf-8"), newline="")))
    cells = [row[name] for row in rows for name in ("customer", "contact", "promise")]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[0]["customer"] == "'" + FORMULAS[0]
    assert rows[6]["customer"] == "plain" and rows[7]["customer"] == "'apostrophe"

    fresh = home / "fresh.json"
    assert run("import", str(sheet), "--store", str(fresh)).code == 0
    back = run("list", "--json", "--store", str(fresh)).json()
    assert [loop["customer"] for loop in back] == FORMULAS
    assert [loop["contact"] for loop in back] == FORMULAS


def test_raw_csv_keeps_cells_as_they_are(run: Run, add: Add) -> None:
    add("=1+1", "call back", "--due", "fri 12:00")
    (row,) = csv.DictReader(io.StringIO(run("export", "--format", "csv", "--raw").out))
    assert row["customer"] == "=1+1"


# --- CSV for a spreadsheet: local times and a byte-order mark --------------------------------

BOM = b"\xef\xbb\xbf"


def due_cells(data: bytes) -> list[str]:
    return [row["due"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]


def test_csv_times_are_whole_seconds_in_utc_unless_local_times_asked(run: Run) -> None:
    added = run("add", "Zoë", "call back", "--due", "+2h", now="2026-11-25T09:00:00.654321Z")
    assert added.code == 0, added.err
    assert due_cells(run("export", "--format", "csv").out.encode()) == ["2026-11-25T11:00:00Z"]
    local = run("export", "--format", "csv", "--local-times").out.encode()
    assert due_cells(local) == ["2026-11-25 12:00:00"], "Rome's wall time, as a sheet reads it"


def test_the_hour_repeated_when_summer_time_ends_is_written_with_its_offset(run: Run) -> None:
    for due in ("2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"):
        added = run("add", "Søren", f"due {due}", "--due", due, now="2026-10-20T09:00:00Z")
        assert added.code == 0, added.err
    local = run("export", "--format", "csv", "--local-times").out.encode()
    assert sorted(due_cells(local)) == [
        "2026-10-25 02:30:00+01:00", "2026-10-25 02:30:00+02:00", "2026-10-25 03:30:00"
    ]  # fmt: skip


def test_bom_starts_the_csv_with_one_byte_order_mark(run: Run, add: Add, home: Path) -> None:
    add("Niccolò", "send the quote")
    plain = home / "plain.csv"
    marked = home / "marked.csv"
    assert run("export", "--format", "csv", "-o", str(plain)).code == 0
    assert run("export", "--format", "csv", "--bom", "-o", str(marked)).code == 0
    assert marked.read_bytes() == BOM + plain.read_bytes()
    assert not plain.read_bytes().startswith(BOM)
    assert "Niccolò" in marked.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--local-times"], "--local-times is for CSV only"),
        (["--format", "jsonl", "--bom"], "--bom is for CSV only"),
        (["--ics", "--local-times", "--bom"], "--local-times and --bom are for CSV only"),
    ],
)
def test_spreadsheet_options_are_refused_for_other_formats(
    run: Run, add: Add, args: list[str], message: str
) -> None:
    add()
    result = run("export", *args)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"loopcloser: {message}; add --format csv, the format for a spreadsheet\n"


def test_a_spreadsheet_csv_goes_through_the_installed_program_and_back(
    run: Run, add: Add, home: Path
) -> None:
    """The executable as a script runs it: export for Excel, piped into import in a new store."""
    import os
    import subprocess

    from tests.test_e2e import EXECUTABLE

    add("Zoë Ærø", "call back", "--due", "fri 12:00", "--tag", "città")
    add("Niccolò", "send the quote", "--due", "tomorrow 9am", "--contact", "niccolò@example.com")
    run("done", "2", "quote sent")
    exported = subprocess.run(
        [str(EXECUTABLE), "export", "--all", "--format", "csv", "--local-times", "--bom"],
        capture_output=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(BOM + b"id,uid,customer")
    assert due_cells(exported.stdout) == ["2026-11-26 09:00:00", "2026-11-27 12:00:00"]
    other = {**os.environ, "LOOPCLOSER_STORE": str(home / "other.json")}
    imported = subprocess.run(
        [str(EXECUTABLE), "import", "-", "--json"],
        input=exported.stdout, capture_output=True, check=False, env=other,
    )  # fmt: skip
    assert (imported.returncode, imported.stderr) == (0, b"")
    assert json.loads(imported.stdout)["format"] == "csv", "the mark does not hide the format"
    fields = ("uid", "customer", "contact", "promise", "due", "owner", "tags", "state")
    before = run("list", "--all", "--json").json()
    after = run("list", "--all", "--json", env={"LOOPCLOSER_STORE": other["LOOPCLOSER_STORE"]})
    assert [{name: loop[name] for name in fields} for loop in after.json()] == [
        {name: loop[name] for name in fields} for loop in before
    ]


# --- every loop, a loop at a time: the bytes the export wrote before it streamed ----------

GOLDEN = Path(__file__).with_name("golden") / "export"
"""A store (and its archive) and what ``export`` wrote from it before it was written a loop
at a time, by the code of then: the reference the streamed export must match byte for byte.
Never regenerate these from the code under test; a deliberate change to the format
rewrites them by hand, with the reason in the commit."""

EXPORTS = [
    ("all.json", ["--all"]),
    ("all.jsonl", ["--all", "--format", "jsonl"]),
    ("all.csv", ["--all", "--format", "csv"]),
    ("all-local.csv", ["--all", "--format", "csv", "--local-times", "--bom"]),
    ("all-raw.csv", ["--all", "--format", "csv", "--raw"]),
    ("open.json", []),
    ("open.csv", ["--format", "csv"]),
]


@pytest.fixture
def golden_store(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store the golden exports were made from, and its archive, in a private folder."""
    import shutil

    folder = home / "golden"
    folder.mkdir()
    for name in ("store.json", "store.archive.json"):
        shutil.copyfile(GOLDEN / name, folder / name)
    monkeypatch.setenv("LOOPCLOSER_STORE", str(folder / "store.json"))
    return folder


@pytest.mark.parametrize(("golden", "options"), EXPORTS, ids=[name for name, _ in EXPORTS])
def test_an_export_writes_the_bytes_it_wrote_before_it_streamed(
    run: Run, golden_store: Path, golden: str, options: list[str]
) -> None:
    target = golden_store.parent / golden
    result = run("export", *options, "-o", str(target))
    assert result.code == 0, result.err
    assert target.read_bytes() == (GOLDEN / golden).read_bytes()
    # A malformed loop is left out and named, and one in no state of ours left out unnamed.
    said = [line for line in result.err.splitlines() if not line.startswith("Wrote ")]
    assert said == (GOLDEN / "warnings.txt").read_text(encoding="utf-8").splitlines()


def test_an_export_on_stdout_is_the_same_bytes(run: Run, golden_store: Path) -> None:
    result = run("export", "--all", "--format", "jsonl")
    assert result.out.encode() == (GOLDEN / "all.jsonl").read_bytes()


def test_the_golden_exports_hold_every_state_history_and_odd_document() -> None:
    """So that matching them says something: each way a loop is read and written is in."""
    from loopcloser.core.finished import finished_json
    from loopcloser.core.model import Kind, Outcome, State

    loops = {loop["id"]: loop for loop in json.loads((GOLDEN / "all.json").read_bytes())}
    events = [event for loop in loops.values() for event in loop["events"]]
    assert {loop["state"] for loop in loops.values()} == {str(state) for state in State}
    assert {event["kind"] for event in events} == {str(kind) for kind in Kind}
    assert {loop["outcome"] for loop in loops.values()} == {*map(str, Outcome), None}
    assert any("void" in event for event in events) and any("key" in event for event in events)
    assert {loop["customer"] for loop in loops.values()} >= {"Zoë Ångström", "Niccolò Bianchi"}
    stored = json.loads((GOLDEN / "store.json").read_bytes())["loops"]
    archived = json.loads((GOLDEN / "store.archive.json").read_bytes())["loops"]
    assert {3, 5, 7, 9} <= set(loops) and not {3, 5, 7, 9} & set(map(int, stored))
    assert loops[44]["customer"] == stored["44"]["customer"] != archived["44"]["customer"]
    assert 51 not in loops and stored["51"]["state"] == 5
    assert 52 not in loops and stored["52"]["state"] == "archived"
    # A document an older loopcloser wrote (fractions of seconds) is read through the model.
    assert stored["49"]["due"] == "2026-10-05T11:00:00.250000+01:00"
    assert loops[49]["due"] == "2026-10-05T10:00:00Z"
    finished = [key for key, doc in stored.items() if doc["state"] in ("closed", "cancelled")]
    built = [key for key in finished if finished_json(int(key), stored[key]) is None]
    assert {"49", "50"} <= set(built) and len(built) < len(finished) / 2


def test_a_long_export_waits_in_a_file_beside_the_store_and_leaves_nothing(
    run: Run, golden_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopcloser.storage import store

    monkeypatch.setattr(store, "SCRATCH_IN_MEMORY", 4096)
    monkeypatch.setattr(store, "SCRATCH_BATCH", 1000)
    before = sorted(path.name for path in golden_store.iterdir())
    result = run("export", "--all")
    assert result.code == 0, result.err
    assert result.out.encode() == (GOLDEN / "all.json").read_bytes()
    assert sorted(path.name for path in golden_store.iterdir()) == before


def test_an_archive_that_cannot_be_read_is_left_out_whole_and_named(
    run: Run, golden_store: Path
) -> None:
    archive = golden_store / "store.archive.json"
    whole = archive.read_bytes()
    archive.write_bytes(whole[: whole.index(b'"7":')] + b'"7": oops}}')  # fine until loop #7
    result = run("export", "--all", "--format", "jsonl")
    assert result.code == 0, result.err
    ids = {json.loads(line)["id"] for line in result.out.splitlines()}
    stored = json.loads((golden_store / "store.json").read_bytes())["loops"]
    assert ids == {int(key) for key in stored} - {51, 52}, "none of the archive, not even #3 or #5"
    assert "the archive" in result.err and "is not valid JSON" in result.err


def test_an_empty_store_exports_an_empty_array(run: Run) -> None:
    assert run("export", "--all").out == "[]\n"
    assert run("export", "--all", "--format", "jsonl").out == ""
    assert run("export", "--all", "--format", "csv").out.startswith("id,uid,customer")


def test_no_progress_bar_where_no_one_watches_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bar only on a terminal's stderr, and never under --json."""
    import sys

    from loopcloser.cli.exchange import Bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert Bar("Reading loops").counter is None
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert Bar("Reading loops").counter is not None
    assert Bar("Reading rows", shown=False).counter is None


def test_the_installed_program_pipes_the_same_bytes(golden_store: Path) -> None:
    """The executable as a script runs it: every loop, as JSON, into a pipe."""
    import os
    import subprocess

    from tests.test_e2e import EXECUTABLE

    exported = subprocess.run(
        [str(EXECUTABLE), "export", "--all"],
        capture_output=True, check=False, stdin=subprocess.DEVNULL, env=dict(os.environ),
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == (GOLDEN / "all.json").read_bytes()
    assert (
        exported.stderr.decode().splitlines()
        == (GOLDEN / "warnings.txt").read_text(encoding="utf-8").splitlines()
    )
