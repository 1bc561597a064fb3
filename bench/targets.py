"""The targets of the speed issue, each beside what one run measured: met or not met.

A target that the run could not measure (a size not asked for, Taskwarrior not
compared) still has its line, saying why, so a quick run's page shows what is missing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from results import Results, Row, Size
from timing import ms

SMALL, MIDDLE, LARGE = 1000, 10000, 100000
START_UP_MS = 20.0
"""An everyday command at SMALL loops, over ``python -c "import typer"``."""
GROWTH_MS = 15.0
"""A write at LARGE loops, over the same write at SMALL."""
SPIKE_TIMES = 2.0
"""The first write of a day, against a write whose day was swept already."""
BULK_MB = 150.0
PROMPT_MS = 5.0
DIGEST_MS = 500.0
TEAM_MS = 2000.0

EVERYDAY = ("add", "list", "list --json", "show open", "show closed", "done", "close", "status")
WRITES = ("add", "done", "close")
FIRST_OF_DAY = "add, first of the day"
LOOP_ID_TAB = "TAB on a loop id"
BULK = (
    ("export jsonl", "`export --all --format jsonl`"),
    ("export json", "`export --all --format json`"),
    ("import jsonl", "`import` of the JSON Lines export"),
    ("import json", "`import` of the JSON export"),
)
READS = (
    (MIDDLE, ("list", "status"), "no slower than"),
    (LARGE, ("list", "show open", "show closed", "status"), "faster than"),
)
INFORMATIVE = {MIDDLE: ("add", "show open", "show closed", "done", "close"), LARGE: WRITES}
"""Rows beside Taskwarrior that no target compares: shown for scale."""
TYPER_FLOOR = '`python -c "import typer"`'


@dataclass(frozen=True)
class Target:
    """One line of the table: what is aimed at, what was measured, whether it was met."""

    area: str
    goal: str
    measured: str
    met: bool | None = None
    """None when it was not measured."""

    def line(self) -> str:
        verdict = "" if self.met is None else "met" if self.met else "**not met**"
        return f"| {self.area} | {self.goal} | {self.measured} | {verdict} |"


def signed(value: float) -> str:
    """Milliseconds with their sign, thousands apart."""
    return f"{value:+,.0f}".replace(",", " ")


def missing(loops: int) -> str:
    return f"not measured: run with {loops} in --sizes"


def against(row: Row) -> str:
    """loopcloser's median against Taskwarrior's nearest."""
    assert row.peer_timing is not None
    return f"{ms(row.timing.median)} ms against {ms(row.peer_timing.median)} ms"


def start_up(results: Results) -> list[Target]:
    """Every everyday command, and TAB on a loop id, close to the least a typer program takes."""
    goal = f"within {START_UP_MS:g} ms of {TYPER_FLOOR} at {SMALL} loops"
    size = results.sizes.get(SMALL)
    if size is None:
        return [Target("start-up", f"every everyday command {goal}", missing(SMALL))]
    targets = []
    for name in (*EVERYDAY, LOOP_ID_TAB):
        if name == LOOP_ID_TAB:
            area, said = "TAB", "`loopcloser done <TAB>` (asks loopcloser for loop ids)"
        else:
            area, said = "start-up", f"`{name}`"
        row = size.row(name)
        over = row.timing.over("typer") if row else None
        if row is None or over is None:
            targets.append(Target(area, f"{said} {goal}", "not measured"))
            continue
        floor = statistics.median(row.timing.floors["typer"])
        measured = f"{signed(over)} ms: {ms(row.timing.median)} ms against {ms(floor)} ms"
        targets.append(Target(area, f"{said} {goal}", measured, over <= START_UP_MS))
    return targets


def reads(results: Results) -> list[Target]:
    """Reads on large stores beside Taskwarrior's nearest."""
    targets = []
    for loops, names, words in READS:
        size = results.sizes.get(loops)
        listed = ", ".join(f"`{name}`" for name in names)
        if size is None or not results.with_peer:
            why = missing(loops) if size is None else "not measured: Taskwarrior not compared"
            targets.append(Target("reads", f"{listed} at {loops} loops {words} Taskwarrior", why))
            continue
        for name in names:
            row = size.row(name)
            if row is None or row.peer_timing is None:
                targets.append(Target("reads", f"`{name}` at {loops} loops {words} Taskwarrior",
                                      "not measured"))  # fmt: skip
                continue
            mine, theirs = row.timing.median, row.peer_timing.median
            met = mine <= theirs if words == "no slower than" else mine < theirs
            goal = f"`{name}` at {loops} loops {words} `{row.peer}`"
            targets.append(Target("reads", goal, against(row), met))
    return targets


