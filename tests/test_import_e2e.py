"""import as a shell script uses it: the installed executable, a pipe into ``import -``."""

from __future__ import annotations

import json
from pathlib import Path

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
