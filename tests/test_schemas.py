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


@pytest.mark.parametrize(
    ("schema", "args"),
    [
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
    ],
)
def test_command_json_keeps_to_its_schema(
    run: Run, busy: None, schema: str, args: list[str]
) -> None:
    result = run(*args, "--json", now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    valid(schema, result.json())


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
