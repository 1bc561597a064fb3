"""Where a command's start-up goes: the modules it imports, from ``python -X importtime``."""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass, replace

from timing import Failed

ENTRY = "from loopcloser.__main__ import main; main()"
"""What the ``loopcloser`` executable runs."""


@dataclass(frozen=True)
class Imported:
    """One module's import: its own microseconds, with those it imported, and its importer."""

    module: str
    self_us: float
    cumulative_us: float
    depth: int
    parent: str = ""
    """The module that imported it first ("" for one imported by the program itself)."""


def import_times(stderr: str) -> dict[str, Imported]:
    """The modules ``-X importtime`` reported, by name (a module is imported once).

    A module is reported once its own imports are done: after them, one level less
    indented. So the modules still waiting for their importer are kept until it comes.
    """
    found: dict[str, Imported] = {}
    waiting: list[Imported] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        if not own.strip().isdigit():  # the heading
            continue
        module = name.strip()
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        while waiting and waiting[-1].depth > depth:
            child = waiting.pop()
            found[child.module] = replace(child, parent=module)
        imported = Imported(module, float(own), float(cumulative), depth)
        found[module] = imported
        waiting.append(imported)
    return found


def profile(args: list[str], env: dict[str, str], runs: int) -> list[Imported]:
    """Every module a command imports, its times the medians of ``runs`` runs (after one
    to warm up), largest cumulative time first."""
    seen: list[dict[str, Imported]] = []
    for _ in range(runs + 1):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", ENTRY, *args],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if done.returncode != 0:
            raise Failed(f"-X importtime of {args} exited {done.returncode}: {done.stderr[-300:]}")
        seen.append(import_times(done.stderr))
    counted = seen[1:]
    modules = []
    for name, first in counted[0].items():
        times = [run[name] for run in counted if name in run]
        modules.append(
            Imported(
                name,
                statistics.median(one.self_us for one in times),
                statistics.median(one.cumulative_us for one in times),
                first.depth,
                first.parent,
            )
        )
    return sorted(modules, key=lambda one: one.cumulative_us, reverse=True)


def total_ms(modules: list[Imported]) -> float:
    """All the imports' time: the cumulative times of the modules nothing else imported."""
    return sum(one.cumulative_us for one in modules if one.depth == 0) / 1000
