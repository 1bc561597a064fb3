"""import from the command line: files and stdin, upserts by uid, errors by line, undo."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loopcloser.storage import store as store_module
from tests.conftest import Run
from tests.test_schemas import valid

Add = Callable[..., int]
HEADER = "customer,contact,promise,due,owner,tags,ref,state\n"


@pytest.fixture
def busy(run: Run, add: Add) -> None:
    """A store with a loop in every state and a varied history."""
    add('Maria, "Rossi"; 💥', "call back\nabout it", "--due", "fri 12:00", "--tag", "vip",
        "--tag", "billing", "--ref", "CRM-1", "--contact", "m@x.com", "--every", "1d")  # fmt: skip
    add("ACME", "invoice", "--due", "tomorrow", "--owner", "luca")
    add("Li Wei", "warranty", "--due", "thu 12:00")
    add("Greta", "quote", "--due", "fri 12:00")
    add("Jonas", "router", "--due", "mon 9:00")
    run("note", "1", "she prefers mornings")
    run("reschedule", "1", "mon 12:00", "--not-told")
    run("wait", "3", "--on", "Finance", "--until", "thu 12:00")
    run("done", "2", "invoice issued")
    run("cancel", "4", "--reason", "withdrawn")
    run("close", "5", "--via", "phone")


def other_store(home: Path) -> dict[str, str]:
    return {"LOOPCLOSER_STORE": str(home / "other.json")}


def loops_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())["loops"]


def write(home: Path, name: str, text: str) -> str:
    path = home / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["json", "jsonl"])
def test_an_export_imported_into_an_empty_store_exports_the_same(
    run: Run, busy: None, home: Path, kind: str
) -> None:
    exported = run("export", "--all", "--format", kind).out
    path = write(home, f"backup.{kind}", exported)
    result = run("import", path, env=other_store(home))
    assert (result.code, result.err) == (0, "")
    assert result.out == "Imported 5 loops: 5 added, 0 updated, 0 unchanged.\n"
    again = run("export", "--all", "--format", kind, env=other_store(home)).out
    assert again == exported, "every field and event, and the ids too (they had no gaps)"


def test_a_csv_export_imported_into_an_empty_store_exports_the_same_columns(
    run: Run, busy: None, home: Path
) -> None:
    exported = run("export", "--all", "--format", "csv").out
    path = write(home, "backup.csv", exported)
    assert run("import", path, env=other_store(home)).code == 0
    again = run("export", "--all", "--format", "csv", env=other_store(home)).out

    def without_id(text: str) -> list[dict[str, str]]:
        rows = list(csv.DictReader(io.StringIO(text)))
        return sorted(({k: v for k, v in row.items() if k != "id"} for row in rows), key=str)

    assert without_id(again) == without_id(exported)
    assert len(without_id(again)) == 5


@pytest.fixture
def accented(run: Run, add: Add) -> None:
    """Customers with accents, dues with a fraction of a second, both 02:30 of 25 October."""
    early = "2026-10-20T09:00:00Z"
    for customer, due in (("Łukasz", "2026-10-25T00:30:00Z"), ("Søren", "2026-10-25T01:30:07Z")):
        assert run("add", customer, "call back", "--due", due, now=early).code == 0
    odd = "2026-11-25T09:00:00.654321Z"
    assert run("add", "Zoë Ærø", "call back", "--due", "+2h", "--tag", "città", now=odd).code == 0
    add("Niccolò Müller", "send the quote", "--due", "fri 12:00", "--contact",
        "niccolò@example.com", "--ref", "CRM-ä", "--owner", "luca")  # fmt: skip
    add("François", "refund", "--due", "tomorrow 9am")
    run("done", "4", "quote sent")
    run("close", "5", "--via", "phone")
    run("wait", "1", "--on", "Finance")


SPREADSHEET_OPTIONS = [[], ["--local-times"], ["--bom"], ["--local-times", "--bom"]]
SAME_LOOP = ("uid", "customer", "contact", "promise", "owner", "tags", "ref", "state")


def same_loops(loops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a CSV carries of each loop, the due to the second."""
    from loopcloser.core.model import from_utc_text

    return [
        {**{name: loop[name] for name in SAME_LOOP},
         "due": from_utc_text(loop["due"]).replace(microsecond=0)}
        for loop in loops
    ]  # fmt: skip


