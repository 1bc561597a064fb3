"""The ``loopcloser`` command line: parse arguments, call the core, hand results to render."""

import os
import sys
from collections.abc import Sequence

# isort: off
# Registration order is the order --help lists the commands in: a promise's own verbs first.
from loopcloser.cli import loops  # noqa: F401
from loopcloser.cli import coordination, exchange, history, reminders, reports, setup  # noqa: F401
from loopcloser.cli import hub, sync  # noqa: F401
from loopcloser.cli.app import app

# isort: on

__all__ = ["app", "main"]

# Set by the scripts that --install-completion writes, when the shell asks for candidates.
COMPLETE_VAR = "_LOOPCLOSER_COMPLETE"


def main() -> None:
    """Entry point of the ``loopcloser`` executable."""
    if COMPLETE_VAR in os.environ:
        # A shell asking what to offer on TAB: every command stays registered.
        if os.environ[COMPLETE_VAR].startswith("source_"):  # or for its whole script
            from loopcloser.cli.completion_scripts import print_script

            print_script(app, os.environ[COMPLETE_VAR].removeprefix("source_"))
        from loopcloser.cli.completion import answer

        answer(app)
    build_only_the_command_asked_for(sys.argv[1:])
    app()


def build_only_the_command_asked_for(argv: Sequence[str]) -> None:
    """Keep only the command being run in the app.

    typer inspects the signature of every registered command at each start
    (about 0.25 ms a command), a cost an agent would pay on every command
    typed. Help and a misspelt command still see them all.
    """
    if not argv or argv[0].startswith("-"):
        return
    name = argv[0]
    commands = [
        command
        for command in app.registered_commands
        if (command.name or command.callback.__name__.replace("_", "-")) == name  # type: ignore[union-attr]
    ]
    groups = [group for group in app.registered_groups if group.name == name]
    if commands or groups:
        app.registered_commands = commands
        app.registered_groups = groups
