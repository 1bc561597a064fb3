"""What an everyday command loads at start-up: only what it uses.

Each module named here costs milliseconds on every run (rich ~25 ms, dateutil's
parser ~45 ms, keyring ~30 ms); a read that needs none of them must not pay for them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loopcloser.cli.main import COMMANDS, MODULES
from tests.test_e2e import EXECUTABLE, env, loopcloser

__all__ = ["env"]  # the fixture, shared

HEAVY = {
    "rich": "terminal colours and tables: only a terminal needs them",
    "dateutil": "the fallback date reader: dates in the words we know never need it",
    "keyring": "secrets: only mail and the hub ask for them",
    "platformdirs": "the default folders: a store or config given by path needs none",
    "psycopg": "the team hub: only sync and the hub's readers talk to it",
    "getpass": "the login name: only when no agent is set",
    "csv": "spreadsheets: only CSV export and import",
    "statistics": "the team report's medians",
    "email": "mail: only sending",
    "urllib.request": "webhooks: only sending",
    "tempfile": "its random names: a write makes its own, one call to os.urandom",
    "glob": "a pattern language, where the leftovers of a write are found by name",
}
WRITES_ONLY = {
    "tinydb": "the store's tables: a read through the index needs none",
    "loopcloser.storage.backups": "the daily copies: only writes and restore",
}


def loaded(env: dict[str, str], *args: str) -> set[str]:
    """The modules the installed program imported to run ``args``."""
    # The executable, not -m: typer finds a shell asking for candidates by its name.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(EXECUTABLE), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = [line.rpartition("|")[2].strip() for line in result.stderr.splitlines()]
    return {name for name in names if name and not name.startswith("imported package")}


@pytest.mark.parametrize("args", [("list", "--json"), ("status",), ("status", "--json")])
def test_an_everyday_read_loads_no_heavy_module(env: dict[str, str], args: tuple[str, ...]) -> None:
    for customer in ("Maria Rossi", "ACME"):
        assert loopcloser(env, "add", customer, "call back", "--due", "fri 12:00").returncode == 0
    modules = loaded(env, *args)
    heavy = {name: why for name, why in {**HEAVY, **WRITES_ONLY}.items() if name in modules}
    assert heavy == {}, heavy
    assert Path(env["LOOPCLOSER_STORE"]).is_file()


@pytest.mark.parametrize(
    "args",
    [
        ("add", "Li Wei", "confirm the warranty", "--due", "mon 10:00"),
        ("done", "1", "refund issued"),
        ("close", "2", "told him", "--via", "phone"),
    ],
)
def test_a_daily_write_loads_no_heavy_module(env: dict[str, str], args: tuple[str, ...]) -> None:
    for customer in ("Maria Rossi", "ACME"):
        assert loopcloser(env, "add", customer, "call back", "--due", "fri 12:00").returncode == 0
    modules = loaded(env, *args)
    heavy = {name: why for name, why in HEAVY.items() if name in modules}
    assert heavy == {}, heavy


def test_the_probe_sees_a_heavy_module_when_one_is_used(env: dict[str, str]) -> None:
    assert loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00").returncode == 0
    assert "csv" in loaded(env, "export", "--format", "csv")


def test_a_command_loads_no_other_module_of_commands(env: dict[str, str]) -> None:
    assert loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00").returncode == 0
    for args, own in [(("list", "--json"), "loops"), (("status",), "reminders")]:
        commands = {name for name in loaded(env, *args) if name in COMMAND_MODULES}
        assert commands == {f"loopcloser.cli.{own}"}, args


def test_tab_after_a_command_loads_only_that_command(env: dict[str, str]) -> None:
    assert loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00").returncode == 0
    asking = {"_LOOPCLOSER_COMPLETE": "complete_bash", "COMP_WORDS": "loopcloser done "}
    modules = loaded({**env, **asking, "COMP_CWORD": "2"})
    assert {name for name in modules if name in COMMAND_MODULES} == {"loopcloser.cli.loops"}
    heavy = {name: why for name, why in HEAVY.items() if name in modules}
    assert heavy == {}, heavy
    # A command's own name still comes from every command.
    modules = loaded({**env, **asking, "COMP_WORDS": "loopcloser d", "COMP_CWORD": "1"})
    assert modules >= COMMAND_MODULES


COMMAND_MODULES = {f"loopcloser.cli.{name}" for name in MODULES}

# Imports each module of commands in turn and prints what each one registered.
WHO_REGISTERS = """
import importlib, json
from loopcloser.cli.app import app
from loopcloser.cli.main import MODULES

def names():
    named = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
    groups = {g.name: len(g.typer_instance.registered_commands) for g in app.registered_groups}
    return named, groups

found = {}
for module in MODULES:
    commands, groups = names()
    importlib.import_module(f"loopcloser.cli.{module}")
    after, grown = names()
    for name in after - commands:
        found[name] = module
    for name, count in grown.items():
        if count != groups.get(name):
            found[name] = module
print(json.dumps(found))
"""


def test_each_command_is_imported_from_the_module_that_registers_it() -> None:
    # A run imports only the module main.COMMANDS names: a wrong one is "no such command".
    result = subprocess.run(
        [sys.executable, "-c", WHO_REGISTERS], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == COMMANDS
