"""The status file a shell prompt reads: left beside the store by every change and every
remind, true to ``loopcloser status``, saying until when, and never a reason to fail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import NOW, Run, agent_env, need

Add = Callable[..., int]
EXECUTABLE = Path(sys.executable).parent / "loopcloser"
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"
NEVER = 253402300799  # 9999-12-31T23:59:59Z: only a change to the store changes the counts


def epoch(moment: str) -> int:
    return int(datetime.fromisoformat(moment).timestamp())


def moment(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def status_of(folder: Path, store: str = "loops.json") -> tuple[int, str, dict[str, int]]:
    """The status file beside ``store``: until, the words of the status line, every field."""
    first, fields, rest = (folder / f"{store}.status").read_text(encoding="utf-8").split("\n")
    assert rest == ""
    until, _, words = first.partition(" ")
    named = dict(field.split("=") for field in fields.split(" "))
    assert named["until"] == until
    return int(until), words, {name: int(value) for name, value in named.items()}


def agrees_with_status(run: Run, home: Path, now: str = NOW) -> None:
    """The file holds what ``loopcloser status`` says now: the same counts, the same words;
    and both count what ``list --all`` shows, whose flags come from each loop's whole
    history (the counts come from what the index keeps of it)."""
    _, words, fields = status_of(home)
    live = run("status", "--json", now=now).json()
    assert {name: fields[name] for name in live} == live
    assert words == run("status", now=now).out.strip()
    assert fields["taken"] == epoch(now)
    # --all reads every loop from the store itself, and works out flags from histories.
    every = run("list", "--all", "--json", now=now).json()
    listed = [row for row in every if row["state"] in ("open", "waiting", "done")]
    shown = {name: sum(row[name] for row in listed) for name in live if name != "open"}
    assert {**shown, "open": len(listed)} == live


@pytest.fixture
def desk(run: Run, add: Add, home: Path) -> Path:
    """Maria due today and to be updated daily, ACME due Friday, Li Wei waiting on
    Finance until Thursday, Greta's work done but not told."""
    add("Maria Rossi", "call back", "--due", "today 11:00", "--every", "1d")
    add("ACME", "send the corrected invoice")
    add("Li Wei", "confirm the warranty")
    add("Greta Lind", "send the quote")
    assert run("wait", "3", "--on", "Finance", "--until", "thu 12:00").code == 0
    assert run("done", "4", "quote sent").code == 0
    return home


# --- what the file says -------------------------------------------------------------


def test_the_file_is_the_status_line_then_every_count(run: Run, add: Add, home: Path) -> None:
    add("Maria Rossi", "call back", "--due", "today 11:00")

    text = (home / "loops.json.status").read_text(encoding="utf-8")

    until = epoch("2026-11-25T10:00:01Z")  # a second past 11:00 in Rome: overdue
    assert text == (
        f"{until} 1 due today\n"
        "open=1 overdue=0 untold=0 untold_reschedule=0 due_today=1 silent=0 stale_wait=0"
        f" taken={epoch(NOW)} until={until}\n"
    )


def test_all_is_well_leaves_no_words_on_the_first_line(run: Run, add: Add, home: Path) -> None:
    add("Maria Rossi", "call back")
    assert run("close", "1", "told her", "--via", "phone").code == 0
    assert (home / "loops.json.status").read_text(encoding="utf-8").split("\n")[0] == str(NEVER)
    assert run("status").out == ""


@pytest.mark.parametrize(
    ("extra", "changes"),
    [
        # Due Friday 12:00 in Rome: it is due today from midnight in Rome.
        ((), "2026-11-26T23:00:00Z"),
        # Silent once a day has passed without word to the customer.
        (("--every", "1d"), "2026-11-26T09:00:01Z"),
    ],
)
def test_until_is_the_first_moment_the_clock_alone_changes_a_count(
    run: Run, add: Add, home: Path, extra: tuple[str, ...], changes: str
) -> None:
    add("Maria Rossi", "call back", *extra)
    until, _, _ = status_of(home)
    assert until == epoch(changes)
    agrees_with_status(run, home)
    before = run("status", "--json", now=moment(until - 1)).json()
    after = run("status", "--json", now=moment(until)).json()
    assert before == run("status", "--json").json() != after


