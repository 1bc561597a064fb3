"""A separate process for tests/test_concurrency.py, started with the store in its environment.

    add LABEL COUNT [--executable]      add COUNT loops, customers "LABEL 0".."LABEL COUNT-1"
    repeat STOP [--executable] ARGS...  run ``loopcloser ARGS`` until the file STOP exists

Each waits for "go" on stdin, so all workers really run at once. By default a command
runs in this process through the CLI entry point (fast); with --executable it runs the
installed executable. At the end one JSON line on stdout: how many runs, what --json
printed (for remind: the reminders fired) and the failures; exit 1 if any failed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

EXECUTABLE = Path(sys.executable).parent / "loopcloser"


def run(args: list[str], executable: bool) -> tuple[int, str, str]:
    """One command: its exit code, stdout and stderr."""
    if executable:
        done = subprocess.run([str(EXECUTABLE), *args], capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr
    from loopcloser.cli import main as cli

    stdout, stderr = io.StringIO(), io.StringIO()
    sys.argv = ["loopcloser", *args]
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            cli.main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
    return code, stdout.getvalue(), stderr.getvalue()


def whole_store() -> str | None:
    """Read the store file as a reader without loopcloser would: it must be whole JSON."""
    try:
        json.loads(Path(os.environ["LOOPCLOSER_STORE"]).read_bytes())
    except FileNotFoundError:
        return None
    except ValueError as error:
        return f"the store file is not whole JSON: {error}"
    return None


def main() -> None:
    mode, executable = sys.argv[1], "--executable" in sys.argv
    words = [word for word in sys.argv[2:] if word != "--executable"]
    sys.stdin.readline()
    runs, printed, failures = 0, [], []
    if mode == "add":
        label, count = words[0], int(words[1])
        for number in range(count):
            args = ["add", f"{label} {number}", "call back", "--due", "today 11:00"]
            code, _, err = run(args, executable)
            runs += 1
            if code != 0:
                failures.append(f"{args}: exit {code}: {err}")
                break
    elif mode == "repeat":
        stop, args = Path(words[0]), words[1:]
        while not stop.exists():
            code, out, err = run(args, executable)
            runs += 1
            problem = None if code == 0 else f"exit {code}: {err}"
            if problem is None and "--json" in args:
                try:
                    parsed = json.loads(out)
                except ValueError as error:
                    problem = f"output is not JSON ({error}): {out[:200]!r}"
                else:
                    if args[0] == "remind":  # what was delivered: kept for the test
                        printed.extend(parsed)
            problem = problem or whole_store()
            if problem is not None:
                failures.append(f"{args} run {runs}: {problem}")
                if len(failures) > 5:
                    break
    else:
        raise SystemExit(f"unknown mode {mode}")
    summary: dict[str, Any] = {"runs": runs, "printed": printed, "failures": failures}
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
