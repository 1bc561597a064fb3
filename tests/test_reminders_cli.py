"""Reminders through the commands: status for a prompt, snooze, remind."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

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


def test_export_ics_round_trips_through_the_icalendar_parser(
    run: Run, add: Add, home: Path
) -> None:
    add("Maria, Rossi; 💥", "call back", "--due", "fri 12:00", "--remind", "thu 9:00")
    add("ACME", "invoice", "--due", "tomorrow")
    closed = add("Done Ltd", "call", "--due", "tomorrow")
    run("close", str(closed))
    target = home / "loops.ics"
    result = run("export", "--ics", "--output", str(target))
    assert result.code == 0, result.err
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == 2, "open loops only"
    maria = next(event for event in events if "Maria" in str(event["SUMMARY"]))
    assert str(maria["SUMMARY"]).startswith("Maria, Rossi; 💥")
    assert maria.decoded("DTSTART") == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    triggers = [alarm.decoded("TRIGGER") for alarm in maria.walk("VALARM")]
    assert timedelta(0) in triggers, "an alarm at the due"
    assert sorted(moment for moment in triggers if isinstance(moment, datetime)) == [
        datetime(2026, 11, 26, 8, 0, tzinfo=UTC),  # the --remind time, Thursday 9:00
        datetime(2026, 11, 27, 9, 0, tzinfo=UTC),  # 2 working hours before Friday 12:00
    ]
    run("config", "set", "remind_at_due", "no")
    run("config", "set", "remind_before", "off")
    run("export", "--ics", "--output", str(target))
    quiet = icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert sum(len(event.walk("VALARM")) for event in quiet) == 1, "only the --remind time"
    assert run("export", "--format", "xml").code == 2


def fired(run: Run, now: str, *args: str) -> list[str]:
    result = run("remind", "--json", *args, now=now)
    assert result.code == 0, result.err
    return [reminder["key"].split(":")[0] for reminder in result.json()]


def test_each_reminder_fires_once_through_a_working_week(run: Run, add: Add) -> None:
    # Wednesday 10:00: due Thursday noon, an update every day, remind Thursday 9:00.
    loop_id = str(add("Maria", "refund", "--due", "thu 12:00", "--every", "1d",
                      "--remind", "thu 9:00"))  # fmt: skip
    assert fired(run, "2026-11-25T10:00:00Z") == []
    assert fired(run, "2026-11-26T08:00:00Z") == ["remind"]  # Thu 9:00 Rome
    # A day without news, and two hours to go.
    assert fired(run, "2026-11-26T09:30:00Z") == ["silent", "before"]
    assert fired(run, "2026-11-26T09:45:00Z") == []
    assert fired(run, "2026-11-26T11:00:00Z") == ["due"]
    assert fired(run, "2026-11-27T08:00:00Z") == ["overdue"]  # Friday morning
    assert fired(run, "2026-11-27T15:00:00Z") == ["silent"]  # a second day without news
    assert fired(run, "2026-11-27T15:05:00Z") == []
    run("contact", loop_id, "sorry, Monday", "--via", "phone", now="2026-11-27T15:00:00Z")
    run("done", loop_id, now="2026-11-27T15:00:00Z")
    assert fired(run, "2026-11-27T19:30:00Z") == ["untold"]  # done 4h ago, still not told
    kinds = [event["kind"] for event in run("show", loop_id, "--json").json()["events"]]
    assert kinds.count("reminded") == 7


def test_a_machine_off_for_two_days_fires_each_missed_reminder_once(run: Run, add: Add) -> None:
    add("Maria", "refund", "--due", "thu 12:00")
    # Off from Wednesday to Monday: before, due and two mornings came and went;
    # this morning's overdue reminder says it once.
    assert fired(run, "2026-11-30T10:00:00Z") == ["overdue"]
    assert fired(run, "2026-11-30T10:05:00Z") == []


def test_dry_run_fires_nothing(run: Run, add: Add) -> None:
    add("Maria", "refund", "--due", "today 11:00")
    assert "due now" in run("remind", "--dry-run", now="2026-11-25T10:00:00Z").out
    assert fired(run, "2026-11-25T10:00:00Z", "--dry-run") == ["due"]
    assert fired(run, "2026-11-25T10:00:00Z") == ["due"]


def test_a_snooze_holds_then_lets_go(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", "today 11:00"))
    run("snooze", loop_id, "today 15:00")
    assert fired(run, "2026-11-25T11:00:00Z") == []
    assert fired(run, "2026-11-25T14:01:00Z") == ["due"]


def test_the_user_command_gets_json_and_no_shell(
    run: Run, add: Add, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = home / "collect.py"
    inbox = home / "inbox.jsonl"
    append = f"with open({str(inbox)!r}, 'a', encoding='utf-8') as f:"
    script.write_text(f"import sys\n{append} f.write(sys.stdin.read() + '\\n')\n", "utf-8")
    run("config", "set", "delivery", "command")
    run("config", "set", "delivery_command", f"{sys.executable} {script}")
    monkeypatch.chdir(home)
    add("$(touch pwned); `touch pwned2`", "call | touch pwned3", "--due", "today 11:00")
    result = run("remind", now="2026-11-25T10:00:00Z")
    assert result.code == 0, result.err
    received = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    assert [reminder["kind"] for reminder in received] == ["due"]
    assert "$(touch pwned)" in received[0]["message"]
    assert not any(home.glob("pwned*"))


def test_a_failed_delivery_exits_non_zero_and_fires_again_next_time(run: Run, add: Add) -> None:
    run("config", "set", "delivery", "command")
    run("config", "set", "delivery_command", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    add("Maria", "refund", "--due", "today 11:00")
    result = run("remind", now="2026-11-25T10:00:00Z")
    assert result.code == 6
    assert "loopcloser:" in result.err
    run("config", "set", "delivery", "terminal")
    assert "5m late: refund" in run("remind", now="2026-11-25T10:05:00Z").out


def test_install_with_terminal_delivery_is_refused_or_warned_about(run: Run) -> None:
    printed = run("remind", "--install", "cron")
    assert printed.code == 0 and "log nobody reads" in printed.err
    assert run("remind", "--install", "cron", "--write").code == 2
    assert run("remind", "--write").code == 2


def test_install_prints_a_cron_line_with_the_store(run: Run, home: Path) -> None:
    run("config", "set", "delivery", "desktop")
    line = run("remind", "--install", "cron", "--every", "10").out
    assert line.startswith("*/10 * * * * ")
    assert str(home / "loops.json") in line and "remind" in line
    units = run("remind", "--install", "systemd").out
    assert "OnCalendar=*:0/5" in units and "Persistent=true" in units
    assert run("remind", "--install", "launchd").code == 2


def test_install_systemd_writes_the_units_under_xdg_config_home(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("config", "set", "delivery", "desktop")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    monkeypatch.setenv("PATH", str(home / "no-bin"))  # no systemctl: the commands are shown
    result = run("remind", "--install", "systemd", "--write")
    assert result.code == 0, result.err
    units = home / "xdg" / "systemd" / "user"
    assert sorted(path.name for path in units.iterdir()) == [
        "loopcloser-remind.service",
        "loopcloser-remind.timer",
    ]
    assert "systemctl is not on PATH" in result.err


def test_edit_replaces_or_removes_the_reminders(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", "fri 12:00", "--remind", "thu 9:00"))
    changed = run("edit", loop_id, "--remind", "fri 9:00", "--remind", "thu 15:00", "--json")
    assert changed.json()["remind"] == ["2026-11-26T14:00:00Z", "2026-11-27T08:00:00Z"]
    assert run("edit", loop_id, "--remind", "off", "--json").json()["remind"] == []
    assert run("edit", loop_id, "--remind", "off").code == 2, "nothing left to change"


def test_undo_does_not_make_a_fired_reminder_fire_again(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", "today 11:00"))
    run("note", loop_id, "asked Finance", now="2026-11-25T09:30:00Z")
    assert fired(run, "2026-11-25T10:00:00Z") == ["due"]
    assert run("undo", now="2026-11-25T10:01:00Z").out.startswith(f"Undid: note #{loop_id}")
    assert fired(run, "2026-11-25T10:02:00Z") == []
    kinds = [event["kind"] for event in run("show", loop_id, "--json").json()["events"]]
    assert kinds == ["created", "reminded"]


def test_catching_up_says_each_kind_once(run: Run, add: Add) -> None:
    run("config", "set", "remind_before", "8h,2h,30m")
    loop_id = str(add("Maria", "refund", "--due", "thu 12:00",
                      "--remind", "today 15:00", "--remind", "thu 9:00"))  # fmt: skip
    # Off from Wednesday 10:00 until Thursday 11:40: everything before came due at once.
    said = run("remind", now="2026-11-26T10:40:00Z").out.splitlines()
    assert len(said) == 2, said
    assert any("reminder:" in line for line in said) and any("due in 20m" in line for line in said)
    assert fired(run, "2026-11-26T10:45:00Z") == []
    kinds = [event["kind"] for event in run("show", loop_id, "--json").json()["events"]]
    assert kinds.count("reminded") == 5, "the ones not said are still recorded"


def test_snooze_off_and_a_warning_when_the_due_falls_inside(run: Run, add: Add) -> None:
    loop_id = str(add("Maria", "refund", "--due", "thu 12:00"))
    long = run("snooze", loop_id, "2026-12-10")
    assert long.code == 0 and "warning" in long.err and "due" in long.err
    lifted = run("snooze", loop_id, "off", "--json")
    assert lifted.code == 0, lifted.err
    assert lifted.json()["snoozed_until"] is None


def test_a_reminder_after_the_due_is_warned_about(run: Run) -> None:
    result = run("add", "Maria", "refund", "--due", "thu 12:00", "--remind", "wed 15:00")
    assert result.code == 0
    assert "comes after the due" in result.err


def test_status_counts_every_kind_of_trouble(run: Run, add: Add) -> None:
    silent = str(add("Northwind", "credit", "--due", "2026-12-10", "--every", "1d"))
    waiting = str(add("Li Wei", "warranty", "--due", "2026-12-10"))
    moved = str(add("ACME", "invoice", "--due", "2026-12-10"))
    run("wait", waiting, "--on", "Finance", "--until", "thu 12:00")
    run("reschedule", moved, "2026-12-15", "--not-told")
    later = "2026-11-27T09:00:00Z"
    counts = run("status", "--json", now=later).json()
    assert (counts["silent"], counts["stale_wait"], counts["untold_reschedule"]) == (1, 1, 1)
    assert run("status", now=later).out == "1 untold reschedule · 1 silent · 1 stale wait\n"
    run("contact", silent, "still on it", "--via", "email", now=later)
    assert run("status", "--json", now=later).json()["silent"] == 0