def test_a_wait_turns_stale_a_second_after_the_party_promised(
    run: Run, add: Add, home: Path
) -> None:
    add("Maria Rossi", "call back", "--due", "mon 12:00")
    assert run("wait", "1", "--on", "Finance", "--until", "today 15:00").code == 0
    assert status_of(home)[0] == epoch("2026-11-25T14:00:01Z")


def test_when_only_a_change_can_change_the_counts_until_is_never(
    run: Run, add: Add, home: Path
) -> None:
    add("Maria Rossi", "call back", "--due", "today 11:00")
    assert run("done", "1", now="2026-11-27T09:00:00Z").code == 0
    until, words, _ = status_of(home)
    assert (until, words) == (NEVER, "1 overdue · 1 untold")


# --- every change leaves it ------------------------------------------------------------

CHANGES = [
    ("add", "Jonas Berg", "send the form", "--due", "tomorrow"),
    ("note", "1", "called Finance"),
    ("contact", "1", "told her it is under way", "--via", "phone"),
    ("edit", "2", "--tag", "vip"),
    ("reschedule", "1", "mon 12:00", "--not-told"),
    ("wait", "2", "--on", "the warehouse"),
    ("resume", "3"),
    ("handoff", "2", "--to", "luca", "--note", "he has the invoice"),
    ("snooze", "1", "2h"),
    ("done", "1", "refund issued"),
    ("close", "4", "told her", "--via", "email"),
    ("cancel", "2", "--reason", "withdrawn"),
    ("reopen", "4", "--reason", "she wants it changed"),
    ("undo",),
]


@pytest.mark.parametrize("change", CHANGES, ids=[change[0] for change in CHANGES])
def test_every_change_leaves_the_counts_of_status(
    run: Run, desk: Path, change: tuple[str, ...]
) -> None:
    (desk / "loops.json.status").unlink()
    result = run(*change)
    assert result.code == 0, result.err
    agrees_with_status(run, desk)


def test_facts_edited_by_hand_in_the_index_change_no_count_nor_flag(run: Run, desk: Path) -> None:
    import json

    counted = run("status", "--json").json()
    listed = run("list", "--json").json()
    index = desk / ".loops.json.open"
    edited = json.loads(index.read_bytes())
    assert sorted(edited["facts"]) == ["1", "2", "3", "4"]
    mark = edited["facts"]["2"][0]
    edited["facts"] = {"1": "garbage", "2": [mark, ["open", "yesterday"]], "3": None, "4": [1]}
    index.write_text(json.dumps(edited, separators=(",", ":")))  # as loopcloser writes it
    assert run("status", "--json").json() == counted
    assert run("list", "--json").json() == listed
    assert run("note", "2", "asked Finance").code == 0
    agrees_with_status(run, desk)


@pytest.mark.parametrize(
    "older",
    [{"facts_form": 1}, {"facts_whole": False}, {"facts_form": None, "facts_whole": None}],
    ids=["another form", "not every loop", "none kept"],
)
def test_an_index_from_another_version_is_counted_from_its_documents(
    run: Run, desk: Path, older: dict[str, object]
) -> None:
    import json

    counted = run("status", "--json").json()
    index = desk / ".loops.json.open"
    head = {**json.loads(index.read_bytes()), **older}
    head = {name: value for name, value in head.items() if value is not None}
    index.write_text(json.dumps(head, separators=(",", ":")))
    assert run("status", "--json").json() == counted
    assert run("note", "2", "asked Finance").code == 0
    agrees_with_status(run, desk)


def test_a_change_counts_at_its_own_moment(run: Run, desk: Path) -> None:
    later = "2026-11-26T10:00:00Z"  # Thursday: Maria is late, silent; ACME due tomorrow
    assert run("note", "2", "asked Finance", now=later).code == 0
    agrees_with_status(run, desk, now=later)
    assert status_of(desk)[1] == "1 overdue · 1 untold · 1 silent"


