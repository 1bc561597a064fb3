"""Handing a loop to a colleague: in place, or into their store in a team folder."""

from __future__ import annotations

from pathlib import Path

from loopcloser.core.errors import BadInput, InvalidTransition
from loopcloser.core.model import Event, Kind, Loop, require_words
from loopcloser.core.text import one_line_name
from loopcloser.core.words import _
from loopcloser.services.context import Context


def handoff(
    ctx: Context, loop_id: int, receiver: str, note: str, *, new_agent: bool = False
) -> tuple[Loop, int]:
    """Give loop ``loop_id`` to ``receiver`` with ``note``; returns it and its id now.

    Without a team folder only the owner changes. In a team the loop moves into the
    receiver's store, history and all, and the giver keeps no copy.
    """
    from loopcloser.services.loops import change

    receiver = receiver.strip()
    require_words("receiver", receiver)
    if not one_line_name(receiver):
        raise BadInput(_("the receiver must be an agent's name"), hint=_("e.g. --to luca"))
    event = Event(
        kind=Kind.HANDOFF, at=ctx.now, by=ctx.agent, text=note, changes={"owner": receiver}
    )
    source = ctx.store()
    team = ctx.settings.team
    if team is None:
        if ctx.settings.hub is not None:
            from loopcloser.services.sync import check_agent

            check_agent(ctx, receiver)

        def in_place(loop: Loop) -> Event:
            if loop.owner == receiver:
                raise BadInput(
                    _("#{id} is already {agent}'s").format(id=loop.id, agent=receiver),
                    hint=_("nothing was changed"),
                )
            owned_here(ctx, loop)
            return event

        loop = change(source, loop_id, in_place)
        return loop, loop.id
    from loopcloser.storage.team import handoff as move

    # In a team the loop must move to the receiver's store, whichever way the
    # giver's own store was named (--store, LOOPCLOSER_STORE or the agent setting).
    giver = team_member(source.path, team)
    return move(team, giver, loop_id, receiver, event, new_agent=new_agent)


def owned_here(ctx: Context, loop: Loop) -> None:
    """With a team hub, only a loop's owner changes it: a copy of a colleague's is read-only."""
    if ctx.settings.hub is not None and loop.owner != ctx.agent:
        raise InvalidTransition(
            _("#{id} is {agent}'s: only its owner changes it").format(id=loop.id, agent=loop.owner),
            hint=_("sync to bring your copies up to date: loopcloser sync"),
        )


def team_member(store: Path, folder: Path) -> str:
    """The agent whose store ``store`` is in the team folder; BadInput for another file."""
    if store.resolve().parent != folder.resolve() or store.suffix != ".json":
        raise BadInput(
            _("{path} is not a store in the team folder {folder}").format(
                path=store, folder=folder
            ),
            hint=_(
                "a handoff in a team moves loops between AGENT.json stores in that folder;"
                " drop --store (and LOOPCLOSER_STORE)"
            ),
        )
    return store.stem
