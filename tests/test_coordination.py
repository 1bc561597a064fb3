"""Waiting on others, honest rescheduling and the three outcomes, through the commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run

Add = Callable[..., int]

# The customer is promised Thursday 26 November, 12:00 in Rome (11:00 UTC).
THURSDAY_NOON = "thu 12:00"


def flags(run: Run, loop_id: int, now: str) -> dict[str, object]:
    result = run("show", str(loop_id), "--json", now=now)
    assert result.code == 0, result.err
    data: dict[str, object] = result.json()
    return data


def test_wait_and_resume_keep_the_loop_ours(run: Run, add: Add) -> None:
    loop_id = add("Maria", "refund", "--due", "fri 12:00")
    waited = run("wait", str(loop_id), "--on", "Finance", "--until", "thu 12:00", "approval?")
    assert waited.code == 0, waited.err
    listed = run("list", "--json").json()
    assert listed[0]["state"] == "waiting"
    assert listed[0]["waiting_on"] == {"party": "Finance", "until": "2026-11-26T11:00:00Z"}
    assert run("list", "--waiting-on", "finance", "--json").json()[0]["id"] == loop_id
    assert run("list", "--waiting-on", "warehouse", "--json").json() == []
    resumed = run("resume", str(loop_id), "approved", "--json").json()
    assert (resumed["state"], resumed["waiting_on"]) == ("open", None)


def test_a_wait_past_its_until_is_stale(run: Run, add: Add) -> None:
    loop_id = add("Maria", "refund", "--due", "2026-12-10")
    run("wait", str(loop_id), "--on", "Finance", "--until", "thu 12:00")
    assert flags(run, loop_id, "2026-11-26T10:59:00Z")["stale_wait"] is False
    assert flags(run, loop_id, "2026-11-26T11:01:00Z")["stale_wait"] is True
    stale = run("list", "--stale", "--json", now="2026-11-26T11:01:00Z").json()
    assert [loop["id"] for loop in stale] == [loop_id]
    assert "stale wait" in run("list", now="2026-11-26T11:01:00Z").out


def test_a_wait_ending_after_the_customers_due_is_warned_about(run: Run, add: Add) -> None:
    loop_id = add("Maria", "refund", "--due", THURSDAY_NOON)
    result = run("wait", str(loop_id), "--on", "Finance", "--until", "fri 12:00")
    assert result.code == 0
    assert "warning: Finance is due to answer" in result.err
    assert "reschedule" in result.err
    quiet = run("wait", str(loop_id), "--on", "Finance", "--until", "thu 9:00")
    assert "warning" not in quiet.err


def test_reschedule_needs_to_say_whether_the_customer_was_told(run: Run, add: Add) -> None:
    loop_id = add("Maria", "refund", "--due", THURSDAY_NOON)
    for args in ([], ["--told", "--not-told"]):
        refused = run("reschedule", str(loop_id), "mon 12:00", *args)
        assert refused.code == 2
        assert "--told" in refused.err and "--not-told" in refused.err
    assert run("show", str(loop_id), "--json").json()["due"] == "2026-11-26T11:00:00Z"


def test_an_untold_reschedule_stays_flagged_until_a_contact(run: Run, add: Add) -> None:
    loop_id = add("Maria", "refund", "--due", THURSDAY_NOON)
    moved = run("reschedule", str(loop_id), "mon 12:00", "--not-told")
    assert "still expects the old date" in moved.out
    loop = flags(run, loop_id, "2026-11-25T12:00:00Z")
    assert loop["untold_reschedule"] is True
    assert loop["due"] == "2026-11-30T11:00:00Z"
    assert loop["expected_due"] == "2026-11-26T11:00:00Z", "the customer still expects Thursday"
    # Thursday afternoon: the customer was promised noon and heard nothing.
    assert flags(run, loop_id, "2026-11-26T12:00:00Z")["overdue"] is True
    run("contact", str(loop_id), "told her Monday", "--via", "phone", now="2026-11-26T12:00:00Z")
    after = flags(run, loop_id, "2026-11-26T13:00:00Z")
    assert after["untold_reschedule"] is False
    assert after["expected_due"] == "2026-11-30T11:00:00Z"
    assert after["overdue"] is False
    events = run("show", str(loop_id), "--json").json()["events"]
    rescheduled = next(event for event in events if event["kind"] == "rescheduled")
    assert rescheduled["told"] is False
    created = events[0]
    assert created["changes"]["due"] == "2026-11-26T11:00:00Z", "the original due stays"


@pytest.mark.parametrize(
    ("steps", "outcome"),
    [
        # closed before Thursday noon: the promise was kept
        ([("close", "2026-11-26T10:00:00Z")], "kept"),
        # closed after it, with no word to the customer: late
        ([("close", "2026-11-26T15:00:00Z")], "late"),
        # told on Wednesday of a Monday date, closed on Friday: renegotiated
        ([("told", "2026-11-25T10:00:00Z"), ("close", "2026-11-27T10:00:00Z")], "renegotiated"),
        # told only on Friday, after Thursday noon had passed: still late
        ([("told", "2026-11-27T09:00:00Z"), ("close", "2026-11-27T10:00:00Z")], "late"),
        # moved without telling, then a contact on Wednesday: the customer knew in time
        (
            [
                ("untold", "2026-11-25T10:00:00Z"),
                ("contact", "2026-11-25T11:00:00Z"),
                ("close", "2026-11-27T10:00:00Z"),
            ],
            "renegotiated",
        ),
        # moved without telling, never told: late
        ([("untold", "2026-11-25T10:00:00Z"), ("close", "2026-11-27T10:00:00Z")], "late"),
    ],
    ids=["kept", "late", "renegotiated", "told-too-late", "told-by-contact", "never-told"],
)
def test_the_three_outcomes_as_time_passes(
    run: Run, add: Add, steps: list[tuple[str, str]], outcome: str
) -> None:
    loop_id = str(add("Maria", "refund", "--due", THURSDAY_NOON))
    commands = {
        "close": ["close", loop_id, "--via", "phone"],
        "told": ["reschedule", loop_id, "2026-11-30 12:00", "--told", "--via", "phone"],
        "untold": ["reschedule", loop_id, "2026-11-30 12:00", "--not-told"],
        "contact": ["contact", loop_id, "new date is Monday", "--via", "phone"],
    }
    for step, moment in steps:
        result = run(*commands[step], now=moment)
        assert result.code == 0, (step, result.err)
    assert flags(run, int(loop_id), "2026-12-01T09:00:00Z")["outcome"] == outcome


def test_list_filters_for_untold_silent_and_text(run: Run, add: Add) -> None:
    done = add("ACME", "send invoice", "--due", "2026-12-10")
    silent = add("Northwind", "outage credit", "--due", "2026-12-10", "--every", "1d")
    noted = add("Li Wei", "warranty", "--due", "2026-12-10")
    run("done", str(done))
    run("note", str(noted), "supplier ticket SUP-77")
    later = "2026-11-27T09:00:00Z"

    def ids(*args: str) -> list[int]:
        return [loop["id"] for loop in run("list", "--json", *args, now=later).json()]

    assert ids("--untold") == [done]
    assert ids("--silent") == [silent]
    assert ids("--grep", "sup-77") == [noted]
    assert ids("--grep", "northwind") == [silent]
    assert ids("--grep", "invoice") == [done]


def test_undo_of_a_close_reopens_the_loop_as_it_was(run: Run, add: Add) -> None:
    loop_id = add("Maria", "refund")
    before = run("show", str(loop_id), "--json").json()
    assert run("close", str(loop_id), "called her").code == 0
    listed = run("undo", "--list", "--json").json()
    assert [change["what"] for change in listed] == [f"closed #{loop_id}", f"added #{loop_id}"]
    undone = run("undo")
    assert undone.code == 0, undone.err
    assert undone.out.startswith(f"Undid: closed #{loop_id}")
    assert run("show", str(loop_id), "--json").json() == before
    assert run("undo").out.startswith(f"Undid: added #{loop_id}")
    assert run("show", str(loop_id)).code == 3
    nothing = run("undo")
    assert nothing.code == 2 and "nothing to undo" in nothing.err
    assert add("ACME", "invoice") == loop_id + 1, "an undone id is never handed out again"


def test_forget_needs_yes_and_leaves_no_trace_in_any_file(run: Run, add: Add, home: Path) -> None:
    maria = add("Maria Rossi", "refund", "--contact", "maria.rossi@example.com")
    other = add("ACME", "invoice")
    run("note", str(maria), "Maria Rossi called about her double charge")
    run("edit", str(maria), "--customer", "Maria Rossi-Bianchi")
    refused = run("forget", "maria rossi-bianchi")
    assert refused.code == 2 and "--yes" in refused.err
    result = run("forget", "MARIA.ROSSI@example.com", "--yes", "--json")
    assert result.json() == {
        "customer": "MARIA.ROSSI@example.com",
        "scrubbed": 1,
        "mentions": 0,
        "failed": [],
    }
    for file in home.iterdir():
        if file.is_file():
            content = file.read_bytes()
            for trace in (b"Maria", b"maria.rossi", b"double charge", b"Rossi"):
                assert trace not in content, (file.name, trace)
    kept = run("show", str(maria), "--json").json()
    assert (kept["customer"], kept["contact"], kept["state"]) == ("(forgotten)", None, "open")
    assert kept["due"] == "2026-11-27T11:00:00Z"
    assert run("show", str(other), "--json").json()["customer"] == "ACME"
    assert run("undo").code == 2, "undo cannot bring the data back"
    assert "No loop belongs" in run("forget", "Maria Rossi", "--yes").out


def test_a_finished_wait_leaves_no_party_behind(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund"))
    run("wait", loop_id, "--on", "Finance")
    done = run("done", loop_id, "--json").json()
    assert done["waiting_on"] is None
    assert run("list", "--waiting-on", "Finance", "--json").json() == []


def test_after_an_untold_reschedule_today_is_still_the_customers_day(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", "today 17:00"))
    run("reschedule", loop_id, "mon 12:00", "--not-told")
    loop = run("list", "--json").json()[0]
    assert loop["due_today"] is True
    assert [row["id"] for row in run("list", "--due-before", "tomorrow", "--json").json()] == [1]
    assert [row["id"] for row in run("list", "--untold-reschedule", "--json").json()] == [1]


def test_a_past_until_says_what_to_do_without_a_missing_option(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund"))
    for args in (["wait", loop_id, "--on", "Finance", "--until", "today 9:00"],
                 ["reschedule", loop_id, "today 9:00", "--told"]):  # fmt: skip
        result = run(*args)
        assert result.code == 2
        assert "--allow-past" not in result.err


def test_the_wait_warning_is_json_under_json(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", THURSDAY_NOON))
    result = run("wait", loop_id, "--on", "Fin\x1b[31mance", "--until", "fri 12:00", "--json")
    assert json.loads(result.err)["warning"].startswith("Fin\x1b[31mance is due")
    plain = run("wait", loop_id, "--on", "Fin\x1b[31mance", "--until", "fri 12:00")
    assert "\x1b" not in plain.err and "warning" in plain.err


def test_handing_a_loop_to_its_owner_changes_nothing(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund"))
    assert run("handoff", loop_id, "--to", "anna", "--note", "x").code == 2
    assert run("handoff", loop_id, "--to", "lu\nca", "--note", "x").code == 2
    events = run("show", loop_id, "--json").json()["events"]
    assert [event["kind"] for event in events] == ["created"]