def test_import_restore_archive_and_forget_leave_it_too(run: Run, desk: Path) -> None:
    exported = desk / "export.jsonl"
    assert run("export", "--format", "jsonl", "-o", str(exported)).code == 0
    other = {"LOOPCLOSER_STORE": str(desk / "other.json")}
    assert run("import", str(exported), env=other).code == 0
    assert status_of(desk, "other.json")[2]["open"] == 4

    evening = "2026-11-25T18:00:00Z"
    for change in [
        ("close", "4", "told her", "--via", "email"),
        ("archive", "--older-than", "1h"),
        ("forget", "ACME", "--yes"),
        ("restore", "2026-11-25"),
    ]:
        (desk / "loops.json.status").unlink()
        result = run(*change, now=evening)
        assert result.code == 0, (change, result.err)
        agrees_with_status(run, desk, now=evening)


def test_a_handoff_in_a_team_leaves_the_givers_counts_only(
    run: Run, team: Path, home: Path
) -> None:
    luca = agent_env(home, "luca")
    assert run("add", "ACME", "send the invoice", "--due", "fri", env=luca).code == 0
    assert run("add", "Maria Rossi", "call back", "--due", "fri").code == 0
    (team / "luca.json.status").unlink()

    assert run("handoff", "1", "--to", "luca", "--note", "she prefers him").code == 0

    assert status_of(team, "anna.json")[2]["open"] == 0
    # luca counts with his own settings, at his own next change or remind.
    assert not (team / "luca.json.status").exists()
    assert run("remind", "--dry-run", env=luca).code == 0
    assert status_of(team, "luca.json")[2]["open"] == 2


def test_remind_leaves_it_even_when_nothing_fires(run: Run, desk: Path) -> None:
    (desk / "loops.json.status").unlink()
    assert run("remind", "--dry-run").code == 0
    agrees_with_status(run, desk)
    friday = "2026-11-27T12:00:00Z"
    assert run("remind", now=friday).code == 0
    agrees_with_status(run, desk, now=friday)
    assert status_of(desk)[2]["overdue"] == 4


def test_reading_commands_leave_nothing(run: Run, desk: Path) -> None:
    (desk / "loops.json.status").unlink()
    for reading in [("list",), ("show", "1"), ("status",), ("digest",), ("export",)]:
        assert run(*reading).code == 0
    assert not (desk / "loops.json.status").exists()


def test_the_file_is_private_and_replaced_whole(run: Run, desk: Path) -> None:
    status = desk / "loops.json.status"
    assert status.stat().st_mode & 0o777 == 0o600
    assert not [name for name in os.listdir(desk) if name.endswith(".tmp")]


# --- never a reason to fail ------------------------------------------------------------


def test_a_status_file_that_cannot_be_written_does_not_fail_the_change(
    run: Run, desk: Path
) -> None:
    status = desk / "loops.json.status"
    status.unlink()
    status.mkdir()  # a folder in its place: nothing can be renamed over it

    result = run("add", "Jonas Berg", "send the form", "--due", "tomorrow")

    assert (result.code, result.err) == (0, "")
    assert result.out == "5\n"
    assert run("show", "5").code == 0
    prompt = {check["name"]: check for check in run("doctor", "--json").json()}["prompt"]
    assert prompt["ok"] is True and "older than the store" in prompt["detail"]


