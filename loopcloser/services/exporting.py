"""Exporting loops: the store's in a format for other programs, most urgent first.

The loops still open come from the store's index (``services.loops.select``).
Every loop (``--all``) is read from the store, then from its archive, a document
at a time (``Store.each_document``), never the whole store at once: a store of
100,000 loops is a gigabyte as dicts. A finished loop whose document is in the
store's exact form is rendered straight from it (``core.finished``); any other is
built and its flags derived, as ``list`` does. Each rendered loop waits in a
``Scratch`` (memory up to a few MB, then a file without a name beside the store)
while only its sort key is held, and the pieces are read back most urgent first.
Memory holds one document, a megabyte of the file, and some 250 bytes a loop.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from loopcloser.core.documents import ACTIVE_NAMES, FINISHED_NAMES
from loopcloser.core.errors import StoreError

if TYPE_CHECKING:
    from loopcloser.render.export import Render
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Scratch, Store

STATES = ACTIVE_NAMES | FINISHED_NAMES
"""The states a loop may be in, as stored."""
Step = Callable[[], object]
"""Called after each loop read, or written."""


def export(
    ctx: Context,
    kind: str,
    *,
    everything: bool,
    raw: bool = False,
    local_times: bool = False,
    bom: bool = False,
    read: Step | None = None,
    written: Step | None = None,
) -> tuple[int, Iterator[bytes]]:
    """How many loops an export holds, and its bytes, to be written as they come.

    The loops still ours to close, or ``everything`` (not for ics, a calendar of
    what is to come). The store is read before this returns; the bytes are made
    as they are taken. ``read`` is called after each loop read, ``written`` after
    each loop written (for a progress bar; an export of the open loops only is short).
    """
    from loopcloser.core.model import ACTIVE
    from loopcloser.render.export import pieces
    from loopcloser.services.loops import Query, select

    if not everything or kind == "ics":
        rows = select(ctx.store(), Query(ACTIVE), ctx.now, ctx.tz, ctx.cadence, ctx.bad)
        options = {"raw": raw, "local_times": local_times, "bom": bom}
        return len(rows), pieces(kind, rows, ctx.now, ctx.settings, **options)
    from loopcloser.render.export import renderer

    ordered = Ordered(ctx, renderer(kind, ctx.tz if local_times else None, raw=raw), kind)
    ordered.read(ctx.store(), read)
    return len(ordered), ordered.pieces(bom, written)


class Ordered:
    """Loops rendered as they are read, then given back most urgent first.

    Most urgent first is ``services.loops.most_urgent_first``: overdue, untold, the
    rest still open by the due the customer expects, then the finished ones by
    their due; then by owner and id.
    """

    def __init__(self, ctx: Context, render: Render, kind: str) -> None:
        self._ctx = ctx
        self._render = render
        self._kind = kind
        self._keys: list[tuple[int, str, str, int, int] | None] = []
        self._where: dict[int, int] = {}  # a loop's id -> its place in _keys
        self._scratch: Scratch | None = None

    def __len__(self) -> int:
        return len(self._where)

    def read(self, store: Store, step: Step | None) -> None:
        """Render every loop of ``store`` and of its archive, the store's copy winning."""
        self._scratch = store.scratch()
        try:
            self.take(store.each_document(), step)
            self.read_archive(store, step)
        except BaseException:
            self._scratch.close()
            raise

    def read_archive(self, store: Store, step: Step | None) -> None:
        """Render the archive's loops that the store does not hold; an archive that
        cannot be read is left out whole and named, as every read does."""
        in_store = set(self._where)
        first, bad = len(self._keys), set(self._ctx.bad.found)
        faults: list[StoreError] = []

        def archived() -> Iterator[tuple[int, dict[str, Any]]]:
            documents = store.each_archived()
            while True:
                try:
                    loop_id, document = next(documents)
                except StopIteration:
                    return
                except StoreError as error:
                    faults.append(error)
                    return
                if loop_id not in in_store:
                    yield loop_id, document

        self.take(archived(), step)
        if faults:
            store.pass_over(faults[0])
            for loop_id in [key for key, place in self._where.items() if place >= first]:
                del self._where[loop_id]
            del self._keys[first:]
            for name in set(self._ctx.bad.found) - bad:
                del self._ctx.bad.found[name]

    def take(self, documents: Iterator[tuple[int, dict[str, Any]]], step: Step | None) -> None:
        """Render each loop and keep its place in the order; a bad one is passed over."""
        from loopcloser.core.finished import finished_json

        assert self._scratch is not None
        keys, where, keep, render = self._keys, self._where, self._scratch.add, self._render
        intern = sys.intern
        for loop_id, document in documents:
            data = finished_json(loop_id, document)
            if data is not None:
                key = (3, data["due"], intern(data["owner"]), loop_id, keep(render(data)))
            else:
                built = self.built(loop_id, document)
                if built is None:
                    self.drop(loop_id)  # a later copy of an id wins, even a bad one
                    continue
                (rank, due, owner), data = built
                key = (rank, due, owner, loop_id, keep(render(data)))
            if loop_id in where:
                self.drop(loop_id)
            where[loop_id] = len(keys)
            keys.append(key)
            if step is not None:
                step()

    def built(
        self, loop_id: int, document: dict[str, Any]
    ) -> tuple[tuple[int, str, str], dict[str, Any]] | None:
        """A loop's sort key and JSON, through the model; None for a malformed one (noted)."""
        from loopcloser.core.documents import loader
        from loopcloser.core.model import derive, to_utc_text, urgency
        from loopcloser.render.tables import loop_json

        ctx = self._ctx
        state = document.get("state")
        if isinstance(state, str) and state not in STATES:
            return None  # no state of ours: passed over, as list --all passes it over
        loop = loader(ctx.bad)(loop_id, document)
        if loop is None:
            return None
        flags = derive(loop, ctx.now, ctx.tz, ctx.cadence)
        rank, due = urgency(loop, flags)
        data = loop_json(loop, flags, with_events=self._kind != "csv")
        return (rank, to_utc_text(due), loop.owner), data

    def drop(self, loop_id: int) -> None:
        """Forget what was kept for ``loop_id`` (a repeated id: the later one wins)."""
        place = self._where.pop(loop_id, None)
        if place is not None:
            self._keys[place] = None

    def pieces(self, bom: bool, step: Step | None) -> Iterator[bytes]:
        """The export's bytes, most urgent first."""
        from loopcloser.render.export import framed

        scratch = self._scratch
        assert scratch is not None
        keys = sorted(key for key in self._keys if key is not None)
        self._keys = []
        numbers = [key[-1] for key in keys]
        del keys

        def counted() -> Iterator[bytes]:
            for piece in scratch.pieces(numbers):
                yield piece
                if step is not None:
                    step()

        try:
            yield from framed(self._kind, counted(), bom=bom)
        finally:
            scratch.close()
