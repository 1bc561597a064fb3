"""sync: this store and the team hub; and the quiet sync that remind and handoff run."""

from __future__ import annotations

import sys
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from loopcloser.cli.app import app
from loopcloser.cli.options import JsonOption, StoreOption
from loopcloser.cli.output import emit, out, warn

if TYPE_CHECKING:
    from loopcloser.services.context import Context
    from loopcloser.services.sync import Synced


@app.command()
def sync(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Send this store's new changes to the team hub and bring back what concerns you.

    Loops handed or reassigned to you arrive, loops no longer yours leave, and loops
    erased from the hub are dropped. With the hub down nothing is lost: the changes
    wait here for the next sync.

    Example: loopcloser sync
    """
    from loopcloser.cli.context import context
    from loopcloser.core.errors import HubError, LoopcloserError
    from loopcloser.services.purge import sync_and_purge as run
    from loopcloser.services.sync import standing

    ctx = context(store, as_json)
    try:
        done = run(ctx)
    except HubError as error:
        with suppress(LoopcloserError):
            waiting = standing(ctx.store()).waiting
            if waiting:
                error.hint = (
                    f"{plural(waiting, 'change')} waiting here for the next sync; {error.hint}"
                )
        raise
    if done.busy:
        sys.stderr.write("Another sync of this store is running; it sends what waits.\n")
    emit(
        as_json,
        lambda: as_data(done),
        lambda: out().write("".join(f"{line}\n" for line in lines(done)) if not done.busy else ""),
    )
    if done.refused:
        raise HubError(
            f"the hub refused {len(done.refused)} loop(s)' changes: {done.refused[0]}",
            hint="they wait here, nothing lost; fix the cause (loopcloser show ID), sync again",
        )


def as_data(done: Synced) -> dict[str, Any]:
    """What a sync moved, for scripts (docs/json.md, schema sync)."""
    return {
        "sent": done.sent,
        "resent": done.resent,
        "received": done.received,
        "arrived": [
            {"id": a.loop_id, "from": a.by, "kind": a.kind, "note": a.note} for a in done.arrived
        ],
        "left": [{"id": loop_id, "owner": owner} for loop_id, owner in done.left],
        "erased": done.erased,
        "late": done.late,
        "late_arrivals": [{"id": loop_id, "by": by} for loop_id, by in done.late_arrivals],
        "refused": done.refused,
        "waiting": done.waiting,
    }


def lines(done: Synced) -> list[str]:
    """What a sync moved, for a person: the counts, the news, and what still waits."""
    counts = (
        f"Sent {plural(done.sent, 'change')} to the hub;"
        f" {plural(done.received, 'loop')} brought up to date."
    )
    waits = [f"{plural(done.waiting, 'change')} still wait to be sent."] if done.waiting else []
    return [counts, *news(done), *waits]


def news(done: Synced) -> list[str]:
    """What a sync brought that a person should hear of: one line per loop or kind."""
    from loopcloser.core.text import printable

    said = []
    if done.resent:
        said.append(f"{plural(done.resent, 'change')} had reached the hub already: kept once.")
    for arrived in done.arrived:
        if arrived.kind == "created":
            said.append(f"#{arrived.loop_id} arrived from your other machine.")
            continue
        verb = "reassigned" if arrived.kind == "reassigned" else "handed"
        note = f": {arrived.note}" if arrived.note else ""
        said.append(
            printable(f"#{arrived.loop_id} is yours now, {verb} to you by {arrived.by}{note}")
        )
    for loop_id in done.late:
        said.append(
            f"#{loop_id} had been reassigned: your changes to it are kept in its history as late,"
            " changing nothing; its copy here is gone."
        )
    for loop_id, by in dict.fromkeys(done.late_arrivals):
        said.append(
            f"#{loop_id}: changes {by} made before it was reassigned arrived late;"
            f" see: loopcloser show {loop_id}"
        )
    for loop_id, owner in done.left:
        if loop_id not in done.late:
            said.append(printable(f"#{loop_id} is {owner}'s now: its copy here is gone."))
    if done.erased:
        said.append(f"{plural(done.erased, 'erased loop')} dropped from this store.")
    return said


def plural(count: int, word: str) -> str:
    """``1 change``, ``2 changes``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def sync_after(ctx: Context, why: str) -> Synced | None:
    """Sync at the end of a command when a hub is set; the hub down is a warning, never an error.

    What arrived is told on stderr, so a script's stdout stays the command's own.
    """
    if ctx.settings.hub is None:
        return None
    from loopcloser.core.errors import HubError, LoopcloserError
    from loopcloser.services.purge import sync_and_purge as run

    try:
        if ctx.hub_down is not None:  # asked already in this run: no second wait
            raise HubError(ctx.hub_down)
        done = run(ctx)
    except LoopcloserError as error:
        warn(f"{why}, but the hub was not reached: {error.message}",
             "nothing is lost: the next sync sends it", ctx.as_json,
             kind="hub_unreachable")  # fmt: skip
        return None
    for line in news(done):
        if ctx.as_json:
            warn(line, "loopcloser sync --json lists what moved", True, kind="sync_news")
        else:
            sys.stderr.write(f"loopcloser: {line}\n")
    for refusal in done.refused:
        hint = "it waits here; loopcloser sync says more"
        warn(f"the hub refused {refusal}", hint, ctx.as_json, kind="hub_refused")
    return done
