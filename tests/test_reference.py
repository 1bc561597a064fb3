"""docs/cli.md is the help of every command; this fails when it falls behind the code.

Rewrite it after a change with: LOOPCLOSER_UPDATE_GOLDEN=1 python -m pytest tests/test_reference.py
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from typer.testing import CliRunner

from loopcloser.cli.main import app

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
HEADER = """# Command reference

Every command's `--help`, as loopcloser prints it. This page is generated
from the code and checked by the test suite, so it cannot go stale; the
[guide](guide.md) shows the commands at work.
"""


def command_paths() -> list[list[str]]:
    """Every command and sub-command, in the order --help lists them."""
    group = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        for sub in getattr(command, "commands", {}):
            paths.append([name, sub])
    return paths


def reference() -> str:
    """The whole page: one section per command, its help as printed at 100 columns."""
    runner = CliRunner()
    sections = [HEADER]
    for path in command_paths():
        result = runner.invoke(
            app, [*path, "--help"], env={"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
        )
        assert result.exit_code == 0, result.output
        text = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        title = " ".join(["loopcloser", *path])
        sections.append(f"## {title}\n\n```text\n{text.strip()}\n```\n")
    return "\n".join(sections)


def test_the_command_reference_is_up_to_date() -> None:
    page = reference()
    if os.environ.get("LOOPCLOSER_UPDATE_GOLDEN"):
        REFERENCE.write_text(page, encoding="utf-8")
    assert REFERENCE.read_text(encoding="utf-8") == page, (
        "docs/cli.md is stale: LOOPCLOSER_UPDATE_GOLDEN=1 python -m pytest tests/test_reference.py"
    )


def test_every_command_is_in_the_guide_or_the_reference() -> None:
    guide = (REFERENCE.parent / "guide.md").read_text(encoding="utf-8")
    missing = [path for path in command_paths()[1:] if f"loopcloser {path[0]}" not in guide]
    assert missing == [], f"not shown in docs/guide.md: {missing}"
