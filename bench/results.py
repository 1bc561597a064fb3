"""What one run of the benchmarks measured, as the page and its targets read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from generate import Summary
from imports import Imported
from shell import InShell
from timing import Timing


@dataclass
class Row:
    """One command of a table: loopcloser's timing and Taskwarrior's nearest."""

    name: str
    command: str
    timing: Timing
    peer: str = ""
    peer_timing: Timing | None = None


@dataclass
class Size:
    """Everything measured on one store size."""

    loops: int
    summary: Summary
    store_mib: float
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    before_archive: list[Row] = field(default_factory=list)
    prompt: InShell | None = None
    """The guide's prompt snippet reading the status file beside the store."""
    command_tab: InShell | None = None
    """TAB on a command name with loopcloser's bash completion."""
    task_tab: InShell | None = None
    """TAB on a command name with Taskwarrior's bash completion."""
    swept_add: Timing | None = None
    """``add`` on the store swept today, by turns with the day's first write."""

    def row(self, name: str) -> Row | None:
        return next((row for row in self.rows if row.name == name), None)


@dataclass
class Team:
    """The team report over a folder of stores."""

    row: Row
    notes: list[str]
    stores: int
    loops: int


@dataclass
class Results:
    """Every size, the team report and the start-up profile of one run."""

    sizes: dict[int, Size]
    team: Team | None = None
    with_peer: bool = False
    imports: list[Imported] = field(default_factory=list)
    """The modules ``list --json`` imports, largest cumulative time first."""
    imports_at: int | None = None
    """The size of the store the import profile was taken on."""
    growth: dict[str, tuple[Timing, Timing]] = field(default_factory=dict)
    """Each write on the smallest and the largest store, run by turns: (small, large)."""
