"""The edge of the program: the environment and the clock are read here, once a run.

Every command builds its :class:`Context` through :func:`context`; nothing below
the command line reads LOOPCLOSER_NOW, LOOPCLOSER_CONFIG, LOOPCLOSER_TEAM or the clock.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput
from loopcloser.core.words import _
from loopcloser.services.context import Context

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings
    from loopcloser.storage.store import Store

EARLIEST = 1900
LATEST = 9000

RUNS: list[Context] = []
"""The contexts built during this run, so the program can say what they left out."""


def context(
    store: Path | None = None, as_json: bool = False, conf: Settings | None = None
) -> Context:
    """This run's context: settings, now, the store asked for and the output mode.

    A command that had to read the settings first (to report them broken) passes them.
    """
    conf = conf or settings()
    built = Context(settings=conf, now=now_moment(), store_path=store, as_json=as_json)
    RUNS.append(built)
    return built


def own_store() -> Path | None:
    """The store named by LOOPCLOSER_STORE, for a command whose --store means other stores."""
    named = os.environ.get("LOOPCLOSER_STORE")
    return Path(named) if named else None


def page_width(terminal: bool) -> int | None:
    """How wide a table may be: COLUMNS when set, else the terminal's, else no limit.

    A pipe or a file gets whole lines unless COLUMNS asks otherwise.
    """
    given = os.environ.get("COLUMNS", "")
    if given.isascii() and given.isdigit() and int(given) > 0:
        return int(given)
    if terminal:
        import shutil

        return shutil.get_terminal_size((80, 24)).columns
    return None


def config_home() -> str | None:
    """XDG_CONFIG_HOME, where systemd and other programs keep the user's own settings."""
    return os.environ.get("XDG_CONFIG_HOME")


def schedule_environment() -> dict[str, str]:
    """What a scheduled ``remind`` needs of this environment: cron starts with almost none.

    Delivery needs to find its programs (PATH) and the desktop (the session bus, the
    display); the team folder comes along too.
    """
    names = ("LOOPCLOSER_TEAM", "PATH", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY")
    return {name: os.environ[name] for name in names if os.environ.get(name)}


def now_moment() -> datetime:
    """Now, or the moment pinned by LOOPCLOSER_NOW (ISO-8601) for tests and scripts.

    To the whole second: every time made from now (an event, a due "in 2h") is then
    written ``2026-12-08T19:59:02Z``, which jq's ``fromdateiso8601`` and sheets read.
    """
    pinned = os.environ.get("LOOPCLOSER_NOW")
    if not pinned:
        return datetime.now(UTC).replace(microsecond=0)
    hint = _("use e.g. 2026-11-25T09:00:00Z, or unset it")
    try:
        moment = datetime.fromisoformat(pinned.strip())
    except ValueError:
        message = _("LOOPCLOSER_NOW='{value}' is not an ISO-8601 moment").format(value=pinned)
        raise BadInput(message, hint) from None
    if not EARLIEST <= moment.year <= LATEST:
        message = _("LOOPCLOSER_NOW must fall between {earliest} and {latest}")
        raise BadInput(message.format(earliest=EARLIEST, latest=LATEST), hint)
    moment = moment.replace(microsecond=0)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def config_file() -> Path:
    """The settings file: LOOPCLOSER_CONFIG, else the platform's user config directory."""
    from loopcloser.storage.config_file import config_path

    return config_path(os.environ.get("LOOPCLOSER_CONFIG"))


def settings() -> Settings:
    """The user's settings (config file over defaults; LOOPCLOSER_TEAM over the team setting)."""
    from loopcloser.core.words import order_dates
    from loopcloser.storage.config_file import load

    loaded = load(
        config_file(),
        team_override=os.environ.get("LOOPCLOSER_TEAM", ""),
        hub_override=os.environ.get("LOOPCLOSER_HUB", ""),
    )
    order_dates(loaded.values["date_order"] == "day-first")
    return loaded


def open_store(path: Path | None, conf: Settings | None = None) -> Store:
    """The store at ``path``; else the agent's own in the team folder; else the user's own."""
    from loopcloser.storage.location import open_store as open_at

    return open_at(path, conf or settings(), now_moment())