@pytest.mark.parametrize("options", SPREADSHEET_OPTIONS, ids=" ".join)
def test_a_spreadsheet_csv_imported_into_an_empty_store_makes_the_same_loops(
    run: Run, accented: None, home: Path, options: list[str]
) -> None:
    sheet = home / "loops.csv"
    exported = run("export", "--all", "--format", "csv", *options, "-o", str(sheet))
    assert exported.code == 0, exported.err
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf") == ("--bom" in options)
    result = run("import", str(sheet), env=other_store(home))
    assert (result.code, result.err) == (0, "")
    assert result.out == "Imported 5 loops: 5 added, 0 updated, 0 unchanged.\n"
    before = run("list", "--all", "--json").json()
    after = run("list", "--all", "--json", env=other_store(home)).json()
    assert same_loops(after) == same_loops(before)
    assert [loop["customer"] for loop in after] == [loop["customer"] for loop in before]
    again = home / "again.csv"
    run("export", "--all", "--format", "csv", *options, "-o", str(again), env=other_store(home))
    assert again.read_bytes() == sheet.read_bytes(), "the same file, ids and all"


@pytest.mark.parametrize("options", SPREADSHEET_OPTIONS, ids=" ".join)
def test_a_spreadsheet_csv_imported_back_into_its_own_store_changes_nothing(
    run: Run, accented: None, home: Path, options: list[str]
) -> None:
    sheet = home / "loops.csv"
    assert run("export", "--all", "--format", "csv", *options, "-o", str(sheet)).code == 0
    before = (home / "loops.json").read_bytes()
    result = run("import", str(sheet))
    assert result.out == "Imported 5 loops: 0 added, 0 updated, 5 unchanged.\n", result.err
    assert (home / "loops.json").read_bytes() == before


def test_local_times_are_read_in_the_configured_zone_and_an_offset_wins(
    run: Run, home: Path
) -> None:
    rows = "".join(
        f"{customer},,call back,{due},,,,\n"
        for customer, due in (("Zoë", "2026-12-08 20:59:02"), ("Niccolò", "2026-12-08T19:59:02Z"),
                              ("Søren", "2026-12-08 20:59:02+01:00"))
    )  # fmt: skip
    path = home / "crm.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + rows).encode("utf-8"))
    assert run("import", str(path)).code == 0
    dues = {loop["customer"]: loop["due"] for loop in run("list", "--json").json()}
    assert dues == dict.fromkeys(("Zoë", "Niccolò", "Søren"), "2026-12-08T19:59:02Z")
    tokyo = home / "tokyo.toml"
    tokyo.write_text('agent = "anna"\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    elsewhere = {**other_store(home), "LOOPCLOSER_CONFIG": str(tokyo)}
    assert run("import", str(path), env=elsewhere).code == 0
    dues = {loop["customer"]: loop["due"] for loop in run("list", "--json", env=elsewhere).json()}
    assert dues["Zoë"] == "2026-12-08T11:59:02Z", "a wall time is read where the user is"
    assert dues["Niccolò"] == dues["Søren"] == "2026-12-08T19:59:02Z"


# --- upserts ------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    run: Run, busy: None, home: Path
) -> None:
    for kind in ("json", "csv"):
        path = write(home, f"backup.{kind}", run("export", "--all", "--format", kind).out)
        assert run("import", path, env=other_store(home)).code == 0
        before = (home / "other.json").read_bytes()
        second = run("import", path, env=other_store(home))
        assert second.out == "Imported 5 loops: 0 added, 0 updated, 5 unchanged.\n"
        assert (home / "other.json").read_bytes() == before
        (home / "other.json").unlink()


