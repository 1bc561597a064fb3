"""The ``loopcloser`` command line: parse arguments, call the core, hand results to render.

Each module of commands registers its commands on the app as it is imported. A run
imports only the module of the command asked for; help, a misspelt command and a shell
asking for command names get every module. ``app`` here is the app with every command.
"""

import os
import sys
from collections.abc import Sequence

import typer

from loopcloser.cli import app as program

__all__ = ["app", "main"]  # noqa: F822 (app: from __getattr__, every command registered)

# Set by the scripts that --install-completion writes, when the shell asks for candidates.
COMPLETE_VAR = "_LOOPCLOSER_COMPLETE"

# Registration order is the order --help lists the commands in: a promise's own verbs first.
MODULES = (
    "loops",
    "coordination",
    "exchange",
    "history",
    "reminders",
    "reports",
    "setup",
    "hub",
    "sync",
)
COMMANDS = {
    **dict.fromkeys(
        ("add", "list", "show", "edit", "note", "contact", "done", "close", "cancel", "reopen"),
        "loops",
    ),
    **dict.fromkeys(("wait", "resume", "reschedule", "handoff", "customer"), "coordination"),
    **dict.fromkeys(("export", "import"), "exchange"),
    **dict.fromkeys(("undo", "restore", "forget", "archive"), "history"),
    **dict.fromkeys(("status", "snooze", "remind"), "reminders"),
    **dict.fromkeys(("digest", "report"), "reports"),
    **dict.fromkeys(("demo", "doctor", "config", "secret"), "setup"),
    "hub": "hub",
    "sync": "sync",
}
"""The module whose import registers each command or group (tests/test_startup.py checks it)."""


def __getattr__(name: str) -> typer.Typer:
    """``app``: the typer app with every command registered, as tests and help see it."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    register(None)
    return program.app


def main() -> None:
    """Entry point of the ``loopcloser`` executable."""
    if COMPLETE_VAR in os.environ:
        answer_the_shell(os.environ[COMPLETE_VAR])
    argv = sys.argv[1:]
    register(command_named(argv))
    build_only_the_command_asked_for(argv)
    program.app()


def answer_the_shell(asked: str) -> None:
    """Print the completion script asked for, or the candidates at TAB; then exit."""
    if asked.startswith("source_"):  # a whole script: every command
        from loopcloser.cli.completion_scripts import print_script

        register(None)
        print_script(program.app, asked.removeprefix("source_"))
    from loopcloser.cli.completion import answer, words_typed

    # Values for a command already typed need that command alone; its name, them all.
    typed = words_typed(asked)
    register(command_named(typed))
    build_only_the_command_asked_for(typed)
    answer(program.app)


def command_named(argv: Sequence[str]) -> str | None:
    """The command the first argument names, if it is one: help and options name none."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def register(command: str | None) -> None:
    """Import the module that registers ``command``; every module for None."""
    for name in MODULES if command is None else (COMMANDS[command],):
        # Not importlib.import_module, which python -X importtime does not see.
        __import__(f"loopcloser.cli.{name}")


def build_only_the_command_asked_for(argv: Sequence[str]) -> None:
    """Keep only the command being run in the app.

    typer inspects the signature of every registered command at each start
    (about 0.25 ms a command), a cost an agent would pay on every command
    typed. Help and a misspelt command still see them all.
    """
    if not argv or argv[0].startswith("-"):
        return
    name = argv[0]
    app = program.app
    commands = [
        command
        for command in app.registered_commands
        if (command.name or command.callback.__name__.replace("_", "-")) == name  # type: ignore[union-attr]
    ]
    groups = [group for group in app.registered_groups if group.name == name]
    if commands or groups:
        app.registered_commands = commands
        app.registered_groups = groups
