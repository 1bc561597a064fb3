"""Whole processes timed run after run: wall time, and each process's own peak memory.

A figure means little apart from what the machine gave at that moment, so a run can
be preceded by floors, timed just before it under the same load: ``python -c pass``
(bare Python) and ``python -c "import typer"`` (the least a typer program can start in).
"""

from __future__ import annotations

import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOPCLOSER = str(Path(sys.executable).parent / "loopcloser")
"""The loopcloser installed beside this Python: the one measured."""
BARE = [sys.executable, "-c", "pass"]
TYPER = [sys.executable, "-c", "import typer"]
FLOORS: dict[str, list[str]] = {"bare": BARE, "typer": TYPER}
"""What each timed run of loopcloser is compared with, by the name Timing.over takes."""


@dataclass
class Timing:
    """Wall-clock milliseconds and peak memory (KiB) of each timed run."""

    ms: list[float] = field(default_factory=list)
    rss: list[int | None] = field(default_factory=list)
    floors: dict[str, list[float]] = field(default_factory=dict)
    """Each floor's milliseconds, run just before each timed run: what the machine gave then."""

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    def over(self, floor: str) -> float | None:
        """How much longer than the floor, each measured under the same load; None if not."""
        times = self.floors.get(floor)
        return self.median - statistics.median(times) if times else None

    @property
    def over_bare(self) -> float | None:
        """How much longer than bare Python."""
        return self.over("bare")

    @property
    def peak_kib(self) -> int | None:
        """The largest peak of the runs, in KiB; None where GNU time is missing."""
        known = [kib for kib in self.rss if kib is not None]
        return max(known) if known else None

    @property
    def peak_mib(self) -> str:
        peak = self.peak_kib
        return f"{peak / 1024:.0f}" if peak is not None else "?"


class Failed(Exception):
    """A timed command did not succeed: the figures would mean nothing."""


def gnu_time() -> str | None:
    """GNU time, which reports a child's own peak memory; None where it is missing."""
    found = shutil.which("time") or "/usr/bin/time"
    try:
        probe = subprocess.run([found, "-f", "%M", "true"], capture_output=True, check=False)
    except OSError:
        return None
    return found if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


# The peak memory of a child of this process would count this process's own: a child
# starts as a copy of its parent. So children start under the small GNU time, which
# reports the command's own peak (its start adds about a millisecond to every figure).
TIME = gnu_time()


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int | None]:
    """Run one process to its end: milliseconds from start to exit, and its peak KiB."""
    with tempfile.NamedTemporaryFile() as memory, tempfile.TemporaryFile() as errors:
        wrapped = [TIME, "-f", "%M", "-o", memory.name, "--", *argv] if TIME else argv
        start = time.perf_counter()
        done = subprocess.run(
            wrapped,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            check=False,
        )
        elapsed = (time.perf_counter() - start) * 1000
        if done.returncode != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()
            raise Failed(f"{shlex.join(argv)} exited {done.returncode}: {said[-500:]}")
        lines = memory.read().decode().split()
    return elapsed, int(lines[-1]) if TIME and lines else None


def measure(
    argv: list[str],
    env: dict[str, str],
    runs: int,
    slow: float,
    fresh: Callable[[], None] | None = None,
    floors: Mapping[str, Sequence[str]] | None = None,
) -> Timing:
    """Time ``argv`` over several runs; ``fresh`` prepares each run, outside the timing.

    The first run only warms the caches, unless it takes over ``slow`` seconds: then
    a cold cache is lost in the noise, so it counts, and 3 runs in all will do. Each
    of ``floors`` runs just before each run, so that the two are compared under the
    same load on a shared machine.
    """
    timing = Timing(floors={name: [] for name in floors or {}})
    warm = False
    while len(timing.ms) < runs:
        if fresh:
            fresh()
        before = {name: run_once(list(floor), env)[0] for name, floor in (floors or {}).items()}
        ms, rss = run_once(argv, env)
        if not warm:
            warm = True
            if ms <= slow * 1000:
                continue  # the warm-up: not counted
            runs = min(runs, 3)
        timing.ms.append(ms)
        timing.rss.append(rss)
        for name, took in before.items():
            timing.floors[name].append(took)
    return timing


def ms(value: float) -> str:
    """Milliseconds, thousands apart."""
    return f"{value:,.0f}".replace(",", " ")