def test_a_csv_without_uids_is_idempotent_too(run: Run, home: Path) -> None:
    path = write(home, "crm.csv", HEADER + "Maria,m@x.com,call back,2026-11-30 17:00,,,,\n")
    assert run("import", path).out.startswith("Imported 1 loop: 1 added")
    before = (home / "loops.json").read_bytes()
    assert run("import", path).out == "Imported 1 loop: 0 added, 0 updated, 1 unchanged.\n"
    assert (home / "loops.json").read_bytes() == before


def test_an_edited_spreadsheet_updates_loops_with_an_honest_history(
    run: Run, busy: None, home: Path
) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "--all", "--format", "csv").out)))
    first = next(row for row in rows if row["id"] == "1")
    first.update(promise="call back with the refund", due="2026-12-02T11:00:00Z", state="done")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    result = run("import", write(home, "loops.csv", out.getvalue()))
    assert result.out == "Imported 5 loops: 0 added, 1 updated, 4 unchanged.\n"
    shown = run("show", "1", "--json").json()
    assert (shown["promise"], shown["state"], shown["untold_reschedule"]) == (
        "call back with the refund", "done", True
    )  # fmt: skip
    assert [(event["kind"], event["text"]) for event in shown["events"][-3:]] == [
        ("edited", "imported from loops.csv"),
        ("rescheduled", "imported from loops.csv"),
        ("done", "imported from loops.csv"),
    ]


def test_a_newer_backup_brings_the_store_forward_and_an_older_one_leaves_it(
    run: Run, add: Add, home: Path
) -> None:
    add("Maria", "call back")
    old = write(home, "old.json", run("export").out)
    run("note", "1", "called, no answer")
    new = write(home, "new.json", run("export").out)
    assert run("import", old).out == "Imported 1 loop: 0 added, 0 updated, 1 unchanged.\n"
    run("undo")  # the note goes: the store is now behind the newer backup
    assert run("import", new).out == "Imported 1 loop: 0 added, 1 updated, 0 unchanged.\n"
    assert run("show", "1", "--json").json()["events"][-1]["text"] == "called, no answer"


def test_undo_takes_back_the_whole_import(run: Run, add: Add, home: Path) -> None:
    add("Maria", "call back")
    text = run("export", "--format", "csv").out.replace("call back", "call back today")
    text += ",,ACME,,invoice,2026-11-30T16:00:00Z,anna,,,open\n"
    result = run("import", write(home, "crm.csv", text), "--json")
    assert (result.json()["added_ids"], result.json()["updated_ids"]) == ([2], [1])
    assert (
        run("undo", "--list")
        .out.splitlines()[1]
        .startswith("import from crm.csv: 1 added, 1 updated")
    )
    assert run("undo").code == 0
    assert [loop["promise"] for loop in run("list", "--json").json()] == ["call back"]


# --- errors ---------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_the_good_ones_go_in(run: Run, home: Path) -> None:
    text = (
        HEADER
        + "Maria,,call back,2026-11-30 17:00,,,,\n"
        + "Li Wei,,warranty,someday,,,,\n"
        + ',,"no customer\nover two lines",2026-11-30,,,,\n'
        + "Greta,,quote,2026-11-30,,,,finished\n"
    )
    result = run("import", write(home, "crm.csv", text))
    assert result.code == 2
    assert result.out == (
        "Imported 1 loop: 1 added, 0 updated, 0 unchanged; 3 rows with errors were skipped.\n"
    )
    assert result.err.splitlines() == [
        "loopcloser: line 3: due: cannot read 'someday' as a date (e.g. 2026-11-30 17:00, in"
        " your time zone)",
        "loopcloser: line 4: the customer is empty",
        "loopcloser: line 6: state 'finished' is not one of open, waiting, done, closed, cancelled",
        "loopcloser: 3 rows with errors were skipped; fix those rows and import the file again:"
        " what is already in stays as it is",
    ]
    assert [loop["customer"] for loop in run("list", "--json").json()] == ["Maria"]


