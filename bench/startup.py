"""Start-up cost of everyday commands against bare Python, as whole processes.

Run: .venv/bin/python bench/startup.py [--runs N]
Prints a Markdown table of median / min / max wall time per command.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PACKAGE = Path(__file__).resolve().parent.parent / "loopcloser"


def timed(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Wall-clock milliseconds of ``runs`` runs of ``command`` (after one warm-up)."""
    subprocess.run(command, env=env, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    """Time each command and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    folder = Path(tempfile.mkdtemp(prefix="loopcloser-bench-"))
    # Time what an installed copy does: with its bytecode cached. (With
    # PYTHONDONTWRITEBYTECODE set, every run would compile loopcloser from source.)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=True)
    env = {
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
        "LOOPCLOSER_STORE": str(folder / "loops.json"),
        "LOOPCLOSER_CONFIG": str(folder / "config.toml"),
        "LOOPCLOSER_NOW": "2026-11-25T09:00:00Z",
    }
    tool = str(BIN / "loopcloser")
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("loopcloser --version", [tool, "--version"]),
        ("loopcloser list (empty store)", [tool, "list"]),
        ("loopcloser add", [tool, "add", "Maria Rossi", "call back", "--due", "fri 12:00"]),
        ("loopcloser list (growing store)", [tool, "list"]),
        ("loopcloser show 1", [tool, "show", "1"]),
    ]
    print(
        f"Python {platform.python_version()} on {platform.machine()},"
        f" {os.cpu_count()} cores, {runs} runs each\n"
    )
    print("| command | median ms | min ms | max ms | median over bare Python |")
    print("|---|---:|---:|---:|---:|")
    baseline = None
    for name, command in cases:
        samples = timed(command, env, runs)
        median = statistics.median(samples)
        baseline = median if baseline is None else baseline
        print(
            f"| {name} | {median:.0f} | {min(samples):.0f} | {max(samples):.0f} "
            f"| {median - baseline:+.0f} |"
        )


if __name__ == "__main__":
    main()
