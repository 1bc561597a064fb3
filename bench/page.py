"""RESULTS.md: the targets first, then each size's table, what start-up costs, the team."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import targets
import taskwarrior
from generate import NOW_TEXT
from imports import total_ms
from results import Results, Row, Size
from shell import CALLS
from timing import LOOPCLOSER, Timing, ms

if TYPE_CHECKING:
    from run import Bench

ROOT = Path(__file__).resolve().parent.parent
PROFILE_ROWS = 15
"""How many of the modules a start-up imports the page lists."""
MEMORY_ROWS = ("list", "add", "export jsonl", "export json", "import jsonl", "import json")


def measured_version(env: dict[str, str] | None = None) -> str:
    """The loopcloser measured: its version and the commit it was built from."""
    version = subprocess.run(
        [LOOPCLOSER, "--version"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD")
    # The page itself, written by the last run, does not make the code measured another.
    if commit and git("status", "--porcelain", "--", ".", ":(exclude)bench/RESULTS.md"):
        commit += "-dirty"
    return f"{version.removeprefix('loopcloser ')} ({commit or 'no git'})"


def git(*args: str) -> str:
    """What git says of the project's checkout ("" where there is none)."""
    said = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    return said.stdout.strip() if said.returncode == 0 else ""


def machine() -> list[tuple[str, str]]:
    """What the figures were measured on."""
    cpu = "unknown"
    memory = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu
        )
    with open("/proc/meminfo", encoding="utf-8") as info:
        total = next((line.split()[1] for line in info if line.startswith("MemTotal")), None)
        memory = f"{int(total) / 2**20:.1f} GiB" if total else memory
    system = platform.platform()
    try:
        release = Path("/etc/os-release").read_text(encoding="utf-8")
        pretty = next(
            line.split("=", 1)[1].strip('"')
            for line in release.splitlines()
            if line.startswith("PRETTY_NAME=")
        )
        system = f"{pretty} ({platform.system()} {platform.release()})"
    except (OSError, StopIteration):
        pass
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("memory", memory),
        ("OS", system),
        ("Python", platform.python_version()),
    ]


def over(timing: Timing, floor: str) -> str:
    """Milliseconds over a floor, if it was measured beside the command."""
    value = timing.over(floor)
    return "" if value is None else targets.signed(value)


def ratio(row: Row) -> str:
    """How many times Taskwarrior's time loopcloser takes."""
    if row.peer_timing is None:
        return ""
    return f"{row.timing.median / row.peer_timing.median:.2f}×"


