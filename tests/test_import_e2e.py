"""import as a shell script uses it: the installed executable, a pipe into ``import -``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.test_e2e import env, loopcloser

__all__ = ["env"]  # the fixture, shared


def test_an_export_piped_into_another_store_brings_every_loop(
    env: dict[str, str], tmp_path: Path
) -> None:
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00")
    loopcloser(env, "add", "ACME", "invoice", "--due", "tomorrow")
    loopcloser(env, "close", "2", "--via", "email")
    exported = loopcloser(env, "export", "--all", "--format", "jsonl").stdout
    other = {"LOOPCLOSER_STORE": str(tmp_path / "other.json")}
    result = loopcloser(env, "import", "-", "--json", stdin=exported, **other)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added_ids"] == [1, 2]
    again = loopcloser(env, "export", "--all", "--format", "jsonl", **other).stdout
    assert again == exported


def test_a_csv_with_a_bad_row_on_stdin_exits_2_and_names_the_line(env: dict[str, str]) -> None:
    csv_text = "customer,promise,due\nMaria,call back,2026-11-30 12:00\nLi Wei,warranty,someday\n"
    result = loopcloser(env, "import", "-", stdin=csv_text)
    assert result.returncode == 2
    assert result.stdout == (
        "Imported 1 loop: 1 added, 0 updated, 0 unchanged; 1 row with errors was skipped.\n"
    )
    assert result.stderr.splitlines()[0].startswith("loopcloser: line 3: due: cannot read")
    assert "Traceback" not in result.stderr
    listed = json.loads(loopcloser(env, "list", "--json").stdout)
    assert [loop["customer"] for loop in listed] == ["Maria"]


@pytest.mark.parametrize("kind", ["json", "jsonl", "csv"])
def test_an_export_of_every_loop_piped_into_an_empty_store_brings_the_same_loops(
    env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    """Two years of an agent's work, out through a pipe and back in another store."""
    import orjson

    from tests.test_bench import generate

    tables, summary = generate.documents(300, seed=9)
    Path(env["LOOPCLOSER_STORE"]).write_bytes(orjson.dumps(tables))
    exported = loopcloser(env, "export", "--all", "--format", kind)
    assert exported.returncode == 0, exported.stderr
    other = {"LOOPCLOSER_STORE": str(tmp_path / "other.json")}
    imported = loopcloser(
        env, "import", "-", "--format", kind, "--json", stdin=exported.stdout, **other
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["added_ids"] == list(range(1, 301))
    again = loopcloser(env, "export", "--all", "--format", kind, **other).stdout
    if kind != "csv":
        assert again == exported.stdout, "every field and the whole history, in the same order"
        return

    # A CSV carries no history: the loops come back with a history of their own, and a
    # loop whose new due the customer was never told is no longer listed by that due.
    def rows(text: str) -> dict[str, dict[str, str]]:
        return {row["id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}

    assert rows(again) == rows(exported.stdout) and len(rows(again)) == summary.loops
