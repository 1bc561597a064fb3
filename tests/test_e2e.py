"""The installed ``loopcloser`` executable, run as a shell script runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

EXECUTABLE = Path(sys.executable).parent / "loopcloser"
OVERDUE_SH = Path(__file__).resolve().parent.parent / "docs" / "scripts" / "overdue.sh"
# As jq's fromdateiso8601 reads a time: whole seconds, UTC.
WHOLE_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
needs_jq = pytest.mark.usefixtures("jq")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    return {
        **os.environ,
        "LOOPCLOSER_STORE": str(tmp_path / "loops.json"),
        "LOOPCLOSER_CONFIG": str(config),
        "LOOPCLOSER_NOW": "2026-11-25T09:00:00Z",
    }


def loopcloser(
    env: dict[str, str], *args: str, stdin: str | None = None, **overrides: str
) -> subprocess.CompletedProcess[str]:
    """Run the installed executable as a script does; ``stdin`` is piped in if given."""
    return subprocess.run(
        [str(EXECUTABLE), *args],
        env={**env, **overrides},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL if stdin is None else None,
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_executable_is_installed() -> None:
    assert EXECUTABLE.exists(), "install the package: pip install -e '.[test]'"


def test_a_promise_from_add_to_close_as_a_script_sees_it(env: dict[str, str]) -> None:
    added = loopcloser(
        env, "add", "Maria Rossi", "call back about the refund", "--due", "fri 12:00"
    )
    assert (added.returncode, added.stdout) == (0, "1\n")
    assert loopcloser(env, "done", "1", "refund issued").returncode == 0
    untold = as_json(loopcloser(env, "list", "--json"))
    assert [(loop["id"], loop["untold"]) for loop in untold] == [(1, True)]
    closed = as_json(loopcloser(env, "close", "1", "called her", "--via", "phone", "--json"))
    assert (closed["state"], closed["outcome"]) == ("closed", "kept")
    late_now = {"LOOPCLOSER_NOW": "2026-11-28T09:00:00Z"}
    shown = as_json(loopcloser(env, "show", "1", "--json", **late_now))
    assert [event["kind"] for event in shown["events"]] == ["created", "done", "closed"]
    assert shown["due"] == "2026-11-27T11:00:00Z"
    assert loopcloser(env, "list", "--json", **late_now).stdout == "[]\n"


def test_python_dash_m_runs_the_same_program(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loopcloser", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("loopcloser ")


def test_exit_codes_scripts_can_branch_on(env: dict[str, str]) -> None:
    loopcloser(env, "add", "Maria", "call back", "--due", "tomorrow")
    loopcloser(env, "cancel", "1", "--reason", "withdrawn")
    assert loopcloser(env, "add", "Maria", "call", "--due", "someday").returncode == 2
    assert loopcloser(env, "show", "99").returncode == 3
    assert loopcloser(env, "close", "1").returncode == 4
    Path(env["LOOPCLOSER_STORE"]).write_text("not json", encoding="utf-8")
    broken = loopcloser(env, "list")
    assert broken.returncode == 5
    assert "Traceback" not in broken.stderr
    assert Path(env["LOOPCLOSER_STORE"]).read_text(encoding="utf-8") == "not json"


def test_shell_metacharacters_are_stored_as_text(env: dict[str, str], tmp_path: Path) -> None:
    name = "$(touch pwned); `rm -rf x` | 'Rossi' \"&\" ; 💥 \u202ename"
    loopcloser(env, "add", name, "call back; echo hi", "--due", "tomorrow")
    assert as_json(loopcloser(env, "show", "1", "--json"))["customer"] == name
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


def test_the_store_is_private_to_its_owner(env: dict[str, str]) -> None:
    loopcloser(env, "add", "Maria", "call back", "--due", "tomorrow")
    assert Path(env["LOOPCLOSER_STORE"]).stat().st_mode & 0o777 == 0o600


WORKER = """
import subprocess, sys
for n in range(int(sys.argv[2])):
    command = [sys.argv[1], "add", f"{sys.argv[3]} {n}", "call back", "--due", "tomorrow"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr)
