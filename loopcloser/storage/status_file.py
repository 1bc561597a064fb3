"""The status file beside the store, which a shell prompt reads without starting loopcloser.

The store ``loops.json`` gets ``loops.json.status``: the counts ``loopcloser status``
prints, written by core.status, left after every change a run makes to the agent's own
store and by every ``remind``. The store leaves it under its lock, so two writers leave
their counts in the order of their writes. It is a convenience: whatever stops it (a
file or folder it may not write, a full disk) never fails the change that was saved.
The old file is then removed where it can be, so a prompt shows nothing rather than
counts that are no longer true, and ``doctor`` says that the file is behind the store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from loopcloser.storage.atomic import replace_cache

if TYPE_CHECKING:
    from loopcloser.core.model import Facts
    from loopcloser.core.settings import Settings


def status_path(store: Path) -> Path:
    """Where the status of ``store`` is left: beside it, its name and ``.status``."""
    return store.with_name(f"{store.name}.status")


def leave(
    store: Path,
    now: datetime,
    settings: Settings,
    known: Callable[[], Iterable[Facts] | None],
) -> None:
    """Write the status of the store at ``store`` from its open loops' facts, ``known``.

    ``known`` gives None when they cannot be known: the old file goes.
    """
    target = status_path(store)
    try:
        from loopcloser.core.status import file_text, standing
        from loopcloser.core.words import preferred

        found = known()
        if found is None:
            raise ValueError("the open loops could not be read back")
        # In the agent's language, even from a run that speaks English to a script.
        with preferred():
            text = file_text(standing(found, now, settings.tz, settings.cadence))
        replace_cache(target, [text.encode()])
    # Anything: the change is saved already, and must not be reported as failed.
    except Exception:
        with suppress(OSError):
            os.unlink(target)