def table(rows: list[Row], with_peer: bool) -> list[str]:
    """The Markdown table of one size."""
    head = (
        "| command | median ms | min | max | runs | over bare Python | over the typer floor "
        "| peak MiB |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if with_peer:
        head += " Taskwarrior's nearest | median ms | peak MiB | loopcloser / Taskwarrior |"
        rule += "---|---:|---:|---:|"
    lines = [head, rule]
    for row in rows:
        timing = row.timing
        line = (
            f"| `{row.command}` | {ms(timing.median)} | {ms(min(timing.ms))} "
            f"| {ms(max(timing.ms))} | {len(timing.ms)} | {over(timing, 'bare')} "
            f"| {over(timing, 'typer')} | {timing.peak_mib} |"
        )
        if with_peer:
            peer = row.peer_timing
            line += (
                f" `{row.peer}` | {ms(peer.median)} | {peer.peak_mib} | {ratio(row)} |"
                if peer
                else " | | | |"
            )
        lines.append(line)
    return lines


def memory(results: Results) -> list[str]:
    """Peak memory at 100,000 loops, beside Taskwarrior's."""
    large = results.sizes.get(targets.LARGE)
    if large is None:
        return []
    lines = ["", f"Memory at {targets.LARGE} loops (peak resident set of the process):", ""]
    for name in MEMORY_ROWS:
        row = large.row(name)
        if row:
            theirs = (
                f"; Taskwarrior's `{row.peer}` {row.peer_timing.peak_mib} MiB"
                if row.peer_timing
                else ""
            )
            lines.append(f"- `{row.command}`: {row.timing.peak_mib} MiB{theirs}")
    return lines


def in_shell(size: Size) -> list[str]:
    """What the shell does alone at this size, as notes."""
    lines = []
    if size.prompt:
        lines.append(
            f"- the guide's bash prompt snippet, reading `loops.json.status`:"
            f" {size.prompt.median:.3f} ms a prompt (median of {len(size.prompt.ms)} batches"
            f" of {size.prompt.calls} in one bash); it showed `{size.prompt.left or 'nothing'}`"
        )
    if size.command_tab:
        lines.append(
            f"- TAB after `loopcloser st`, loopcloser's bash completion script sourced:"
            f" {size.command_tab.median:.3f} ms a TAB; it offered `{size.command_tab.left}`"
        )
    if size.task_tab:
        lines.append(
            f"- TAB after `task ne`, Taskwarrior's bash completion sourced:"
            f" {ms(size.task_tab.median)} ms a TAB ({size.task_tab.calls} a batch);"
            f" it offered `{size.task_tab.left}`"
        )
    return lines


def import_profile(results: Results) -> list[str]:
    """The modules that ``list --json`` takes longest to import."""
    if not results.imports:
        return []
    lines = [
        "",
        "## What start-up costs",
        "",
        "`python -X importtime -c 'from loopcloser.__main__ import main; main()' list --json`"
        f" on the store of {results.imports_at} loops (what the executable runs): the"
        f" {PROFILE_ROWS} modules with the largest cumulative import time, medians of the"
        " timed runs. A module's cumulative time holds the modules it imported, so those"
        " count in their importer's too; one imported by no other module's import (blank)"
        " was imported by code as it ran. All the imports took"
        f" {total_ms(results.imports):.0f} ms (with the profiler's own cost).",
        "",
        "| module | imported by | cumulative ms | self ms |",
        "|---|---|---:|---:|",
    ]
    for one in results.imports[:PROFILE_ROWS]:
        by = f"`{one.parent}`" if one.parent else ""
        lines.append(
            f"| `{one.module}` | {by} | {one.cumulative_us / 1000:.1f} | {one.self_us / 1000:.1f} |"
        )
    return lines


def size_section(size: Size, with_peer: bool) -> list[str]:
    """One size: its store, its notes, its table."""
    states = ", ".join(f"{count} {state}" for state, count in sorted(size.summary.states.items()))
    lines = [
        "",
        f"## {size.loops} loops",
        "",
        f"The store: {states}; {size.store_mib:.1f} MiB as generated.",
        "",
        *[f"- {note}" for note in size.notes],
        *in_shell(size),
        "",
        *table(size.rows, with_peer),
    ]
    if size.before_archive:
        lines += [
            "",
            "Before `loopcloser archive` (the same store as one file):",
            "",
            *table(size.before_archive, False),
        ]
    return lines


def method(arguments: argparse.Namespace) -> list[str]:
    """How the figures were taken."""
    slow = f"{arguments.slow:g} s"
    return [
        f"Medians of the timed runs, after one warm-up run (a command slower than {slow}",
        "gets 3 runs in all, the first counted). A command that writes gets a fresh copy of the",
        "store (and of Taskwarrior's data) before each run, made outside the timing: every file",
        "and folder of the store (`loops.*`, `.loops.*`) and its backup of the day.",
        f"LOOPCLOSER_NOW is pinned to {NOW_TEXT}; Taskwarrior reads the real clock, so its",
        "tasks' dates are moved by whole days to keep the same ones overdue. Taskwarrior runs",
        "with a private taskrc: confirmation, colour, hooks and recurrence off, verbose nothing.",
        'Before each timed run of loopcloser, `python -c pass` and `python -c "import typer"`',
        "run too: over bare Python and over the typer floor are the command's median less",
        "theirs, all three met with the same load from whatever else the machine is doing.",
        "Peak MiB is each process's maximum resident memory. The day's first write is `add` on",
        "the store as `loopcloser archive` left it the day before, so that it does the day's",
        "sweep; the `add` row writes to a store already swept today. The prompt's segment and",
        f"TAB on a command name are timed inside one running bash, {CALLS} calls a batch, with",
        "bash's own clock: no process starts for them.",
    ]


def page(bench: Bench, arguments: argparse.Namespace, results: Results, seconds: float) -> str:
    """RESULTS.md."""
    peer = taskwarrior.version(bench.task) if bench.task else "not compared"
    lines = [
        "# loopcloser benchmarks",
        "",
        "Whole processes, as an agent or a script runs them, on stores generated to look like",
        "two years of an agent's work (bench/generate.py), side by side with Taskwarrior holding",
        "the same loops. Written by bench/run.py; do not edit by hand.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in machine()],
        f"| loopcloser | {measured_version(bench.env)} |",
        f"| Taskwarrior | {peer} |",
        f"| date | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC |",
        f"| reproduce | `make bench`, i.e. `{reproduce(arguments)}` |",
        f"| took | {seconds / 60:.1f} min, store generation included |",
        f"| load average | {bench.load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end |",
        "",
        *method(arguments),
        "",
        "## Targets",
        "",
        *targets.table(results),
    ]
    beside = targets.informative(results)
    if beside:
        lines += ["", "Beside Taskwarrior, for scale (no target compares these):", "", *beside]
    lines += memory(results)
    lines += import_profile(results)
    for size in results.sizes.values():
        lines += size_section(size, results.with_peer)
    if results.team:
        lines += [
            "",
            "## Team report",
            "",
            *[f"- {note}" for note in results.team.notes],
            "",
            *table([results.team.row], False),
        ]
    return "\n".join(lines) + "\n"


def reproduce(arguments: argparse.Namespace) -> str:
    """The command line that takes these figures again."""
    words = [
        ".venv/bin/python",
        "bench/run.py",
        "--sizes",
        *map(str, arguments.sizes),
        "--runs",
        str(arguments.runs),
    ]
    if arguments.team_stores != 20 or arguments.team_size != 10000:
        words += [
            "--team-stores",
            str(arguments.team_stores),
            "--team-size",
            str(arguments.team_size),
        ]
    return shlex.join(words)
