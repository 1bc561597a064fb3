"""One run's context: the settings, now, where the store is and how output is wanted.

Built once at the edge (the command line reads the environment and the clock)
and passed to every use case, so nothing below the edge reads either.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from loopcloser.core.documents import BadRecords
from loopcloser.core.words import _

if TYPE_CHECKING:
    from loopcloser.core.errors import WarningKind
    from loopcloser.core.settings import Settings
    from loopcloser.core.when import Calendar
    from loopcloser.storage.store import Store


class Context:
    """Settings, now and the store of one run; the store is opened at first use."""

    def __init__(
        self,
        settings: Settings,
        now: datetime,
        store_path: Path | None = None,
        as_json: bool = False,
    ) -> None:
        self.settings = settings
        self.now = now
        self.store_path = store_path
        self.as_json = as_json
        self.bad = BadRecords()
        self.offline: str | None = None
        """Why a read that covers the team hub covered this store alone (the hub was down)."""
        self.hub_down: str | None = None
        """Why the team hub did not answer earlier in this run: it is not asked again."""
        self._store: Store | None = None
        self._others: list[Store] = []

    def store(self) -> Store:
        """The agent's store: ``store_path``, else their own in the team folder, else theirs."""
        if self._store is None:
            from loopcloser.storage.location import open_store

            self._store = open_store(self.store_path, self.settings, self.now)
            # Each write of it leaves the counts of the status line beside it, for a prompt.
            self._store.keep_status(self.now, self.settings)
        return self._store

    def reading(self, stores: list[Store]) -> list[Store]:
        """Note other stores this run reads (a team's), so what they pass over is named."""
        self._others.extend(stores)
        return stores

    def problems(self) -> list[tuple[WarningKind, str, str | None]]:
        """What the run's reads passed over, each with its kind and what to do: for a warning."""
        kept = _("it is kept as it is; loopcloser doctor says more")
        found: list[tuple[WarningKind, str, str | None]] = [
            ("malformed_loop", _("{problem}: it was left out").format(problem=message), kept)
            for message in self.bad.found.values()
        ]
        if self.offline is not None:
            later = _("sync when the hub is back: loopcloser sync")
            found.append(("hub_offline", self.offline, later))
        stores = [] if self._store is None else [self._store]
        for store in [*stores, *self._others]:
            found += [("unreadable_file", error.message, error.hint) for error in store.problems]
        return list(dict.fromkeys(found))

    @property
    def agent(self) -> str:
        """Who is acting: the owner of new loops and the author of every event."""
        return self.settings["agent"]

    @property
    def tz(self) -> tzinfo:
        """The time zone dates are read and shown in."""
        return self.settings.tz

    @property
    def cadence(self) -> timedelta | None:
        """The default update cadence of loops without their own."""
        return self.settings.cadence

    def calendar(self) -> Calendar:
        """The working calendar that date words are read against."""
        return self.settings.calendar()
