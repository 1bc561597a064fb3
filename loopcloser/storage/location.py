"""Where an agent's store lives, and the one way to open it.

Opening a store first finishes any handoff that a crash interrupted in its
folder (a team folder, or a store of one opened without the team setting), so
no reader ever sees a loop half moved between two agents, whatever command
asks. Every other layer opens stores through here, never with ``Store(path)``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from loopcloser.core.documents import is_open, sweep_terms
from loopcloser.core.errors import StoreError
from loopcloser.core.settings import Settings
from loopcloser.core.words import _
from loopcloser.storage.store import Store


def default_store_path() -> Path:
    """The user's own store in the platform's user data directory."""
    from platformdirs import user_data_path

    return user_data_path("loopcloser") / "loops.json"


def open_store(path: Path | None, conf: Settings, now: datetime) -> Store:
    """The store at ``path``; else the agent's own in the team folder; else the user's own.

    Loops finished over ``archive_after`` ago move to the archive at the first
    write of a day (``now`` tells which day it is).
    """
    if conf.team is not None:
        from loopcloser.storage.team import store_path

        if not is_folder(conf.team):
            raise StoreError(
                _("the team folder {folder} does not exist").format(folder=conf.team),
                hint=_("create it, or fix the team setting (or LOOPCLOSER_TEAM)"),
            )
        path = path or store_path(conf.team, conf["agent"])
    path = (path or default_store_path()).expanduser()
    problems = [] if conf.team is None else recover_handoffs(conf.team)
    if conf.team is None or path.parent.resolve() != conf.team.resolve():
        problems += recover_handoffs(path.parent)
    after = conf.archive_after
    sweep = None if after is None else sweep_terms(now, after, conf.tz, conf.hub is not None)
    day = now.astimezone(conf.tz).date().isoformat()
    store = Store(path, hot=is_open, sweep=sweep, backup_day=day)
    store.problems.extend(problems)
    return store


def open_team(team: Path) -> list[tuple[str, Store]]:
    """Every agent's store in a team folder, after finishing an interrupted handoff."""
    from loopcloser.storage.team import team_stores

    problems = recover_handoffs(team)
    stores = [(agent, Store(path, hot=is_open)) for agent, path in team_stores(team)]
    if stores:
        stores[0][1].problems.extend(problems)
    return stores


def open_at(path: Path) -> Store:
    """The store at ``path`` as it is, for reading: a killed handoff beside it is finished."""
    path = path.expanduser()
    store = Store(path, hot=is_open)
    store.problems.extend(recover_handoffs(path.parent))
    return store


def recover_handoffs(folder: Path) -> list[StoreError]:
    """Finish a handoff a crash interrupted in ``folder`` (cheap when none).

    Returns the unfinished handoffs that cannot be trusted: left for a person, never
    in the way of a command.
    """
    if not interrupted_handoffs(folder):
        return []
    from loopcloser.storage.team import recover, unreadable_intents

    recover(folder)
    return unreadable_intents(folder)


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder; a name the file system refuses (too long) is not one."""
    try:
        return path.is_dir()
    except OSError:
        return False


def interrupted_handoffs(folder: Path) -> bool:
    """Whether ``folder`` holds the intent of a handoff that did not finish."""
    try:
        return any(name.startswith(".handoff-") for name in os.listdir(folder))
    except OSError:
        return False  # a missing folder holds nothing; the store reports the rest
