"""Reminders through the commands: status for a prompt, snooze, remind."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Run

Add = Callable[..., int]


def test_status_is_short_and_silent_when_all_is_well(run: Run, add: Add) -> None:
    assert run("status").out == ""
    late = add("Maria", "refund", "--due", "today 11:00")
    told = add("ACME", "invoice", "--due", "2026-12-10")
    add("Li Wei", "warranty", "--due", "2026-12-10")
    run("done", str(told))
    result = run("status", now="2026-11-25T12:00:00Z")
    assert result.out == "1 overdue · 1 untold · 1 due today\n"
    counts = run("status", "--json", now="2026-11-25T12:00:00Z").json()
    assert (counts["open"], counts["overdue"], counts["untold"]) == (3, 1, 1)
    run("close", str(late), now="2026-11-25T12:00:00Z")
    assert run("status", now="2026-11-25T12:00:00Z").out == "1 untold\n"


def test_snooze_silences_reminders_but_keeps_the_due(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", "fri 12:00"))
    result = run("snooze", loop_id, "tomorrow 9am", "--json")
    assert result.code == 0, result.err
    loop = result.json()
    assert loop["snoozed_until"] == "2026-11-26T08:00:00Z"
    assert loop["due"] == "2026-11-27T11:00:00Z"
    assert "snoozed until" in run("show", loop_id).out
    assert run("snooze", loop_id, "today 9:00").code == 2, "a snooze cannot end in the past"
