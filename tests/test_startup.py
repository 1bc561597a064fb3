"""What an everyday command loads at start-up: only what it uses.

Each module named here costs milliseconds on every run (rich ~25 ms, dateutil's
parser ~45 ms, keyring ~30 ms); a read that needs none of them must not pay for them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_e2e import env, loopcloser

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
}


def loaded(env: dict[str, str], *args: str) -> set[str]:
    """The modules the installed program imported to run ``args``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "loopcloser", *args],
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
    heavy = {name: why for name, why in HEAVY.items() if name in modules}
    assert heavy == {}, heavy
    assert Path(env["LOOPCLOSER_STORE"]).is_file()


def test_the_probe_sees_a_heavy_module_when_one_is_used(env: dict[str, str]) -> None:
    assert loopcloser(env, "add", "Maria Rossi", "call back", "--due", "fri 12:00").returncode == 0
    assert "csv" in loaded(env, "export", "--format", "csv")
