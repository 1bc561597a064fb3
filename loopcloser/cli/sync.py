"""sync: this store and the team hub; and the quiet sync that remind and handoff run."""

from __future__ import annotations

import sys
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from loopcloser.cli.app import app
from loopcloser.cli.options import JsonOption, StoreOption
from loopcloser.cli.output import emit, out, warn
from loopcloser.core.words import _, n_

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
                error.hint = n_(
                    "{count} change waiting here for the next sync; {hint}",
                    "{count} changes waiting here for the next sync; {hint}",
                    waiting,
                ).format(count=waiting, hint=error.hint)
        raise
    if done.busy:
        busy = _("Another sync of this store is running; it sends what waits.")
        sys.stderr.write(busy + "\n")
    emit(
        as_json,
        lambda: as_data(done),
        lambda: out().write("".join(f"{line}\n" for line in lines(done)) if not done.busy else ""),
    )
    if done.refused:
        count = len(done.refused)
        raise HubError(
            n_(
                "the hub refused {count} loop(s)' changes: {first}",
                "the hub refused {count} loop(s)' changes: {first}",
                count,
            ).format(count=count, first=done.refused[0]),
            hint=_("they wait here, nothing lost; fix the cause (loopcloser show ID), sync again"),
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
    changes = n_("{count} change", "{count} changes", done.sent).format(count=done.sent)
    counts = n_(
        "Sent {changes} to the hub; {count} loop brought up to date.",
        "Sent {changes} to the hub; {count} loops brought up to date.",
        done.received,
    ).format(changes=changes, count=done.received)
    waits: list[str] = []
    if done.waiting:
        still = n_(
            "{count} change still wait to be sent.",
            "{count} changes still wait to be sent.",
            done.waiting,
        )
        waits.append(still.format(count=done.waiting))
    return [counts, *news(done), *waits]


def news(done: Synced) -> list[str]:
    """What a sync brought that a person should hear of: one line per loop or kind."""
    from loopcloser.core.text import printable

    said = []
    if done.resent:
        said.append(
            n_(
                "{count} change had reached the hub already: kept once.",
                "{count} changes had reached the hub already: kept once.",
                done.resent,
            ).format(count=done.resent)
        )
    for arrived in done.arrived:
        if arrived.kind == "created":
            said.append(_("#{id} arrived from your other machine.").format(id=arrived.loop_id))
            continue
        if arrived.kind == "reassigned":
            yours = _("#{id} is yours now, reassigned to you by {agent}{note}")
        else:
            yours = _("#{id} is yours now, handed to you by {agent}{note}")
        note = f": {arrived.note}" if arrived.note else ""
        said.append(printable(yours.format(id=arrived.loop_id, agent=arrived.by, note=note)))
    for loop_id in done.late:
        said.append(
            _(
                "#{id} had been reassigned: your changes to it are kept in its history as late,"
                " changing nothing; its copy here is gone."
            ).format(id=loop_id)
        )
    for loop_id, by in dict.fromkeys(done.late_arrivals):
        said.append(
            _(
                "#{id}: changes {agent} made before it was reassigned arrived late;"
                " see: loopcloser show {id}"
            ).format(id=loop_id, agent=by)
        )
    for loop_id, owner in done.left:
        if loop_id not in done.late:
            gone = _("#{id} is {agent}'s now: its copy here is gone.")
            said.append(printable(gone.format(id=loop_id, agent=owner)))
    if done.erased:
        said.append(
            n_(
                "{count} erased loop dropped from this store.",
                "{count} erased loops dropped from this store.",
                done.erased,
            ).format(count=done.erased)
        )
    return said


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
        warning = _("{why}, but the hub was not reached: {message}")
        warn(warning.format(why=why, message=error.message),
             _("nothing is lost: the next sync sends it"), ctx.as_json,
             kind="hub_unreachable")  # fmt: skip
        return None
    for line in news(done):
        if ctx.as_json:
            warn(line, _("loopcloser sync --json lists what moved"), True, kind="sync_news")
        else:
            sys.stderr.write(f"loopcloser: {line}\n")
    for refusal in done.refused:
        hint = _("it waits here; loopcloser sync says more")
        warning = _("the hub refused {refusal}").format(refusal=refusal)
        warn(warning, hint, ctx.as_json, kind="hub_refused")
    return done