def test_json_output_lists_the_errors_and_keeps_to_its_schema(run: Run, home: Path) -> None:
    good = {"customer": "Maria", "promise": "call", "due": "2026-11-30T16:00:00Z"}
    path = write(home, "rows.json", json.dumps([good, 7, {**good, "due": "never"}]))
    result = run("import", path, "--json")
    assert result.code == 2
    data = result.json()
    valid("import", data)
    assert {key: data[key] for key in ("format", "rows", "added", "written", "added_ids")} == {
        "format": "json", "rows": 3, "added": 1, "written": True, "added_ids": [1]
    }  # fmt: skip
    assert [(error["item"], error["line"]) for error in data["errors"]] == [(2, None), (3, None)]
    valid("error", json.loads(result.err))
    assert json.loads(result.err)["exit_code"] == 2


def test_strict_writes_nothing_when_any_row_is_bad(run: Run, add: Add, home: Path) -> None:
    add("Maria", "call back")
    before = (home / "loops.json").read_bytes()
    text = HEADER + "Li Wei,,warranty,2026-11-30,,,,\nGreta,,quote,someday,,,,\n"
    result = run("import", write(home, "crm.csv", text), "--strict")
    assert result.code == 2
    assert result.out == (
        "Imported nothing: 1 row with errors (--strict); the other 1: 1 added, 0 updated,"
        " 0 unchanged.\n"
    )
    assert result.err.splitlines()[-1] == (
        "loopcloser: nothing was imported: 1 row of the file has errors; fix them, or import"
        " without --strict to take the good rows"
    )
    assert (home / "loops.json").read_bytes() == before
    good = write(home, "good.csv", HEADER + "Li Wei,,warranty,2026-11-30,,,,\n")
    assert run("import", good, "--strict").code == 0


