"""Speaking up: remind, snooze, and a status line for the shell prompt."""

from typing import Annotated

import typer

from loopcloser.commands.base import IdArgument, JsonOption, StoreOption, app, record
from loopcloser.model import Kind, Loop
from loopcloser.program import now_moment, open_store, out, parse_due, settings

STATUS_FLAGS = ("overdue", "untold", "untold_reschedule", "due_today", "silent", "stale_wait")


@app.command()
def status(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """One short line for a shell prompt: "3 overdue · 1 untold"; nothing when all is well.

    Example: PS1='$(loopcloser status) \\$ '
    """
    from loopcloser import actions
    from loopcloser.render import to_json

    conf = settings()
    now = now_moment()
    rows = actions.select(open_store(store, conf), actions.Query(), now, conf.tz)
    counts = {name: sum(getattr(flags, name) for _, flags in rows) for name in STATUS_FLAGS}
    if as_json:
        out().write(to_json({"open": len(rows), **counts}) + "\n")
        return
    parts = [f"{count} {name.replace('_', ' ')}" for name, count in counts.items() if count]
    if parts:
        out().write(" · ".join(parts) + "\n")


@app.command()
def snooze(
    id: IdArgument,
    until: Annotated[
        str, typer.Argument(help="Silence reminders until: 2h, tomorrow 9am...", metavar="WHEN")
    ],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Silence one loop's reminders until then; the customer's due does not move.

    Example: loopcloser snooze 42 "tomorrow 9am"
    """
    from loopcloser.model import to_utc_text
    from loopcloser.render import local_time

    conf = settings()
    now = now_moment()
    moment = parse_due(until, now, conf, allow_past=None)
    changes = {"snoozed_until": to_utc_text(moment)}

    def summary(loop: Loop) -> str:
        return f"#{loop.id} is quiet until {local_time(moment, conf.tz, now)}; its due stays put."

    record(store, id, Kind.SNOOZED, as_json, summary, lambda _: changes)
