"""The typer app, the options every command shares, and how a change is reported."""

# No ``from __future__ import annotations`` in the command modules: typer would then
# evaluate every command's string annotations at each start (~7 ms).

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loopcloser import __version__
from loopcloser.cli.program import (
    LoopGroup,
    is_terminal,
    now_moment,
    open_store,
    out,
    parse_id,
    settings,
)
from loopcloser.core.model import Event, Flags, Kind, Loop, derive

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings

app = typer.Typer(
    cls=LoopGroup,
    name="loopcloser",
    help="Track the promises you make to customers until the customer has been told.",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Read and change your settings (name, time zone, working hours).")
app.add_typer(config_app, name="config")


def show_version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        sys.stdout.write(f"loopcloser {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Track the promises you make to customers until the customer has been told.

    A loop is closed only when the customer has been told.
    """
    help_when_bare(context)


def help_when_bare(context: typer.Context) -> None:
    """A group typed with no command shows its help, like ``--help``."""
    if context.invoked_subcommand is None:
        sys.stdout.write(context.get_help() + "\n")


@config_app.callback(invoke_without_command=True)
def config_root(context: typer.Context) -> None:
    """Read and change your settings (name, time zone, working hours)."""
    help_when_bare(context)


# --- shared options and plumbing ---------------------------------------------


def completes(name: str) -> Callable[[typer.Context, str], list[Any]]:
    """What the shell offers for a value: ``loopcloser.cli.completion.<name>``, imported lazily.

    Only a shell asking for candidates loads that module; a failing completion offers nothing.
    """

    def complete(context: typer.Context, incomplete: str) -> list[Any]:
        from loopcloser.cli import completion

        return completion.quietly(getattr(completion, name), context, incomplete)

    return complete


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="LOOPCLOSER_STORE",
        help="Store file (default: LOOPCLOSER_STORE, else your user data directory).",
        show_default=False,
        # The store reports a file it cannot read (exit 5) better than a usage error would.
        readable=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
IdArgument = Annotated[
    str,
    typer.Argument(
        help="The loop's id, e.g. 42 or #42.",
        show_default=False,
        metavar="ID",
        autocompletion=completes("loop_ids"),
    ),
]
ViaOption = Annotated[
    str | None,
    typer.Option(
        "--via",
        help="Channel: phone, email, chat, social, in-person, video, sms, letter.",
        autocompletion=completes("channels"),
    ),
]


def emit_loop(loop: Loop, now: datetime, conf: "Settings", as_json: bool, summary: str) -> None:
    """After a change: the loop as JSON, or one line saying what happened."""
    if as_json:
        from loopcloser.render.tables import loop_json, to_json

        out().write(to_json(loop_json(loop, derive(loop, now, conf.tz, conf.cadence))) + "\n")
    else:
        out().write(summary + "\n")


def record(
    store_path: Path | None,
    loop_id: str,
    kind: Kind,
    as_json: bool,
    summary: str | Callable[[Loop], str],
    changes: Callable[[Loop], dict[str, Any]] | None = None,
    *,
    conf: "Settings | None" = None,
    now: datetime | None = None,
    **fields: Any,
) -> Loop:
    """Apply one event of ``kind`` to a loop and report it; shared by the simple verbs.

    ``changes`` works out field changes from the loop as it is under the store's lock,
    so two edits at once never undo each other. A command that has read the settings
    and the clock already passes them on, so they are read once.
    """
    from loopcloser.services import loops as actions

    conf = conf or settings()
    now = now or now_moment()
    target = parse_id(loop_id)

    def event_for(loop: Loop) -> Event:
        changed = {} if changes is None else changes(loop)
        return Event(kind=kind, at=now, by=conf["agent"], changes=changed, **fields)

    loop = actions.change(open_store(store_path, conf), target, event_for)
    flags = derive(loop, now, conf.tz, conf.cadence)
    said = summary(loop) if callable(summary) else summary.format(loop=loop, flags=flags)
    emit_loop(loop, now, conf, as_json, said)
    return loop


def print_rows(
    rows: list[tuple[Loop, Flags]], now: datetime, conf: "Settings", as_json: bool
) -> bool:
    """Loops as a JSON array or a table; False when there was nothing to show a person."""
    from loopcloser.render.tables import loop_json, print_list, to_json

    if as_json:
        out().write(to_json([loop_json(loop, flags) for loop, flags in rows]) + "\n")
        return True
    if rows:
        print_list(rows, now, conf.tz, out(), is_terminal())
    return bool(rows)
