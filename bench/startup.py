"""Everyday commands as whole processes, against bare Python, on a store of N loops.

Run: .venv/bin/python bench/startup.py [--loops 1000] [--runs 20]
Prints a Markdown table of median / min / max wall time per command.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

BIN = Path(sys.executable).parent
PACKAGE = Path(__file__).resolve().parent.parent / "loopcloser"


def timed(commands: Sequence[list[str]], env: dict[str, str]) -> list[float]:
    """Wall-clock milliseconds of each command, run one after the other (after a warm-up)."""
    subprocess.run(commands[0], env=env, capture_output=True, check=False)
    samples = []
    for command in commands[1:]:
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def open_ids(tool: str, env: dict[str, str]) -> list[str]:
    """Ids of loops still open, to mark done or close one per run."""
    listing = subprocess.run([tool, "list", "--state", "open", "--json"], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
    import json

    return [str(loop["id"]) for loop in json.loads(listing.stdout)]


def main() -> None:
    """Time each command and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loops", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    runs = arguments.runs
    # Time what an installed copy does: with its bytecode cached. (With
    # PYTHONDONTWRITEBYTECODE set, every run would compile loopcloser from source.)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=True)
    folder = Path(tempfile.mkdtemp(prefix="loopcloser-bench-"))
    store = folder / "loops.json"
    generate(arguments.loops, store)
    env = {
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
        "LOOPCLOSER_STORE": str(store),
        "LOOPCLOSER_CONFIG": str(folder / "config.toml"),
        "LOOPCLOSER_NOW": "2026-11-25T09:00:00Z",
    }
    tool = str(BIN / "loopcloser")
    ids = open_ids(tool, env)
    needed = 2 * (runs + 1)
    if len(ids) < needed:
        parser.error(f"need {needed} open loops for {runs} runs, the store has {len(ids)}")

    def each(*args: str) -> list[list[str]]:
        return [[tool, *args]] * (runs + 1)

    cases = [
        ("python -c pass", [[sys.executable, "-c", "pass"]] * (runs + 1)),
        ("loopcloser --version", each("--version")),
        ("loopcloser list", each("list")),
        ("loopcloser status", each("status")),
        ("loopcloser show", each("show", ids[0])),
        ("loopcloser add", each("add", "Maria Rossi", "call back", "--due", "fri 12:00")),
        ("loopcloser done", [[tool, "done", loop_id] for loop_id in ids[: runs + 1]]),
        ("loopcloser close", [[tool, "close", loop_id] for loop_id in ids[runs + 1 : needed]]),
    ]
    print(
        f"{arguments.loops} loops; Python {platform.python_version()} on {platform.machine()},"
        f" {os.cpu_count()} cores; {runs} runs each\n"
    )
    print("| command | median ms | min ms | max ms | median over bare Python |")
    print("|---|---:|---:|---:|---:|")
    baseline = None
    for name, commands in cases:
        samples = timed(commands, env)
        median = statistics.median(samples)
        baseline = median if baseline is None else baseline
        print(
            f"| {name} | {median:.0f} | {min(samples):.0f} | {max(samples):.0f} "
            f"| {median - baseline:+.0f} |"
        )
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
