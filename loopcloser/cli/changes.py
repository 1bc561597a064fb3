"""A simple verb: one event applied to one loop, and the loop reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loopcloser.cli.arguments import parse_id
from loopcloser.cli.output import emit_loop
from loopcloser.core.model import Event, Kind, Loop, derive

if TYPE_CHECKING:
    from loopcloser.services.context import Context


def record(
    ctx: Context,
    loop_id: str,
    kind: Kind,
    summary: str | Callable[[Loop], str],
    changes: Callable[[Loop], dict[str, Any]] | None = None,
    **fields: Any,
) -> Loop:
    """Apply one event of ``kind`` to a loop and report it; shared by the simple verbs.

    ``changes`` works out field changes from the loop as it is under the store's lock,
    so two edits at once never undo each other.
    """
    from loopcloser.services.handoff import owned_here
    from loopcloser.services.loops import change

    def event_for(loop: Loop) -> Event:
        owned_here(ctx, loop)
        changed = {} if changes is None else changes(loop)
        return Event(kind=kind, at=ctx.now, by=ctx.agent, changes=changed, **fields)

    loop = change(ctx.store(), parse_id(loop_id), event_for)
    flags = derive(loop, ctx.now, ctx.tz, ctx.cadence)
    said = summary(loop) if callable(summary) else summary.format(loop=loop, flags=flags)
    emit_loop(ctx, loop, said)
    return loop