def test_a_failed_write_removes_the_old_counts(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopcloser.storage import status_file

    def refused(target: Path, pieces: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(status_file, "replace_cache", refused)
    result = run("done", "1", "refund issued")
    assert (result.code, result.err) == (0, "")
    assert not (desk / "loops.json.status").exists(), "old counts would show as true"


def test_doctor_says_where_the_prompt_reads(run: Run, desk: Path) -> None:
    prompt = {check["name"]: check for check in run("doctor", "--json").json()}["prompt"]
    assert prompt == {
        "name": "prompt",
        "ok": True,
        "detail": f"{desk / 'loops.json.status'} holds the counts for a shell prompt",
        "fix": None,
    }


# --- the prompt snippets of the guide, in real shells ------------------------------------


def guide_snippet(language: str) -> str:
    """The block of ``language`` in the guide's "In your prompt" section."""
    section = GUIDE.read_text(encoding="utf-8").split("### In your prompt", 1)[1]
    section = section.split("\n## ", 1)[0]
    (block,) = re.findall(rf"^```{language}\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    return str(block)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    return {
        **os.environ,
        "HOME": str(tmp_path),
        "LOOPCLOSER_STORE": str(tmp_path / "loops.json"),
        "LOOPCLOSER_CONFIG": str(config),
        "LOOPCLOSER_NOW": NOW,
    }


def loopcloser(env: dict[str, str], *args: str, now: str = NOW) -> None:
    result = subprocess.run(
        [str(EXECUTABLE), *args],
        env={**env, "LOOPCLOSER_NOW": now},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def prompt_in_bash(env: dict[str, str]) -> str:
    """The prompt bash shows with the guide's snippet in ~/.bashrc (PS1 was '> ')."""
    bash = need("bash")
    script = f'PS1=\'> \'\n{guide_snippet("bash")}\neval "$PROMPT_COMMAND"\nprintf %s "${{PS1@P}}"'
    shown = subprocess.run(
        [bash, "--norc", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert (shown.returncode, shown.stderr) == (0, ""), shown.stderr
    return shown.stdout


def test_the_guides_bash_prompt_shows_the_counts_without_loopcloser(env: dict[str, str]) -> None:
    assert prompt_in_bash(env) == "> ", "no store yet: nothing shown"
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "today 11:00")
    loopcloser(env, "done", "1", "refund issued", now="2026-11-27T09:00:00Z")
    # Late and untold stay so whatever the clock says: the counts hold until a change.
    poisoned = {**env, "PATH": str(Path(env["HOME"]) / "no-programs")}
    assert prompt_in_bash(poisoned) == "1 overdue · 1 untold > "


def test_the_guides_bash_prompt_marks_counts_the_clock_has_overtaken(
    env: dict[str, str],
) -> None:
    # Due Friday: on that day (passed by now on this machine's clock) it became due today.
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00")
    assert prompt_in_bash(env) == "? > "
    loopcloser(env, "add", "ACME", "send the invoice", "--due", "today 11:00")
    assert prompt_in_bash(env) == "1 due today ? > "


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_the_guides_zsh_and_fish_prompts_show_the_same(env: dict[str, str], shell: str) -> None:
    need(shell)
    friday = "2026-11-27T09:00:00Z"
    loopcloser(env, "add", "Maria Rossi", "call back", "--due", "today 11:00")
    loopcloser(env, "done", "1", "refund issued", now=friday)
    loopcloser(env, "add", "ACME", "send the invoice", "--due", "today 12:00", now=friday)
    if shell == "zsh":
        script = f"PS1='> '\n{guide_snippet('zsh')}\n__loopcloser_prompt\nprint -rn -- ${{(%%)PS1}}"
        argv = ["zsh", "-f", "-c", script]
    else:
        script = f"{guide_snippet('fish')}\nemit fish_prompt\nfish_prompt"
        argv = ["fish", "--no-config", "-c", script]
    shown = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert (shown.returncode, shown.stderr) == (0, ""), shown.stderr
    # ACME turned overdue at 12:00 that Friday, long past on this machine's clock.
    assert shown.stdout.startswith("1 overdue · 1 untold · 1 due today ? "), shown.stdout


def test_the_starship_settings_name_the_variable_the_snippets_export() -> None:
    toml = guide_snippet("toml")
    assert "[env_var.LOOPCLOSER_SEGMENT]" in toml
    for language in ("bash", "zsh", "fish"):
        assert "LOOPCLOSER_SEGMENT" in guide_snippet(language)
