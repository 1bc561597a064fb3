"""Backups a user can restore: a copy of the store each day, the last 7 kept, and restore."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Run

Add = Callable[..., int]
DAY1, DAY2 = "2026-11-24T09:00:00Z", "2026-11-25T09:00:00Z"


def customers(run: Run) -> list[str]:
    return [loop["customer"] for loop in run("list", "--all", "--json").json()]


def two_days(run: Run) -> None:
    """Maria on the first day; ACME on the second, whose first write keeps a copy."""
    assert run("add", "Maria Rossi", "call back", "--due", "fri 12:00", now=DAY1).code == 0
    assert run("add", "ACME", "invoice", "--due", "fri 12:00", now=DAY2).code == 0


def test_the_first_change_of_a_day_keeps_the_store_as_the_day_found_it(
    run: Run, home: Path
) -> None:
    two_days(run)
    listed = run("restore", "--list", "--json").json()
    # The first day's first write made the store: there was nothing to keep yet.
    assert [(copy["key"], copy["daily"], copy["loops"]) for copy in listed] == [
        ("2026-11-25", True, 1)
    ]
    backups = home / ".backups"
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    for copy in backups.iterdir():
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_restore_brings_a_day_back_and_keeps_the_store_it_replaced(run: Run) -> None:
    two_days(run)

    restored = run("restore", "2026-11-25", "--json", now=DAY2)

    assert restored.code == 0, restored.err
    data = restored.json()
    assert data["restored"] == "2026-11-25"
    assert data["kept"] == "before-restore-2026-11-25T090000Z"
    assert customers(run) == ["Maria Rossi"]
    # The restore itself can be undone from the copy it kept.
    assert run("restore", data["kept"]).code == 0
    assert sorted(customers(run)) == ["ACME", "Maria Rossi"]


def test_restore_says_what_it_did_in_words(run: Run) -> None:
    two_days(run)
    said = run("restore", "2026-11-25", now=DAY2)
    assert said.out == (
        "Restored the copy of 2026-11-25; the store as it was is kept as"
        " before-restore-2026-11-25T090000Z.\n"
    )
    table = run("restore", "--list").out
    assert "2026-11-25" in table and "before a restore" in table


def test_only_the_last_seven_days_are_kept(run: Run, home: Path) -> None:
    for day in range(10, 20):
        now = f"2026-11-{day}T09:00:00Z"
        assert run("add", f"Customer {day}", "call back", "--due", "in 30 days", now=now).code == 0
    keys = [copy["key"] for copy in run("restore", "--list", "--json").json()]
    assert keys == [f"2026-11-{day}" for day in range(19, 12, -1)]


def test_an_unknown_day_is_not_found_and_names_the_copies(run: Run) -> None:
    two_days(run)
    missing = run("restore", "2026-01-01")
    assert missing.code == 3
    assert "2026-11-25" in missing.err and "restore --list" in missing.err
    assert run("restore").code == 2
    assert run("restore", "2026-11-25", "--list").code == 2


def test_a_broken_store_is_restored_and_doctor_points_there(run: Run, home: Path) -> None:
    two_days(run)
    store = home / "loops.json"
    store.write_text('{"loops": {"1": ', encoding="utf-8")  # a torn hand edit

    doctor = run("doctor", "--json")
    (check,) = [check for check in doctor.json() if check["name"] == "store"]
    assert not check["ok"] and "loopcloser restore --list" in check["fix"]

    assert run("restore", "2026-11-25").code == 0
    assert customers(run) == ["Maria Rossi"]
    kept = [copy for copy in run("restore", "--list", "--json").json() if not copy["daily"]]
    assert kept[0]["loops"] is None, "the broken file is kept as it was, unreadable"


def test_a_copy_that_is_not_a_whole_store_is_refused(run: Run, home: Path) -> None:
    two_days(run)
    (home / ".backups" / "loops.json.2026-11-25").write_text("{oops", encoding="utf-8")
    before = (home / "loops.json").read_bytes()
    assert run("restore", "2026-11-25").code == 5
    assert (home / "loops.json").read_bytes() == before


def test_forget_scrubs_the_copies_too(run: Run, home: Path) -> None:
    assert run("add", "Maria Rossi", "call back", "--due", "fri 12:00", now=DAY1).code == 0
    assert run("note", "1", "Maria Rossi prefers mornings", now=DAY2).code == 0
    assert any(b"Maria" in copy.read_bytes() for copy in (home / ".backups").iterdir())

    assert run("forget", "Maria Rossi", "--yes").code == 0

    for copy in (home / ".backups").iterdir():
        assert b"Maria" not in copy.read_bytes(), copy.name
        json.loads(copy.read_bytes())  # still a whole store
