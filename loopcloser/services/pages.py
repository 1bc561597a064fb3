"""The pages people read: the agent's morning digest and the lead's team report.

Each use case gathers the loops its page is about; ``core.digest`` and
``core.metrics`` make the page's facts, and ``render`` shows them in every format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from loopcloser.core.digest import Digest, build
from loopcloser.core.documents import BadRecords, finished_before
from loopcloser.core.errors import BadInput, LoopcloserError, StoreError
from loopcloser.core.metrics import Report, Unreadable, build_report
from loopcloser.core.model import Loop
from loopcloser.core.words import _
from loopcloser.services.context import Context
from loopcloser.services.loops import documents_since

if TYPE_CHECKING:
    from collections.abc import Iterable

    from loopcloser.storage.store import Store

# Yesterday's closings are the oldest the digest shows: days before need no reading.
DIGEST_REACH = timedelta(days=3)


def digest(ctx: Context, agent: str | None = None) -> Digest:
    """The morning digest at ``ctx.now`` of the agent's own loops, or of ``agent``'s.

    In a team folder, another agent's digest reads that agent's store.
    """
    team = ctx.settings.team
    if agent is not None and ctx.settings.hub is not None and team is None:
        from loopcloser.services.sync import check_agent
        from loopcloser.services.team_hub import team_copies

        check_agent(ctx, agent)

        copies = team_copies(ctx, ctx.now - DIGEST_REACH, owner=agent)
        theirs = [
            loop
            for _owner, copy in copies
            for loop_id, document in copy.documents.items()
            if not finished_before(ctx.now - DIGEST_REACH)(document)
            if (loop := ctx.bad.load(loop_id, document, str(copy.path))) is not None
        ]
        return build(theirs, ctx.now, ctx.calendar(), ctx.cadence)
    if agent is not None and team is not None and ctx.store_path is None:
        from loopcloser.storage.location import open_store
        from loopcloser.storage.team import store_path, team_stores

        agents = [name for name, _path in team_stores(team)]
        if agent not in agents:
            raise BadInput(
                _("{agent} has no store in team folder {team}").format(agent=agent, team=team),
                hint=_("check the name; agents in the team: {agents}").format(
                    agents=", ".join(agents) or _("none yet")
                ),
            )
        target = open_store(store_path(team, agent), ctx.settings, ctx.now)
    else:
        target = ctx.store()
        if agent is not None and agent != ctx.agent:
            owners = sorted({str(doc.get("owner")) for doc in target.documents().values()})
            if agent not in owners:
                raise BadInput(
                    _("no loop of {agent} in this store").format(agent=agent),
                    hint=_("check the name; owners here: {owners}").format(
                        owners=", ".join(owners) or _("none yet")
                    ),
                )
    recent = documents_since(target, ctx.now - DIGEST_REACH)
    read = ctx.bad.load
    loops = [
        loop
        for loop_id, document in recent.items()
        if agent is None or document.get("owner") == agent
        if (loop := read(loop_id, document)) is not None
    ]
    return build(loops, ctx.now, ctx.calendar(), ctx.cadence)


def morning(ctx: Context, day: datetime) -> datetime:
    """The start of the working day of ``day``, in the agent's time zone."""
    local = day.astimezone(ctx.tz).date()
    return datetime.combine(local, ctx.calendar().work_start, tzinfo=ctx.tz)


def period_start(ctx: Context, first: datetime | None) -> datetime:
    """The first moment of a report's period: the start of ``first``'s day, or 7 days ago."""
    first = ctx.now - timedelta(days=7) if first is None else first
    return datetime.combine(first.astimezone(ctx.tz).date(), time(0), tzinfo=ctx.tz)


def report(
    ctx: Context,
    start: datetime,
    team: Path | None,
    stores: list[Path],
    skipped: Callable[[Path, LoopcloserError], None],
    watch: Callable[[list[tuple[str, Store]]], Iterable[tuple[str, Store]]] = iter,
) -> Report:
    """The team's report since ``start``: over the ``stores`` named, else a team folder.

    The folder is ``team``, else the team setting; without either, the agent's own
    store. A store that cannot be read is passed to ``skipped``, named in the report
    as unreadable, and the report covers the others; when none can be read,
    StoreError. ``watch`` sees the stores go by (a progress bar).
    """
    if not stores and team is None and ctx.settings.hub is not None:
        return hub_report(ctx, start)
    with report_sources(ctx, team, stores) as (sources, from_team):
        if not sources:
            raise StoreError(
                _("no store to report on"), hint=_("check the team folder or the --store paths")
            )
        loops: list[tuple[str, Loop]] = []
        unreadable: list[Unreadable] = []
        for agent, store in watch(sources):
            try:
                loops += owned_loops(agent, store, start, from_team, ctx.bad)
            except LoopcloserError as error:
                unreadable.append(Unreadable(agent, unreadable_reason(store.path, error)))
                skipped(store.path, error)
    if len(unreadable) == len(sources):
        raise StoreError(
            _("no store could be read"), hint=_("check the paths and the warnings above")
        )
    return build_report(loops, ctx.now, ctx.tz, start, ctx.cadence, unreadable=unreadable)


def unreadable_reason(path: Path, error: LoopcloserError) -> str:
    """Why a store could not be read, naming it by its file name: the report's row says it."""
    return error.message.replace(str(path), path.name)


def hub_report(ctx: Context, start: datetime) -> Report:
    """The team's report read from the hub with SQL: fresh without any sync."""
    from loopcloser.services.team_hub import team_copies

    finished = finished_before(start)
    loops = [
        (owner, loop)
        for owner, copy in team_copies(ctx, start)
        for loop_id, document in copy.documents.items()
        if not finished(document)
        if (loop := ctx.bad.load(loop_id, document, str(copy.path))) is not None
    ]
    return build_report(loops, ctx.now, ctx.tz, start, ctx.cadence)


@contextmanager
def report_sources(
    ctx: Context, team: Path | None, stores: list[Path]
) -> Iterator[tuple[list[tuple[str, Store]], bool]]:
    """The stores a report reads, each with its agent, and whether they are a team folder's.

    Every store is opened through the storage layer, which first finishes a handoff a
    crash interrupted: a loop half moved is never counted twice. A team folder is read
    under its handoff lock, so a handoff running meanwhile is counted before or after,
    never in both stores or in neither.
    """
    from loopcloser.storage.location import open_at
    from loopcloser.storage.team import settled

    if stores:
        named = [(path.stem, open_at(path)) for path in stores]
        ctx.reading([store for _agent, store in named])
        yield named, False
        return
    folder = team or ctx.settings.team
    if folder is None:
        yield [(ctx.agent, ctx.store())], False
        return
    with settled(folder.expanduser()) as (members, _intents):
        ctx.reading([store for _agent, store in members])
        yield members, True


def owned_loops(
    agent: str, store: Store, start: datetime, from_team: bool, bad: BadRecords
) -> Iterable[tuple[str, Loop]]:
    """The loops of ``store`` open or finished since ``start``, each with who it counts for.

    Named stores may be shared: each loop counts for its owner. A team folder's
    AGENT.json is that agent's, whoever owned its loops before.
    """
    if not store.path.is_file():
        raise StoreError(_("no store at {path}").format(path=store.path), hint=_("check the path"))
    documents = documents_since(store, start)
    return [
        (agent if from_team else str(doc.get("owner") or agent), loop)
        for key, doc in documents.items()
        if (loop := bad.load(key, doc, str(store.path))) is not None
    ]
