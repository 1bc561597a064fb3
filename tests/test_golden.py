"""Whole-output comparisons of the digest and the report on a fixed team and clock.

Run with LOOPCLOSER_UPDATE_GOLDEN=1 to rewrite the files after a deliberate change,
then read the diff before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import Run, agent_env

GOLDEN = Path(__file__).with_name("golden")
NOW = "2026-11-25T12:00:00Z"  # Wednesday, 13:00 in Rome
AGENTS = ("anna", "bruno", "carla", "dario", "elena")


@pytest.fixture
def team(team: Path, run: Run, home: Path) -> Path:
    """Five agents' stores, each with its own mix of promises, and one corrupt store."""
    for number, agent in enumerate(AGENTS):
        env = agent_env(home, agent)

        def act(*args: str, at: str, env: dict[str, str] = env) -> None:
            result = run(*args, now=at, env=env)
            assert result.code == 0, result.err

        act("add", f"Customer {agent.title()} A", "call back about the refund", "--due",
            "2026-11-24 12:00", "--every", "1d", at="2026-11-20T09:00:00Z")  # fmt: skip
        act("add", f"Customer {agent.title()} B", "send the corrected invoice", "--due",
            "2026-11-25 17:00", at="2026-11-23T09:00:00Z")  # fmt: skip
        act("add", f"Customer {agent.title()} C", "confirm the delivery date", "--due",
            "2026-11-24 10:00", at="2026-11-22T09:00:00Z")  # fmt: skip
        act("close", "3", "told them", "--via", "phone",
            at=f"2026-11-24T0{8 + number % 2}:30:00Z")  # fmt: skip
        if number % 2:
            act("done", "2", "invoice issued", at="2026-11-25T08:00:00Z")
        if number == 2:
            act("wait", "1", "--on", "Finance", "--until", "2026-11-25 09:00",
                at="2026-11-21T09:00:00Z")  # fmt: skip
    (team / "zeno.json").write_text("{not json", encoding="utf-8")
    return team


def without_uids(text: str) -> str:
    """JSON with each loop's random uid replaced, so a golden file can hold it."""
    return re.sub(r'"uid": "[0-9a-f-]{36}"', '"uid": "UID"', text)


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LOOPCLOSER_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; see the module docstring"


@pytest.mark.parametrize("form", ["", "--markdown", "--html", "--json"])
def test_digest_golden(run: Run, team: Path, home: Path, form: str) -> None:
    env = {"LOOPCLOSER_CONFIG": str(home / "carla.toml")}
    result = run("digest", *([form] if form else []), now=NOW, env=env)
    assert result.code == 0, result.err
    check(f"digest{form.replace('--', '.') or '.txt'}", without_uids(result.out))


@pytest.mark.parametrize("form", ["", "--csv", "--markdown", "--html", "--json"])
def test_report_golden(run: Run, team: Path, form: str) -> None:
    args = ["report", "--since", "2026-11-20", *([form] if form else [])]
    result = run(*args, now=NOW, env={"COLUMNS": "80"})
    assert result.code == 5, "the corrupt store makes the report incomplete: " + result.err
    assert "zeno.json" in result.err, "the corrupt store is named"
    check(f"report{form.replace('--', '.') or '.txt'}", without_uids(result.out))
