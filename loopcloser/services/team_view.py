"""The lead's view of the team's loops: ``list --team``, over the hub or a team folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopcloser.core.errors import BadInput, LoopcloserError, StoreError
from loopcloser.core.model import ACTIVE, Flags, Loop
from loopcloser.core.words import _
from loopcloser.services.loops import Query, matching, most_urgent_first, open_documents

if TYPE_CHECKING:
    from loopcloser.services.context import Context


def team_loops(ctx: Context, query: Query) -> list[tuple[Loop, Flags]]:
    """Every agent's loops that ``query`` wants, most urgent first, each under its owner.

    With a team hub, read from the hub (fresh, no sync needed); else from the team
    folder, under its handoff lock so a loop being handed over counts once.
    """
    from loopcloser.storage.team import settled

    open_only = query.states <= ACTIVE
    rows: list[tuple[Loop, Flags]] = []
    if ctx.settings.hub is not None and ctx.settings.team is None:
        from loopcloser.services.team_hub import team_copies

        for owner, copy in team_copies(ctx, ctx.now if open_only else None):
            rows += rows_of(ctx, query, copy.documents, f"hub:{owner}")
        return most_urgent_first(rows)
    if ctx.settings.team is None:
        raise BadInput(
            _("--team needs a team folder or a team hub"),
            hint=_("set one: loopcloser config set team FOLDER (or config set hub URL)"),
        )
    # A team folder's AGENT.json is that agent's, whoever owned its loops before.
    theirs = query._replace(owner=None)
    with settled(ctx.settings.team.expanduser()) as (members, _intents):
        ctx.reading([store for _agent, store in members])
        for agent, store in members:
            if query.owner is not None and agent != query.owner:
                continue
            try:
                documents = open_documents(store) if open_only else store.all_documents()
            except LoopcloserError as error:
                # One store out of reach must not hide the others' loops: it is named.
                left_out = _("{problem}: {agent}'s loops are left out").format(
                    problem=error.message, agent=agent
                )
                store.problems.append(StoreError(left_out, hint=error.hint))
                continue
            rows += [
                (loop._replace(owner=agent), flags)
                for loop, flags in rows_of(ctx, theirs, documents, str(store.path))
            ]
    # A loop met in two stores (a handoff interrupted mid-way) is listed once.
    once = {loop.uid: (loop, flags) for loop, flags in reversed(rows)}
    return most_urgent_first(list(once.values()))


def rows_of(
    ctx: Context, query: Query, documents: dict[int, dict[str, Any]], where: str
) -> list[tuple[Loop, Flags]]:
    """The rows one agent's documents give, a malformed one noted with where it is."""

    def read(loop_id: int, document: dict[str, Any]) -> Loop | None:
        return ctx.bad.load(loop_id, document, where)

    return matching(documents, query, ctx.now, ctx.tz, ctx.cadence, read)