"""


def test_two_processes_adding_at_once_lose_nothing(env: dict[str, str]) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(EXECUTABLE), "100", label],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for label in ("first", "second")
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors
    loops = as_json(loopcloser(env, "list", "--json"))
    assert len(loops) == 200
    assert sorted(loop["id"] for loop in loops) == list(range(1, 201))
    customers = {loop["customer"] for loop in loops}
    assert customers == {f"{label} {n}" for label in ("first", "second") for n in range(100)}


def test_without_a_store_option_the_user_data_directory_is_used(
    env: dict[str, str], tmp_path: Path
) -> None:
    del env["LOOPCLOSER_STORE"]
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    assert loopcloser(env, "add", "Maria", "call back", "--due", "tomorrow").returncode == 0
    store = tmp_path / "data" / "loopcloser" / "loops.json"
    assert store.exists()
    assert store.parent.stat().st_mode & 0o777 == 0o700
    assert [loop["customer"] for loop in as_json(loopcloser(env, "list", "--json"))] == ["Maria"]


EDITOR = """
import subprocess, sys
for n in range(int(sys.argv[2])):
    done = subprocess.run([sys.argv[1], "edit", "1", "--tag", f"{sys.argv[3]}{n}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr)
"""


def test_two_edits_at_once_keep_both_tags(env: dict[str, str]) -> None:
    loopcloser(env, "add", "Maria", "call back", "--due", "tomorrow")
    workers = [
        subprocess.Popen([sys.executable, "-c", EDITOR, str(EXECUTABLE), "25", label], env=env)
        for label in ("a", "b")
    ]
    assert [worker.wait(timeout=300) for worker in workers] == [0, 0]
    tags = as_json(loopcloser(env, "show", "1", "--json"))["tags"]
    assert sorted(tags) == sorted(f"{label}{n}" for label in "ab" for n in range(25))


def test_bytes_that_are_not_utf8_are_bad_input(env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(EXECUTABLE), "add", b"Ros\xffsi", "call back", "--due", "tomorrow"],
        env=env,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 2
    assert b"not valid UTF-8" in result.stderr
    assert not Path(env["LOOPCLOSER_STORE"]).exists()


def test_a_closed_stdout_does_not_turn_a_saved_change_into_a_failure(env: dict[str, str]) -> None:
    result = subprocess.run(
        f"'{EXECUTABLE}' add Maria 'call back' --due tomorrow >&-",
        shell=True,  # only to close stdout the way a script does; no user text involved
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(as_json(loopcloser(env, "list", "--json"))) == 1


def test_the_core_imports_no_cli_terminal_or_storage_library() -> None:
    probe = (
        "import sys, loopcloser.core.model, loopcloser.core.when\n"
        "print(sorted({'typer', 'rich', 'tinydb'} & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_team_handoff_and_customer_history_as_scripts_see_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    del env["LOOPCLOSER_STORE"]
    env["LOOPCLOSER_TEAM"] = str(team)
    luca_config = tmp_path / "luca.toml"
    luca_config.write_text('agent = "luca"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    luca = {"LOOPCLOSER_CONFIG": str(luca_config)}
    loopcloser(env, "add", "ACME", "invoice", "--due", "tomorrow", **luca)
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00",
               "--contact", "maria@example.com")  # fmt: skip
    moved = as_json(loopcloser(env, "handoff", "1", "--to", "luca", "--note", "call her", "--json"))
    assert (moved["id"], moved["owner"]) == (2, "luca")
    assert as_json(loopcloser(env, "list", "--json")) == []
    history = as_json(loopcloser(env, "customer", "MARIA@example.com", "--json"))
    assert [(loop["agent"], loop["id"]) for loop in history["loops"]] == [("luca", 2)]
    assert [event["kind"] for event in history["timeline"]] == ["created", "handoff"]
    blocked = loopcloser(env, "undo")
    assert blocked.returncode == 4
    assert "handed off" in blocked.stderr


COMMANDS = ["add", "list", "show", "edit", "note", "contact", "wait", "resume", "reschedule",
            "handoff", "customer", "done", "close", "cancel", "reopen", "undo", "forget",
            "demo", "config"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_help_when_run_alone(env: dict[str, str], command: str) -> None:
    result = loopcloser(env, command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"loopcloser {command}" in result.stdout


def test_a_misspelt_command_suggests_the_right_one(env: dict[str, str]) -> None:
    result = loopcloser(env, "lst")
    assert result.returncode == 2
    assert "Did you mean 'list'?" in result.stderr


SLOW_DELIVERY = """
import sys, time
sys.stdin.read()
time.sleep(float(sys.argv[2]))
with open(sys.argv[1], "a") as delivered:
    delivered.write("x\\n")
"""


def slow_delivery(env: dict[str, str], tmp_path: Path, seconds: float) -> Path:
    script = tmp_path / "deliver.py"
    script.write_text(SLOW_DELIVERY, encoding="utf-8")
    log = tmp_path / "delivered.txt"
    config = Path(env["LOOPCLOSER_CONFIG"])
    config.write_text(
        config.read_text(encoding="utf-8")
        + 'delivery = "command"\n'
        + f'delivery_command = "{sys.executable} {script} {log} {seconds}"\n',
        encoding="utf-8",
    )
    return log


def reminded_count(env: dict[str, str]) -> int:
    loops = [as_json(loopcloser(env, "show", str(n), "--json")) for n in (1, 2, 3)]
    return sum(event["kind"] == "reminded" for loop in loops for event in loop["events"])


def test_two_remind_runs_at_once_fire_each_reminder_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    for name in ("A", "B", "C"):
        loopcloser(env, "add", name, "call back", "--due", "today 11:00")
    log = slow_delivery(env, tmp_path, 0.3)
    later = {**env, "LOOPCLOSER_NOW": "2026-11-25T10:30:00Z"}
    runs = [subprocess.Popen([str(EXECUTABLE), "remind"], env=later) for _ in range(2)]
    assert [run.wait(timeout=60) for run in runs] == [0, 0]
    assert len(log.read_text(encoding="utf-8").splitlines()) == 3
    assert reminded_count(later) == 3


def test_a_slow_delivery_does_not_block_the_agent(env: dict[str, str], tmp_path: Path) -> None:
    for name in ("A", "B", "C"):
        loopcloser(env, "add", name, "call back", "--due", "today 11:00")
    log = slow_delivery(env, tmp_path, 2)
    later = {**env, "LOOPCLOSER_NOW": "2026-11-25T10:30:00Z", "LOOPCLOSER_LOCK_TIMEOUT": "1"}
    reminding = subprocess.Popen([str(EXECUTABLE), "remind"], env=later)
    while not log.exists():  # the first reminder is delivered; the second is on its way
        assert reminding.poll() is None
        time.sleep(0.05)
    added = loopcloser(later, "add", "D", "call back", "--due", "tomorrow")
    assert added.returncode == 0, added.stderr
    reminding.terminate()
    assert reminding.wait(timeout=30) == 128 + 15
    delivered = len(log.read_text(encoding="utf-8").splitlines())
    assert delivered == 1
    # Only what was delivered stays fired; what the stop cut short fires next time.
    assert reminded_count(later) == delivered
    assert len(as_json(loopcloser(later, "remind", "--dry-run", "--json"))) == 3 - delivered


def test_a_loop_closed_long_ago_is_archived_and_still_shown(env: dict[str, str]) -> None:
    october = {**env, "LOOPCLOSER_NOW": "2026-10-01T09:00:00Z"}
    added = loopcloser(october, "add", "Maria Rossi", "call back", "--due", "fri 12:00")
    loopcloser(october, "done", added.stdout.strip())
    loopcloser(october, "close", added.stdout.strip(), "told her", "--via", "phone")

    archived = loopcloser(env, "archive", "--json")

    assert archived.returncode == 0, archived.stderr
    assert as_json(archived)["archived"] == 1
    shown = loopcloser(env, "show", "1", "--json")
    assert shown.returncode == 0 and as_json(shown)["state"] == "closed"
    assert as_json(loopcloser(env, "list", "--json")) == []


def test_an_agent_name_with_a_control_character_is_refused(env: dict[str, str]) -> None:
    refused = loopcloser(env, "config", "set", "agent", "an\rna")
    assert refused.returncode == 2 and "control characters" in refused.stderr


# --- words for --since, and whole-second times -------------------------------------------------


def test_report_since_7_days_ago_works_and_since_tomorrow_is_refused(env: dict[str, str]) -> None:
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00")
    report = loopcloser(env, "report", "--since", "7 days ago", "--json")
    assert as_json(report)["since"] == "2026-11-17T23:00:00Z"  # Wednesday 18 November in Rome
    refused = loopcloser(env, "report", "--since", "tomorrow")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.startswith("loopcloser: 'tomorrow' means ")
    assert refused.stderr.count("\n") == 1 and "still to come" in refused.stderr


def on_the_real_clock(env: dict[str, str]) -> dict[str, str]:
    """The environment with now unpinned, and loopcloser on the PATH for scripts."""
    clock = {name: value for name, value in env.items() if name != "LOOPCLOSER_NOW"}
    return {**clock, "PATH": f"{EXECUTABLE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_times_made_from_the_real_clock_are_whole_seconds(env: dict[str, str]) -> None:
    clock = on_the_real_clock(env)
    added = as_json(loopcloser(clock, "add", "Maria Rossi", "call back", "--due", "2h", "--json"))
    for field in ("created", "due", "expected_due", "last_contact"):
        assert WHOLE_SECOND.fullmatch(added[field]), f"{field}: {added[field]}"
    loopcloser(clock, "note", "1", "asked Finance")
    shown = as_json(loopcloser(clock, "show", "1", "--json"))
    times = [event["at"] for event in shown["events"]]
    assert len(times) == 2 and all(WHOLE_SECOND.fullmatch(at) for at in times), times
    stored = Path(clock["LOOPCLOSER_STORE"]).read_text(encoding="utf-8")
    assert not re.search(r"[0-9]{2}:[0-9]{2}:[0-9]{2}[.,][0-9]", stored), "nothing finer is kept"


@needs_jq
def test_overdue_sh_reads_a_store_written_on_the_real_clock(env: dict[str, str]) -> None:
    clock = on_the_real_clock(env)
    loopcloser(clock, "add", "Maria Rossi", "call back", "--due", "2h")
    late = loopcloser(clock, "add", "ACME", "send the credit note", "--due", "1 hour ago",
                      "--allow-past")  # fmt: skip
    assert late.returncode == 0, late.stderr
    listed = subprocess.run(
        [str(OVERDUE_SH)], env=clock, capture_output=True, text=True, check=False
    )
    assert (listed.returncode, listed.stderr) == (0, "")
    (line,) = listed.stdout.splitlines()
    assert line.startswith("#2\tACME\tsend the credit note\t")


def test_a_store_written_with_fractions_of_a_second_prints_and_exports_whole_seconds(
    env: dict[str, str], tmp_path: Path
) -> None:
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "2h")
    store = Path(env["LOOPCLOSER_STORE"])
    older = re.sub(r'(T[0-9:]{8})Z"', r'\1.654321Z"', store.read_text(encoding="utf-8"))
    assert ".654321Z" in older
    store.write_text(older, encoding="utf-8")

    shown = as_json(loopcloser(env, "show", "1", "--json"))
    assert (shown["due"], shown["events"][0]["at"]) == (
        "2026-11-25T11:00:00Z",
        "2026-11-25T09:00:00Z",
    )
    backup = tmp_path / "backup.json"
    assert loopcloser(env, "export", "--format", "json", "-o", str(backup)).returncode == 0
    elsewhere = {"LOOPCLOSER_STORE": str(tmp_path / "elsewhere.json")}
    imported = loopcloser(env, "import", str(backup), **elsewhere)
    assert imported.returncode == 0, imported.stderr
    (copy,) = as_json(loopcloser(env, "list", "--json", **elsewhere))
    assert copy["due"] == "2026-11-25T11:00:00Z"
    if shutil.which("jq"):
        late = {**on_the_real_clock(env), "LOOPCLOSER_NOW": "2026-11-25T12:00:00Z"}
        listed = subprocess.run(
            [str(OVERDUE_SH)], env=late, capture_output=True, text=True, check=False
        )
        assert (listed.returncode, listed.stderr) == (0, "")
        assert listed.stdout.startswith("#1\tMaria Rossi\tcall back\t")
