"""Daily copies of a store beside it, so an agent can go back to an earlier day.

The first write of each day keeps the store as it was before that write, in the
folder ``.backups`` beside it (``.backups/loops.json.2026-11-25``), private to its
owner; the newest seven stay. A copy costs nothing to take: the store file is
never changed in place (each write replaces it whole), so the copy is a second
name for the file being replaced, a hard link, where the file system has them.
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

from loopcloser.core.errors import NotFound, StoreError
from loopcloser.core.words import _, p_
from loopcloser.storage.atomic import ensure_private_dir, write_atomically

KEEP = 7
"""How many daily copies of a store stay."""
FOLDER = ".backups"
DAY = r"\d{4}-\d{2}-\d{2}"
"""A daily copy's key; compiled (and kept) by re at its first use, not at each start."""
BEFORE_RESTORE = "before-restore-"


class Copy(NamedTuple):
    """One copy of a store: its key (the day, or when a restore replaced the store)."""

    key: str
    path: Path

    @property
    def daily(self) -> bool:
        """Whether this is a daily copy (else the store as a restore found it)."""
        return re.fullmatch(DAY, self.key) is not None


def folder(store: Path) -> Path:
    """Where the copies of ``store`` (its real path) are kept."""
    return store.parent / FOLDER


def copies(store: Path) -> list[Copy]:
    """The copies of ``store``, newest first: daily copies and those restores kept."""
    prefix = f"{store.name}."
    try:
        names = os.listdir(folder(store))
    except OSError:
        return []
    found = [
        Copy(name.removeprefix(prefix), folder(store) / name)
        for name in names
        if name.startswith(prefix) and not name.endswith(".tmp")
    ]
    return sorted(found, key=lambda copy: copy.key.removeprefix(BEFORE_RESTORE), reverse=True)


def take(store: Path, day: str) -> Path | None:
    """Keep ``store`` as it is now as the copy of ``day``, unless that day has one.

    Called under the store's lock, just before the first write of the day replaces
    the file; returns the copy made, for the caller to drop if the write fails (or to
    prune the oldest once it succeeds). A copy that cannot be taken never stops the
    write: it is a safety net.
    """
    target = folder(store) / f"{store.name}.{day}"
    # lexists: a link planted under that name counts as taken, and is never followed.
    if os.path.lexists(target) or not store.exists():
        return None
    try:
        ensure_private_dir(target.parent)
        try:
            os.link(store, target)
        except FileExistsError:
            return None
        except OSError:  # a file system without hard links: a whole private copy
            write_atomically(target, store.read_bytes())
    except (OSError, StoreError):
        return None
    return target


def drop(copy: Path | None) -> None:
    """Remove a copy taken for a write that then failed: the next write takes it again."""
    if copy is not None:
        with suppress(OSError):
            os.unlink(copy)


def prune(store: Path) -> None:
    """Remove the daily copies of ``store`` past the newest KEEP."""
    daily = [copy for copy in copies(store) if copy.daily]
    for old in daily[KEEP:]:
        with suppress(OSError):
            os.unlink(old.path)


def find(store: Path, key: str) -> Copy:
    """The copy of ``store`` named ``key``, or NotFound listing what there is."""
    every = copies(store)
    for copy in every:
        if copy.key == key.strip():
            return copy
    known = ", ".join(copy.key for copy in every) or p_("copies", "none yet")
    raise NotFound(
        _("no copy of {store} for '{key}' (copies: {copies})").format(
            store=store.name, key=key, copies=known
        ),
        hint=_("see them with: loopcloser restore --list"),
    )


def keep_before_restore(store: Path, stamp: str) -> Copy | None:
    """Keep the store as a restore finds it, so the restore itself can be undone."""
    if not store.exists():
        return None
    target = folder(store) / f"{store.name}.{BEFORE_RESTORE}{stamp}"
    write_atomically(target, store.read_bytes())
    return Copy(target.name.removeprefix(f"{store.name}."), target)
