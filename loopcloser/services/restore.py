"""Going back to an earlier day: the daily copies of the store, and restoring one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loopcloser.core.errors import LoopcloserError
from loopcloser.services.context import Context


@dataclass(frozen=True)
class Kept:
    """A copy of the store as the user sees it: its key, its kind, how many loops it holds."""

    key: str
    daily: bool
    loops: int | None  # None: the copy cannot be read
    path: Path


def copies(ctx: Context) -> list[Kept]:
    """The copies of the run's store, newest first, each with its number of loops."""
    from loopcloser.storage.store import read_tables

    kept = []
    for copy in ctx.store().copies():
        try:
            loops: int | None = len(read_tables(copy.path).get("loops", {}))
        except LoopcloserError:
            loops = None
        kept.append(Kept(copy.key, copy.daily, loops, copy.path))
    return kept


def restore(ctx: Context, key: str) -> tuple[Kept, Kept | None]:
    """Bring back the copy ``key`` as the store; the store as it was is kept first.

    Returns the copy restored and the copy of the store it replaced (None when there
    was no store). The archive is left as it is: a loop in both files is read from
    the store.
    """
    stamp = ctx.now.strftime("%Y-%m-%dT%H%M%SZ")
    chosen, before = ctx.store().restore(key, stamp)
    restored = Kept(chosen.key, chosen.daily, None, chosen.path)
    return restored, None if before is None else Kept(before.key, False, None, before.path)
