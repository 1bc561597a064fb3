"""One bad record never blocks the rest: reads show every other loop and name the bad one,
writes keep it byte for byte, and doctor says how to fix it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run

Add = Callable[..., int]


def break_loop(home: Path, loop_id: int, change: Callable[[dict[str, Any]], None]) -> bytes:
    """Edit one stored loop out of shape, as a hand edit or a newer version would; its JSON."""
    store = home / "loops.json"
    data = json.loads(store.read_bytes())
    change(data["loops"][str(loop_id)])
    store.write_text(json.dumps(data), encoding="utf-8")
    (home / ".loops.json.open").unlink(missing_ok=True)
    return json.dumps(data["loops"][str(loop_id)], separators=(",", ":")).encode()


def no_due(document: dict[str, Any]) -> None:
    del document["due"]


def unknown_event(document: dict[str, Any]) -> None:
    document["events"].append({"kind": "teleported", "at": "2026-11-25T08:00:00Z", "by": "x"})


@pytest.fixture(params=[no_due, unknown_event], ids=["missing-due", "unknown-event"])
def broken(request: pytest.FixtureRequest, run: Run, add: Add, home: Path) -> bytes:
    """Three loops, the second one malformed."""
    for customer in ("Maria Rossi", "ACME", "Li Wei"):
        add(customer, "call back", "--due", "tomorrow")
    return break_loop(home, 2, request.param)


@pytest.mark.parametrize(
    "command",
    [["list"], ["list", "--all"], ["status"], ["export"], ["digest"], ["report"],
     ["customer", "a"]],
)  # fmt: skip
def test_reads_show_every_other_loop_and_name_the_bad_one(
    run: Run, broken: bytes, command: list[str]
) -> None:
    result = run(*command)
    assert result.code == 0, result.err
    assert "loop #2 " in result.err and "malformed" in result.err and "left out" in result.err
    assert "Maria Rossi" in result.out or command[0] in ("status", "report")
    as_json = run(*command, "--json") if command[0] != "export" else run(*command)
    assert as_json.code == 0
    warning = json.loads(as_json.err.splitlines()[0]) if command[0] != "export" else None
    assert warning is None or ("loop #2" in warning["warning"] and warning["hint"])


def test_list_json_leaves_only_the_bad_loop_out(run: Run, broken: bytes) -> None:
    assert [loop["id"] for loop in run("list", "--json").json()] == [1, 3]


def test_writes_keep_the_bad_record_byte_for_byte(
    run: Run, broken: bytes, home: Path, add: Add
) -> None:
    add("Greta", "quote", "--due", "tomorrow")
    assert run("close", "1", "--via", "phone").code == 0
    assert broken in (home / "loops.json").read_bytes()


def test_the_bad_loop_itself_is_refused_with_the_fix(run: Run, broken: bytes) -> None:
    shown = run("show", "2")
    assert shown.code == 5 and "loop #2" in shown.err and "malformed" in shown.err


def test_doctor_names_the_bad_loop_and_fails(run: Run, broken: bytes) -> None:
    doctor = run("doctor", "--json")
    assert doctor.code == 5
    (check,) = [check for check in doctor.json() if check["name"] == "loops"]
    assert not check["ok"] and "#2" in check["detail"] and check["fix"]


def test_remind_still_fires_the_other_loops(run: Run, add: Add, home: Path) -> None:
    add("Maria Rossi", "call back", "--due", "today 11:30", "--remind", "today 10:30")
    add("ACME", "invoice", "--due", "today 11:30", "--remind", "today 10:30")
    break_loop(home, 2, no_due)

    fired = run("remind", "--json", now="2026-11-25T09:45:00Z")

    assert fired.code == 0, fired.err
    assert {reminder["loop_id"] for reminder in fired.json()} == {1}
    assert "loop #2 is malformed" in fired.err
