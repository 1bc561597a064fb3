"""The options and arguments every command shares, and what TAB offers for them."""

# No ``from __future__ import annotations`` in the command modules: typer would then
# evaluate every command's string annotations at each start (~7 ms).

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer


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
IdsArgument = Annotated[
    list[str],
    typer.Argument(
        help="The loops' ids (42, #42) or ranges (5-7), then the text if you like.",
        show_default=False,
        metavar="ID... [TEXT]",
        autocompletion=completes("loop_ids"),
    ),
]
TextOption = Annotated[
    str | None,
    typer.Option(
        "--text",
        "-m",
        help="The text, where it could pass for an id: --text 3.",
        show_default=False,
    ),
]
