"""The note a sync leaves beside the store: when it last succeeded, and how much waited.

``status`` and ``doctor`` read it without asking the hub. It carries the store's
generation at the time, so a store written since is known to need a fresh count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loopcloser.storage.atomic import write_atomically
from loopcloser.storage.store import file_generation


def note_path(store: Path) -> Path:
    """Where the note of ``store`` lives: beside it."""
    return Path(f"{store}.hub")


def read_note(store: Path) -> dict[str, Any]:
    """The last sync's note, or an empty one when there is none that can be read."""
    try:
        content = json.loads(note_path(store).read_bytes())
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def is_current(store: Path, note: dict[str, Any]) -> bool:
    """Whether the store is as the note saw it: no write since."""
    generation = note.get("generation")
    return generation is not None and generation == file_generation(store)


def write_note(
    store: Path,
    synced: str,
    waiting: int,
    cursor: tuple[str, int] | None = None,
    purge: bool = False,
) -> None:
    """Note a sync that succeeded at ``synced`` (UTC text) with ``waiting`` events left,
    and where its pull ended (the hub's epoch and position), as the store also keeps;
    ``purge`` when erased customers still wait to be scrubbed from the store's copies."""
    note: dict[str, object] = {
        "synced": synced,
        "waiting": waiting,
        "generation": file_generation(store),
    }
    if cursor is not None:
        note["hub_epoch"], note["hub_position"] = cursor
    if purge:
        note["hub_purge"] = True
    write_atomically(note_path(store), json.dumps(note).encode())
