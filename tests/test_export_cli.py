"""export for scripts and spreadsheets: JSON, JSON Lines and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

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
