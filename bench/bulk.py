"""Bulk export and import: every loop of a large store out in each format, and back in.

Times `export --all --format json|jsonl|csv -o FILE` on a generated store (as
generated: one file, no archive), then `import FILE` of each export into an empty
store, and, when Taskwarrior is installed, `task import` and `task export` of the
same loops. Each figure is a whole process: the best wall time of --runs, and the
peak memory of that run, from GNU time (as bench/run.py measures them).

bench/run.py times the JSON and JSON Lines export and import of every size against
the speed issue's targets; this adds CSV, on the store as generated.

Run: .venv/bin/python bench/bulk.py [--loops 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import taskwarrior
from generate import NOW_TEXT, cached, default_cache
from timing import LOOPCLOSER, run_once

CONFIG = 'agent = "anna"\ntimezone = "Europe/Rome"\n'
Row = tuple[str, float, int | None]


def best(
    name: str, argv: list[str], env: dict[str, str], runs: int, fresh: Callable[[], None]
) -> Row:
    """The fastest of ``runs`` runs of ``argv`` (seconds, peak KiB); ``fresh`` before each."""
    timings = []
    for _ in range(runs):
        fresh()
        milliseconds, peak = run_once(argv, env)
        timings.append((milliseconds / 1000, peak))
    seconds, peak = min(timings, key=lambda timing: timing[0])
    return name, seconds, peak


def main() -> None:
    """Parse the arguments, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loops", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    source, summary = cached(default_cache(), arguments.loops)
    work = Path(tempfile.mkdtemp(prefix="loopcloser-bulk-"))
    try:
        (work / "config.toml").write_text(CONFIG, encoding="utf-8")
        env = {**os.environ, "LOOPCLOSER_CONFIG": str(work / "config.toml")}
        env["LOOPCLOSER_NOW"] = NOW_TEXT
        store, empty = work / "loops.json", work / "empty.json"
        shutil.copyfile(source, store)

        def nothing() -> None:
            pass

        def empty_store() -> None:
            for leftover in work.glob("*empty.json*"):
                leftover.unlink()

        rows: list[Row] = []
        for kind in ("json", "jsonl", "csv"):
            argv = [LOOPCLOSER, "export", "--all", "--format", kind, "-o", str(work / kind)]
            exporting = {**env, "LOOPCLOSER_STORE": str(store)}
            rows.append(
                best(f"export --all --format {kind}", argv, exporting, arguments.runs, nothing)
            )
        for kind in ("jsonl", "csv", "json"):
            argv = [LOOPCLOSER, "import", str(work / kind), "--format", kind]
            importing = {**env, "LOOPCLOSER_STORE": str(empty)}
            rows.append(best(f"import FILE ({kind})", argv, importing, arguments.runs, empty_store))
        task = taskwarrior.executable()
        if task is not None:
            rows += taskwarrior_rows(task, source, work, arguments.runs)
        print(f"{summary.loops:,} loops; the best of {arguments.runs} runs each")
        print("| command | s | peak KiB |\n|---|---:|---:|")
        for name, seconds, peak in rows:
            print(f"| `{name}` | {seconds:.2f} | {peak if peak is None else f'{peak:,}'} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def taskwarrior_rows(task: str, source: Path, work: Path, runs: int) -> list[Row]:
    """``task import`` of the same loops into an empty Taskwarrior, then ``task export``."""
    import orjson

    tasks = work / "tasks.json"
    taskwarrior.import_file(orjson.loads(source.read_bytes())["loops"].values(), tasks)
    env = taskwarrior.setup(work / "task")
    data = Path(env["TASKDATA"])

    def empty() -> None:
        shutil.rmtree(data)
        data.mkdir()

    def nothing() -> None:
        pass

    return [
        best("task import tasks.json", [task, "import", str(tasks)], env, runs, empty),
        best("task export", [task, "export"], env, runs, nothing),
    ]


if __name__ == "__main__":
    main()