def writes(results: Results) -> list[Target]:
    """A write on a large store costs about what it costs on a small one.

    The two are run by turns, so that they meet the same load: each size's own row,
    taken minutes apart on a shared machine, would hold the machine's changes too.
    """
    targets = []
    for name in WRITES:
        goal = f"`{name}` at {LARGE} loops within {GROWTH_MS:g} ms of `{name}` at {SMALL}"
        if name not in results.growth:
            absent = [loops for loops in (SMALL, LARGE) if loops not in results.sizes]
            why = missing(absent[0]) if absent else "not measured"
            targets.append(Target("writes", goal, why))
            continue
        small, large = results.growth[name]
        growth = large.median - small.median
        measured = (
            f"{signed(growth)} ms: {ms(large.median)} ms against {ms(small.median)} ms,"
            " run by turns"
        )
        targets.append(Target("writes", goal, measured, growth <= GROWTH_MS))
    return targets


def spike(results: Results) -> list[Target]:
    """The day's first write, which sweeps finished loops to the archive, is no spike."""
    goal = f"the first write of a day at {LARGE} loops within {SPIKE_TIMES:g}× a normal write"
    size = results.sizes.get(LARGE)
    first = size.row(FIRST_OF_DAY) if size else None
    if size is None or first is None or size.swept_add is None:
        return [Target("daily sweep", goal, missing(LARGE) if size is None else "not measured")]
    normal = size.swept_add
    times = first.timing.median / normal.median
    measured = (
        f"`add` as the day's first write {ms(first.timing.median)} ms against"
        f" {ms(normal.median)} ms once the day is swept, run by turns: {times:.1f}×"
    )
    return [Target("daily sweep", goal, measured, times <= SPIKE_TIMES)]


def bulk(results: Results) -> list[Target]:
    """Exporting and importing every loop: faster than Taskwarrior, in bounded memory."""
    size = results.sizes.get(LARGE)
    targets = []
    for name, said in BULK:
        row = size.row(name) if size else None
        speed = f"{said} of {LARGE} loops faster than Taskwarrior's"
        memory = f"{said} of {LARGE} loops in under {BULK_MB:g} MB"
        if row is None:
            why = missing(LARGE) if size is None else "not measured"
            targets += [Target("bulk", speed, why), Target("bulk", memory, why)]
            continue
        if row.peer_timing is None:
            targets.append(Target("bulk", speed, "not measured: Taskwarrior not compared"))
        else:
            met = row.timing.median < row.peer_timing.median
            targets.append(Target("bulk", f"{speed} `{row.peer}`", against(row), met))
        peak = row.timing.peak_kib
        if peak is None:
            targets.append(Target("bulk", memory, "not measured: no GNU time"))
        else:
            megabytes = peak * 1024 / 1e6
            met = megabytes < BULK_MB
            targets.append(Target("bulk", memory, f"peak {megabytes:.0f} MB", met))
    return targets


def largest(results: Results, measured: str) -> Size | None:
    """The largest size on which the in-shell figure ``measured`` was taken."""
    having = [size for size in results.sizes.values() if getattr(size, measured) is not None]
    return max(having, key=lambda size: size.loops, default=None)


