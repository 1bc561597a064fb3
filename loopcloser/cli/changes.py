"""A simple verb: one event applied to one loop or several, and the loops reported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from loopcloser.cli.arguments import parse_id
from loopcloser.cli.output import emit, emit_loop, said
from loopcloser.core.model import Event, Kind, Loop, derive

if TYPE_CHECKING:
    from loopcloser.services.context import Context

Summary = str | Callable[[Loop], str]


def record(
    ctx: Context,
    loop_id: str | Sequence[int],
    kind: Kind,
    summary: Summary,
    changes: Callable[[Loop], dict[str, Any]] | None = None,
    fields_for: Callable[[Loop], dict[str, Any]] | None = None,
    **fields: Any,
) -> Loop:
    """Apply one event of ``kind`` to each loop named and report them; shared by the simple verbs.

    ``changes`` and ``fields_for`` work out the event from each loop as it is under the
    store's lock, so two edits at once never undo each other. Several loops change in
    one write: all of them, or none.
    """
    from loopcloser.services.handoff import owned_here
    from loopcloser.services.loops import change_all

    def event_for(loop: Loop) -> Event:
        owned_here(ctx, loop)
        changed = {} if changes is None else changes(loop)
        more = {} if fields_for is None else fields_for(loop)
        return Event(kind=kind, at=ctx.now, by=ctx.agent, changes=changed, **fields, **more)

    ids = [parse_id(loop_id)] if isinstance(loop_id, str) else list(loop_id)
    loops = change_all(ctx.store(), ids, event_for)
    if len(loops) == 1:
        emit_loop(ctx, loops[0], summarised(ctx, loops[0], summary))
    else:
        emit_loops(ctx, loops, summary)
    return loops[-1]


def summarised(ctx: Context, loop: Loop, summary: Summary) -> str:
    """The line that tells a person what happened to one loop."""
    if callable(summary):
        return summary(loop)
    return summary.format(loop=loop, flags=derive(loop, ctx.now, ctx.tz, ctx.cadence))


def emit_loops(ctx: Context, loops: list[Loop], summary: Summary) -> None:
    """After a change to several loops: a JSON array of them, or a line for each."""
    from loopcloser.render.tables import loop_json

    flags = [derive(loop, ctx.now, ctx.tz, ctx.cadence) for loop in loops]
    lines = [said(summarised(ctx, loop, summary)) for loop in loops]
    emit(
        ctx.as_json,
        lambda: [loop_json(loop, flag) for loop, flag in zip(loops, flags, strict=True)],
        lambda: [line() for line in lines],
    )
