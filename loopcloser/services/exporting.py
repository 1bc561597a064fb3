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
A large archive's later half is read meanwhile by a second process
(``services.second_reader``), which hands over its sort keys and its scratch file.
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
    from loopcloser.storage.store import Scratch, Segment, Store

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
        self._handed: Scratch | None = None  # what a second process read (second_reader)

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
            if self._handed is not None:
                self._handed.close()
            raise

    def read_archive(self, store: Store, step: Step | None) -> None:
        """Render the archive's loops that the store does not hold; an archive that
        cannot be read is left out whole and named, as every read does.

        A large archive's later half is read by a second process meanwhile
        (services.second_reader), where the system allows it.
        """
        from loopcloser.services.second_reader import Reading, documents_of, halves

        in_store = set(self._where)
        first, bad = len(self._keys), set(self._ctx.bad.found)
        faults: list[StoreError] = []
        try:
            earlier, later = halves(store.archive_files())
        except StoreError as error:
            faults.append(error)
            earlier, later = [], []
        helper = None
        if later:
            helper = Reading.start(
                store.scratch(), lambda scratch: self.read_for(scratch, later, in_store)
            )
        try:
            self.take(documents_of(earlier, in_store, faults), step)
        except BaseException:
            if helper is not None:
                helper.stop()
            raise
        handed = None if helper is None else helper.handed_over()
        if helper is not None and (handed is None or faults):
            helper.scratch.close()  # nothing of it is used
        if handed is not None and not faults:
            assert helper is not None
            self.take_handed(helper.scratch, *handed, step)
        elif later and not faults:
            self.take(documents_of(later, in_store, faults), step)
        if faults:
            store.pass_over(faults[0])
            for loop_id in [key for key, place in self._where.items() if place >= first]:
                del self._where[loop_id]
            del self._keys[first:]
            for name in set(self._ctx.bad.found) - bad:
                del self._ctx.bad.found[name]

    def read_for(
        self, scratch: Scratch, segments: list[Segment], leave_out: set[int]
    ) -> tuple[list[tuple[int, str, str, int, int]], list[int], dict[str, str]]:
        """In the second process: render the loops of ``segments`` (but those in
        ``leave_out``) into ``scratch``; the sort keys, every id read (kept or passed
        over), and what was passed over. An archive file that cannot be read fails it."""
        from loopcloser.services.second_reader import documents_of

        noted = set(self._ctx.bad.found)
        faults: list[StoreError] = []
        mine = Ordered(self._ctx, self._render, self._kind)
        mine._scratch = scratch
        seen: list[int] = []

        def counted() -> Iterator[tuple[int, dict[str, Any]]]:
            for loop_id, document in documents_of(segments, leave_out, faults):
                seen.append(loop_id)
                yield loop_id, document

        mine.take(counted(), None)
        if faults:
            raise faults[0]  # the export reads this half itself, and says what is wrong
        keys = [key for key in mine._keys if key is not None]
        bad = {name: said for name, said in self._ctx.bad.found.items() if name not in noted}
        return keys, seen, bad

    def take_handed(
        self,
        scratch: Scratch,
        keys: list[tuple[int, str, str, int, int]],
        seen: list[int],
        bad: dict[str, str],
        step: Step | None,
    ) -> None:
        """Take what the second process read: later than all read here, so each id it
        read replaces this process's copy, even where its own was passed over."""
        from loopcloser.services.second_reader import HANDED

        self._handed = scratch
        for loop_id in seen:
            self.drop(loop_id)
        where, keep = self._where, self._keys
        for rank, due, owner, loop_id, number in keys:
            where[loop_id] = len(keep)
            keep.append((rank, due, owner, loop_id, number + HANDED))
            if step is not None:
                step()
        self._ctx.bad.found.update(bad)

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
        from loopcloser.services.second_reader import HANDED

        scratch, handed = self._scratch, self._handed
        assert scratch is not None
        keys = sorted(key for key in self._keys if key is not None)
        self._keys = []
        numbers = [key[-1] for key in keys]
        del keys

        def counted() -> Iterator[bytes]:
            own = scratch.piece
            theirs = handed.piece if handed is not None else own
            for number in numbers:
                yield own(number) if number < HANDED else theirs(number - HANDED)
                if step is not None:
                    step()

        try:
            yield from framed(self._kind, counted(), bom=bom)
        finally:
            scratch.close()
            if handed is not None:
                handed.close()