def prompt(results: Results) -> list[Target]:
    """The prompt's segment, read by the shell from the status file beside the store."""
    goal = f"the prompt segment (the guide's bash snippet) under {PROMPT_MS:g} ms"
    size = largest(results, "prompt")
    if size is None or size.prompt is None:
        return [Target("prompt", goal, "not measured: no status file beside the store")]
    segment = size.prompt
    measured = f"{segment.median:.3f} ms a prompt at {size.loops} loops"
    status = size.row("status")
    if status and status.peer_timing:
        measured += (
            f"; from a prompt `{status.peer}` takes {ms(status.peer_timing.median)} ms,"
            f" `loopcloser status` {ms(status.timing.median)} ms"
        )
    if not segment.left:
        measured += "; **it showed nothing**"
    return [Target("prompt", goal, measured, segment.median < PROMPT_MS and bool(segment.left))]


def command_tab(results: Results) -> list[Target]:
    """TAB on a command name: the shell alone, no Python."""
    goal = "TAB on a command name (`loopcloser st<TAB>`) starts no Python: under `python -c pass`"
    size = largest(results, "command_tab")
    python = size.row("python -c pass") if size else None
    if size is None or size.command_tab is None or python is None:
        return [Target("TAB", goal, "not measured")]
    tab = size.command_tab
    measured = (
        f"{tab.median:.2f} ms a TAB, offering `{tab.left}`, against {ms(python.timing.median)} ms"
    )
    if size.task_tab is not None:
        measured += f"; Taskwarrior's completion (`task ne<TAB>`) {ms(size.task_tab.median)} ms"
    met = tab.median < python.timing.median and "status" in tab.left.split()
    return [Target("TAB", goal, measured, met)]


def others(results: Results) -> list[Target]:
    """The targets of earlier issues, kept in sight."""
    targets = []
    size = results.sizes.get(LARGE)
    digest = size.row("digest") if size else None
    goal = f"`digest` at {LARGE} loops under {DIGEST_MS / 1000:g} s"
    if digest is None:
        targets.append(Target("digest", goal, missing(LARGE)))
    else:
        median = digest.timing.median
        targets.append(Target("digest", goal, f"{ms(median)} ms", median < DIGEST_MS))
    team = results.team
    if team is None:
        goal = f"report over 20 stores of 10000 loops under {TEAM_MS / 1000:g} s"
        targets.append(Target("team report", goal, "not measured"))
    else:
        goal = f"report over {team.stores} stores of {team.loops} loops under {TEAM_MS / 1000:g} s"
        median = team.row.timing.median
        targets.append(Target("team report", goal, f"{ms(median)} ms", median < TEAM_MS))
    return targets


def table(results: Results) -> list[str]:
    """The Markdown table of every target."""
    every = [
        *start_up(results),
        *reads(results),
        *writes(results),
        *spike(results),
        *bulk(results),
        *prompt(results),
        *command_tab(results),
        *others(results),
    ]
    return ["| | target | measured | met |", "|---|---|---|---|", *(one.line() for one in every)]


def informative(results: Results) -> list[str]:
    """Commands beside Taskwarrior's nearest that no target compares, shown for scale."""
    head = "| command | loops | loopcloser ms | Taskwarrior's nearest | ms |"
    lines = [f"{head} loopcloser / Taskwarrior |", "|---|---:|---:|---|---:|---:|"]
    for loops, names in INFORMATIVE.items():
        size = results.sizes.get(loops)
        for name in names if size else ():
            row = size.row(name) if size else None
            if row is None or row.peer_timing is None:
                continue
            mine, theirs = row.timing.median, row.peer_timing.median
            lines.append(
                f"| `{name}` | {loops} | {ms(mine)} | `{row.peer}` | {ms(theirs)} "
                f"| {mine / theirs:.2f}× |"
            )
    return lines if len(lines) > 2 else []
