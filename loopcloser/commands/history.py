"""Changing the past: undo, and forget (the right to erasure)."""

import sys
from typing import Annotated, Any

import typer

from loopcloser.commands.base import (
    JsonOption,
    StoreOption,
    app,
)
from loopcloser.errors import BadInput
from loopcloser.program import (
    now_moment,
    open_store,
    out,
    settings,
)


@app.command()
def undo(
    show_list: Annotated[
        bool, typer.Option("--list", help="Show what undo would revert, newest first.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revert the most recent change to the store; repeat to step further back.

    Example: loopcloser undo --list
    """
    from loopcloser import undo as journal
    from loopcloser.render import local_time, plain_table, to_json

    conf = settings()
    now = now_moment()
    target = open_store(store, conf)
    if show_list:
        changes = journal.pending(target)
        if as_json:
            out().write(to_json([change_json(change) for change in changes]) + "\n")
        elif changes:
            rows = [
                [change.what, local_time(change.at, conf.tz, now), change.by, change.blocked or ""]
                for change in changes
            ]
            out().write(plain_table([["CHANGE", "WHEN", "BY", "CANNOT BE UNDONE BECAUSE"], *rows]))
        else:
            sys.stderr.write("Nothing to undo.\n")
        return
    reverted = journal.undo(target)
    if as_json:
        out().write(to_json(change_json(reverted)) + "\n")
    else:
        when = local_time(reverted.at, conf.tz, now)
        out().write(f"Undid: {reverted.what} (by {reverted.by}, {when}).\n")


def change_json(change: Any) -> dict[str, Any]:
    """A journalled change for scripts: what, when, by whom, which loops."""
    from loopcloser.model import to_utc_text

    data = {
        "what": change.what,
        "at": to_utc_text(change.at),
        "by": change.by,
        "loop_ids": list(change.loop_ids),
    }
    if hasattr(change, "blocked"):
        data["blocked"] = change.blocked
    return data


@app.command()
def forget(
    customer: Annotated[
        str, typer.Argument(help="The customer's exact name or contact.", metavar="CUSTOMER")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a customer's name, contact and notes from every loop (right to erasure).

    The loops keep their dates and states for statistics. With a team folder,
    every agent's store is scrubbed. The undo journal is cleared.

    Example: loopcloser forget "maria@example.com" --yes
    """
    from loopcloser.erasure import forget as erase
    from loopcloser.render import to_json

    if not yes:
        raise BadInput(
            f"forget erases every trace of '{customer}' and cannot be undone",
            hint="add --yes to confirm",
        )
    conf = settings()
    stores = [open_store(store, conf)]
    if conf.team is not None:
        from loopcloser.team import team_stores

        stores += [open_store(path) for _, path in team_stores(conf.team)]
    unique = list({str(target.path.resolve()): target for target in stores}.values())
    scrubbed = erase(unique, customer)
    if as_json:
        out().write(to_json({"customer": customer, "scrubbed": scrubbed}) + "\n")
    elif scrubbed:
        out().write(f"Forgot {customer}: {scrubbed} loop{'s' * (scrubbed != 1)} scrubbed.\n")
    else:
        out().write(f"No loop belongs to '{customer}' (the name or contact must match exactly).\n")
