"""Delivering reminders on this machine: terminal, desktop and the user's command, never a shell."""

from __future__ import annotations

import io
import json
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from loopcloser.core.errors import BadInput, ExitCode
from loopcloser.core.ways_out import Cargo, names
from loopcloser.delivery.notify import DeliveryFailed, ReminderLike, deliver_each, write_reminders
from loopcloser.delivery.ways_out import reminder_sender
from tests.factories import settings

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeReminder:
    loop_id: int
    key: str
    kind: str
    message: str
    at: datetime
    urgency: int = 1


def reminder(loop_id: int, message: str = "Call Rossi back") -> FakeReminder:
    return FakeReminder(loop_id, f"due:{loop_id}", "due", message, AT)


RECORDER = """\
import sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(sys.stdin.read() + "\\n")
"""

FAIL_ON_SECOND = """\
import pathlib, sys
count = pathlib.Path(sys.argv[1])
seen = int(count.read_text()) if count.exists() else 0
count.write_text(str(seen + 1))
if seen >= 1:
    sys.stderr.write("mailbox full\\nmore detail\\n")
    sys.exit(3)
"""


def deliver(reminders: list[FakeReminder], method: str, command: str = "") -> list[ReminderLike]:
    """Deliver as ``remind`` does with these delivery settings."""
    conf = settings(delivery=method, delivery_command=command)
    return deliver_each(reminders, reminder_sender(conf))


def script_command(tmp_path: Path, source: str, *args: str) -> str:
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    return shlex.join([sys.executable, str(script), *args])


def test_terminal_prints_one_line_per_reminder(capsys: pytest.CaptureFixture[str]) -> None:
    delivered = deliver([reminder(1), reminder(2, "Tell Bianchi")], "terminal")
    assert capsys.readouterr().out == "Call Rossi back\nTell Bianchi\n"
    assert len(delivered) == 2


def test_terminal_escapes_control_characters() -> None:
    out = io.StringIO()
    write_reminders([reminder(1, "Evil\x1b[31mRed\nsecond\x07")], out)
    assert out.getvalue() == "Evil\\x1b[31mRed\\nsecond\\x07\n"


def test_command_receives_each_reminder_as_json_on_stdin(tmp_path: Path) -> None:
    received = tmp_path / "received.jsonl"
    command = script_command(tmp_path, RECORDER, str(received))
    rome = timezone(timedelta(hours=1))
    late = FakeReminder(
        7, "overdue:7", "overdue", "Rossi: refund ✓", datetime(2026, 11, 25, 11, 30, tzinfo=rome)
    )
    delivered = deliver([reminder(1), late], "command", command=command)
    assert delivered == [reminder(1), late]
    lines = received.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "at": "2026-11-25T09:00:00Z",
            "key": "due:1",
            "kind": "due",
            "loop_id": 1,
            "message": "Call Rossi back",
        },
        {
            "at": "2026-11-25T10:30:00Z",
            "key": "overdue:7",
            "kind": "overdue",
            "loop_id": 7,
            "message": "Rossi: refund ✓",
        },
    ]
    assert list(json.loads(lines[0])) == sorted(json.loads(lines[0]))


def test_hostile_text_in_a_reminder_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    received = tmp_path / "received.jsonl"
    command = script_command(tmp_path, RECORDER, str(received))
    hostile = [
        reminder(1, "$(touch pwned)"),
        reminder(2, "; touch pwned2"),
        reminder(3, "`touch pwned3` | touch pwned4 && touch pwned5"),
    ]
    deliver(hostile, "command", command=command)
    write_reminders(hostile, io.StringIO())
    assert [json.loads(line)["message"] for line in received.read_text().splitlines()] == [
        "$(touch pwned)",
        "; touch pwned2",
        "`touch pwned3` | touch pwned4 && touch pwned5",
    ]
    for name in ("pwned", "pwned2", "pwned3", "pwned4", "pwned5"):
        assert not (tmp_path / name).exists()
        assert not Path(name).exists()


def test_failing_command_reports_what_was_delivered_before_it(tmp_path: Path) -> None:
    command = script_command(tmp_path, FAIL_ON_SECOND, str(tmp_path / "count"))
    with pytest.raises(DeliveryFailed) as caught:
        deliver([reminder(1), reminder(2), reminder(3)], "command", command=command)
    error = caught.value
    assert error.delivered == [reminder(1)]
    assert "exit code 3" in error.message
    assert "mailbox full" in error.message
    assert "more detail" not in error.message
    assert error.hint
    assert error.exit_code == ExitCode.DELIVERY
    assert error.kind == "delivery"
    assert (tmp_path / "count").read_text() == "2"


def test_missing_command_program_is_a_delivery_failure(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-notifier")
    with pytest.raises(DeliveryFailed, match="no-such-notifier was not found") as caught:
        deliver([reminder(1)], "command", command=shlex.quote(missing))
    assert caught.value.delivered == []


def test_slow_command_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("loopcloser.delivery.notify.TIMEOUT_SECONDS", 0.5)
    command = script_command(tmp_path, "import time\ntime.sleep(10)\n")
    with pytest.raises(DeliveryFailed, match="did not finish"):
        deliver([reminder(1)], "command", command=command)


@pytest.mark.parametrize("command", ["notify 'unclosed", '"', ""])
def test_unreadable_or_empty_command_is_bad_input(command: str) -> None:
    with pytest.raises(BadInput):
        deliver([reminder(1)], "command", command=command)


def test_desktop_without_notify_send_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(DeliveryFailed, match="notify-send is not installed") as caught:
        deliver([reminder(1)], "desktop")
    assert caught.value.hint and "config set delivery terminal" in caught.value.hint
    assert caught.value.delivered == []


def test_desktop_passes_the_message_as_one_argument_after_the_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.jsonl"
    fake = bin_dir / "notify-send"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(calls)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.chdir(tmp_path)
    deliver([reminder(1, "--help $(touch pwned)")], "desktop")
    assert [json.loads(line) for line in calls.read_text().splitlines()] == [
        ["--app-name=loopcloser", "--", "loopcloser", "--help $(touch pwned)"]
    ]
    assert not (tmp_path / "pwned").exists()


def test_unknown_method_lists_every_way_that_carries_reminders() -> None:
    with pytest.raises(BadInput) as caught:
        deliver([reminder(1)], "pigeon")
    assert caught.value.hint == f"use one of: {', '.join(names(Cargo.REMINDERS))}"
    assert "email" in caught.value.hint and "webhook" in caught.value.hint


def test_nothing_to_deliver_needs_no_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert deliver([], "desktop") == []
    assert deliver([], "terminal") == []