def test_dry_run_says_what_would_happen_and_writes_nothing(run: Run, add: Add, home: Path) -> None:
    add("Maria", "call back")
    text = run("export", "--format", "csv").out.replace("call back", "call back today")
    text += ",,ACME,,invoice,2026-11-30T16:00:00Z,anna,,,open\n,,Bad,,row,someday,,,,\n"
    before = (home / "loops.json").read_bytes()
    result = run("import", write(home, "crm.csv", text), "--dry-run")
    assert result.code == 2
    assert result.out == (
        "Would import 2 loops: 1 added, 1 updated, 0 unchanged; 1 row with errors would be"
        " skipped. Nothing was written (--dry-run).\n"
    )
    assert (home / "loops.json").read_bytes() == before
    data = run("import", write(home, "crm.csv", text), "--dry-run", "--json").json()
    assert (data["added"], data["updated"], data["written"], data["added_ids"]) == (1, 1, False, [])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "cannot read {path}: there is no such file"),
        ("folder", "dir", "cannot read {path}: it is a folder"),
        ("latin1.csv", "customer,promise,due\nJosé,call,fri\n".encode("latin-1"),
         "{path} is not UTF-8 text: line 2 holds the byte 0xe9"),
        ("one.json", b'{"customer": "Maria"}', "{path} holds an object, not an array of loops"),
        ("book.csv", b"PK\x03\x04rest", "{path} is a spreadsheet workbook or a zip archive"),
        ("odd.csv", b"name,phone\nMaria,555\n", "{path} has unknown columns 'name', 'phone'"),
        ("empty.csv", b"", "{path} is empty"),
        ("bin.csv", b"\x00\x01\x02", "{path} holds NUL bytes"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_imported_at_all_is_exit_2_with_a_hint(
    run: Run, home: Path, name: str, content: bytes | str | None, message: str
) -> None:
    path = home / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = run("import", str(path))
    assert result.code == 2
    assert result.out == ""
    line = result.err.strip()
    assert line.startswith("loopcloser: " + message.format(path=path)), line
    assert "; " in line and "\n" not in line, "one line, with a hint"
    assert not (home / "loops.json").exists()


def test_an_unknown_format_is_exit_2(run: Run, home: Path) -> None:
    result = run("import", write(home, "x.csv", HEADER), "--format", "xlsx")
    assert (result.code, result.err) == (
        2, "loopcloser: cannot import 'xlsx'; use one of: json, jsonl, csv\n"
    )  # fmt: skip


# --- standard input ----------------------------------------------------------------------------


def test_standard_input_is_read_and_its_format_sniffed(run: Run, busy: None, home: Path) -> None:
    jsonl = run("export", "--all", "--format", "jsonl").out
    result = run("import", "-", "--json", stdin=jsonl, env=other_store(home))
    assert (result.json()["format"], result.json()["added"]) == ("jsonl", 5)
    csv_text = "\ufeffCustomer;Promise;Due\nMaria;call;30/11/2026\n"
    result = run("import", "-", stdin=csv_text, env=other_store(home))
    assert result.out == "Imported 1 loop: 1 added, 0 updated, 0 unchanged.\n"


# --- large files -------------------------------------------------------------------------------


def big_csv(rows: int, bad_every: int) -> tuple[str, list[int]]:
    """A CRM-like export, every ``bad_every``-th row (from the 7th) with an unreadable due."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Customer", "Contact", "Promise", "Due", "Tags", "Ref", "State"])
    bad_lines = []
    for number in range(rows):
        bad = number % bad_every == 7
        due = "someday" if bad else f"2026-12-{1 + number % 28:02d}T10:00:00Z"
        if bad:
            bad_lines.append(number + 2)
        state = ("open", "done", "closed", "waiting", "cancelled")[number % 5]
        tags = "billing;vip" if number % 3 else ""
        cells = [f"Customer {number}", f"c{number}@example.com", f"promise {number}", due]
        writer.writerow([*cells, tags, f"CRM-{number}", state])
    return out.getvalue(), bad_lines


def test_ten_thousand_rows_go_in_with_one_read_and_one_write(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, bad_lines = big_csv(10_000, 2_000)
    path = write(home, "crm.csv", text)
    reads, writes = [], []
    parse, write_atomically = store_module._parse, store_module.write_atomically
    write_pieces = store_module.write_pieces  # the new loops are streamed into the write
    monkeypatch.setattr(store_module, "_parse", lambda *a: reads.append(a) or parse(*a))
    monkeypatch.setattr(
        store_module, "write_atomically", lambda *a: writes.append(a) or write_atomically(*a)
    )
    monkeypatch.setattr(
        store_module, "write_pieces", lambda *a: writes.append(a) or write_pieces(*a)
    )
    result = run("import", path)
    assert (len(reads), len(writes)) == (1, 1)
    assert result.code == 2
    assert result.out == (
        "Imported 9,995 loops: 9,995 added, 0 updated, 0 unchanged; 5 rows with errors were"
        " skipped.\n"
    )
    errors = result.err.splitlines()
    assert errors[:-1] == [
        f"loopcloser: line {line}: due: cannot read 'someday' as a date (e.g. 2026-11-30 17:00,"
        " in your time zone)"
        for line in bad_lines
    ], "one line per bad row, and no progress bar outside a terminal"
    stored = loops_of(home / "loops.json")
    assert len(stored) == 9_995
    again = run("import", path)
    assert again.out == (
        "Imported 9,995 loops: 0 added, 0 updated, 9,995 unchanged; 5 rows with errors were"
        " skipped.\n"
    )
    assert loops_of(home / "loops.json") == stored
    assert run("undo").code == 0
    assert loops_of(home / "loops.json") == {}
