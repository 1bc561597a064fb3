"""Shared fixtures: a private store, config and pinned clock for every CLI test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from tests.test_secrets import MemoryKeyring

from loopcloser.cli.main import app

# Wednesday 25 November 2026, 10:00 in Rome.
NOW = "2026-11-25T09:00:00Z"


@dataclass
class Outcome:
    """What a command did: exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Outcome]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private store and config, the agent 'anna' in Rome, and now pinned."""
    config = tmp_path / "config.toml"
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    monkeypatch.setenv("LOOPCLOSER_STORE", str(tmp_path / "loops.json"))
    monkeypatch.setenv("LOOPCLOSER_CONFIG", str(config))
    monkeypatch.setenv("LOOPCLOSER_NOW", NOW)
    monkeypatch.delenv("LOOPCLOSER_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture
def run(home: Path) -> Iterator[Run]:
    """Run loopcloser in-process through typer's runner; ``now=`` moves the clock."""
    runner = CliRunner()

    def invoke(
        *args: str,
        now: str | None = None,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Outcome:
        overrides = {**(env or {}), **({"LOOPCLOSER_NOW": now} if now else {})}
        result = runner.invoke(app, list(args), env=overrides or None, input=stdin)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    yield invoke


@pytest.fixture
def add(run: Run) -> Callable[..., int]:
    """Add a loop and return its id."""

    def adding(customer: str = "Maria Rossi", promise: str = "call back", *extra: str) -> int:
        if "--due" not in extra:
            extra = (*extra, "--due", "fri 12:00")
        result = run("add", customer, promise, *extra)
        assert result.code == 0, result.err
        return int(result.out)

    return adding


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The OS keyring replaced by one in memory for the test."""
    import keyring

    from tests.test_secrets import MemoryKeyring as Memory

    previous = keyring.get_keyring()
    backend = Memory()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def team(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team folder (each agent's store is AGENT.json in it) and no LOOPCLOSER_STORE."""
    folder = home / "team"
    folder.mkdir()
    monkeypatch.delenv("LOOPCLOSER_STORE")
    monkeypatch.setenv("LOOPCLOSER_TEAM", str(folder))
    return folder


def agent_env(home: Path, agent: str) -> dict[str, str]:
    """What to run a command with to act as another agent, in Rome like anna."""
    config = home / f"{agent}.toml"
    config.write_text(f'agent = "{agent}"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    return {"LOOPCLOSER_CONFIG": str(config)}
