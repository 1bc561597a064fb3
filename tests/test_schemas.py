"""Every command's JSON keeps to the schemas in docs/schema (the contract for scripts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.conftest import Run

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schema"
Add = Callable[..., int]


def validator(name: str) -> Draft202012Validator:
    resources = [
        (schema["$id"], Resource.from_contents(schema))
        for schema in (json.loads(path.read_text()) for path in SCHEMAS.glob("*.schema.json"))
    ]
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return Draft202012Validator(schema, registry=Registry().with_resources(resources))


def valid(name: str, data: Any) -> None:
    errors = sorted(validator(name).iter_errors(data), key=str)
    assert errors == [], [f"{list(error.path)}: {error.message}" for error in errors]


@pytest.fixture
def busy(run: Run, add: Add) -> None:
    """A store with a loop in every state and every kind of history."""
    add("Maria Rossi", "call back", "--due", "today 11:00", "--contact", "maria@example.com",
        "--every", "1d", "--remind", "today 10:30", "--tag", "billing")  # fmt: skip
    add("ACME", "invoice", "--due", "tomorrow")
    add("Li Wei", "warranty", "--due", "fri 12:00")
    add("Greta", "quote", "--due", "fri 12:00")
    run("wait", "3", "--on", "Finance", "--until", "thu 12:00")
    run("done", "2", "invoice issued")
    run("reschedule", "1", "fri 17:00", "--not-told")
    run("cancel", "4", "--reason", "withdrawn")
    run("snooze", "2", "tomorrow 9am")


CASES = [
    ("list", ["list", "--all"]),
    ("list", ["list", "--overdue"]),
    ("loop", ["show", "1"]),
    ("loop", ["show", "3"]),
    ("loop", ["note", "1", "a note"]),
    ("loop", ["contact", "1", "told her", "--via", "phone"]),
    ("loop", ["close", "2", "--via", "email"]),
    ("loop", ["edit", "1", "--tag", "vip"]),
    ("digest", ["digest"]),
    ("report", ["report"]),
    ("loop", ["add", "Jonas Berg", "confirm the router", "--due", "fri"]),
    ("loop", ["done", "1", "approved"]),
    ("loop", ["cancel", "1", "--reason", "withdrawn"]),
    ("loop", ["reopen", "4", "--reason", "asked again"]),
    ("loop", ["wait", "1", "--on", "Legal"]),
    ("loop", ["resume", "3"]),
    ("loop", ["reschedule", "1", "mon 12:00", "--told", "--via", "phone"]),
    ("loop", ["handoff", "1", "--to", "luca", "--note", "over to you"]),
    ("loop", ["snooze", "1", "tomorrow 9am"]),
    ("customer", ["customer", "maria"]),
    ("change", ["undo"]),
    ("change", ["undo", "--list"]),
    ("forget", ["forget", "Li Wei", "--yes"]),
    ("archive", ["archive"]),
    ("status", ["status"]),
    ("list", ["demo"]),
    ("doctor", ["doctor"]),
    ("config", ["config", "get", "agent"]),
    ("config", ["config", "set", "agent", "bruno"]),
    ("config", ["config", "list"]),
]


@pytest.mark.parametrize(("schema", "args"), CASES)
def test_command_json_keeps_to_its_schema(
    run: Run, busy: None, schema: str, args: list[str]
) -> None:
    result = run(*args, "--json", now="2026-11-25T12:00:00Z")
    # doctor exits 1 when it finds a problem: its JSON is the same either way.
    assert result.code == 0 or args == ["doctor"], result.err
    valid(schema, result.json())


def test_every_command_with_json_output_is_checked_against_a_schema() -> None:
    import typer.main

    from loopcloser.cli.main import app

    checked = {" ".join(args[:2] if args[0] == "config" else args[:1]) for _, args in CASES}
    checked.add("remind")  # test_reminders_keep_to_their_schema
    checked.add("restore")  # test_restore_keeps_to_its_schemas
    checked |= {"hub init", "hub add-agent", "hub agents"}  # test_hub.test_hub_commands_*
    checked |= {"sync", "hub reassign"}  # test_sync: *_keeps_to_its_schema, *_reassigns_*
    checked.add(
        "import"
    )  # test_import_cli.test_json_output_lists_the_errors_and_keeps_to_its_schema
    group = typer.main.get_command(app)
    with_json = set()
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None) or {None: command}
        for sub, leaf in subcommands.items():
            if any("--json" in param.opts for param in leaf.params):
                with_json.add(name if sub is None else f"{name} {sub}")
    assert with_json - checked == set()


def test_exports_keep_to_the_loop_schema_with_events(run: Run, busy: None) -> None:
    whole = run("export", "--all", "--format", "json")
    valid("list", whole.json())
    assert all(loop["events"] for loop in whole.json())
    lines = run("export", "--all", "--format", "jsonl").out.splitlines()
    assert len(lines) == 4
    for line in lines:
        valid("loop", json.loads(line))


def test_reminders_keep_to_their_schema(run: Run, busy: None) -> None:
    result = run("remind", "--json", now="2026-11-27T12:00:00Z")
    assert result.json(), "something fired"
    for reminder in result.json():
        valid("reminder", reminder)


@pytest.mark.parametrize(
    "args",
    [["show", "99"], ["add", "M", "p", "--due", "someday"], ["close", "4"], ["add", "x"]],
)
def test_errors_keep_to_their_schema(run: Run, busy: None, args: list[str]) -> None:
    result = run(*args, "--json")
    assert result.code != 0
    valid("error", json.loads(result.err))


def test_every_schema_is_a_valid_schema_with_a_version() -> None:
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        assert "/schema/1/" in schema["$id"] and "schema version 1" in schema["title"]


def test_restore_keeps_to_its_schemas(run: Run, busy: None) -> None:
    # The next day's first change keeps a copy of the store as the day found it.
    assert run("note", "1", "next day", now="2026-11-26T09:00:00Z").code == 0
    listed = run("restore", "--list", "--json")
    valid("copies", listed.json())
    assert listed.json(), "a copy was kept"
    restored = run("restore", "2026-11-26", "--json", now="2026-11-26T10:00:00Z")
    assert restored.code == 0, restored.err
    valid("restore", restored.json())
    valid("copies", run("restore", "--list", "--json").json())


# --- warnings on stderr -------------------------------------------------------------------


def warnings_in(stderr: str) -> list[dict[str, Any]]:
    """Every line of stderr under --json, each checked against the warning schema."""
    lines = [json.loads(line) for line in stderr.splitlines()]
    for line in lines:
        valid("warning", line)
    return lines


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("late_reminder", ["add", "Jonas", "router", "--due", "fri 12:00", "--remind", "sat 9:00"]),
        ("answer_after_due", ["wait", "1", "--on", "Legal", "--until", "mon 12:00"]),
        ("due_in_snooze", ["snooze", "1", "sat 9:00"]),
        ("unseen_delivery", ["remind", "--install", "cron"]),
    ],
)
def test_warnings_keep_to_their_schema(run: Run, busy: None, kind: str, args: list[str]) -> None:
    result = run(*args, "--json", now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    assert [warning["kind"] for warning in warnings_in(result.err)] == [kind]


def test_records_passed_over_are_warnings_that_keep_to_their_schema(
    run: Run, busy: None, home: Path
) -> None:
    from tests.test_bad_records import break_loop, no_due

    break_loop(home, 2, no_due)
    (home / "loops.archive.json").write_text("garbage", encoding="utf-8")
    result = run("list", "--all", "--json", now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    valid("list", result.json())
    warnings = warnings_in(result.err)
    assert sorted(warning["kind"] for warning in warnings) == ["malformed_loop", "unreadable_file"]
    malformed = next(warning for warning in warnings if warning["kind"] == "malformed_loop")
    assert "loop #2" in malformed["warning"] and malformed["hint"], "the old keys stay"


def test_warnings_before_an_error_keep_each_to_its_schema(run: Run, team: Path) -> None:
    assert run("add", "Maria Rossi", "call back", "--due", "fri 12:00").code == 0
    (team / "bob.json").write_text("garbage", encoding="utf-8")
    result = run("forget", "Maria Rossi", "--yes", "--json")
    assert result.code == 5
    *warnings, error = result.err.splitlines()
    valid("error", json.loads(error))
    assert [warning["kind"] for warning in warnings_in("\n".join(warnings))] == ["not_erased"]


def test_a_script_reads_warnings_from_the_installed_program(run: Run) -> None:
    """The executable run as a script runs it: data on stdout, a JSON warning a line on stderr."""
    import subprocess

    from tests.test_e2e import EXECUTABLE

    added = subprocess.run(
        [str(EXECUTABLE), "add", "Zoë", "call back", "--due", "fri 12:00", "--remind", "sat 9am",
         "--json"],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    valid("loop", json.loads(added.stdout))
    (warning,) = warnings_in(added.stderr)
    assert warning["kind"] == "late_reminder" and "after the due" in warning["warning"]


def test_every_warning_kind_is_in_the_schema_and_the_docs() -> None:
    from loopcloser.core.errors import WARNING_KINDS

    schema = json.loads((SCHEMAS / "warning.schema.json").read_text())
    assert schema["properties"]["kind"]["enum"] == list(WARNING_KINDS)
    docs = (SCHEMAS.parent / "json.md").read_text(encoding="utf-8")
    warnings = docs.split("## Warnings", 1)[1].split("\n## ", 1)[0]
    assert [kind for kind in WARNING_KINDS if f"`{kind}`" not in warnings] == []
