"""What the shell does without starting loopcloser: the prompt's segment, TAB on a command.

Both run inside a bash that is already running, as at a prompt: a batch of calls is
timed with bash's own clock (EPOCHREALTIME), so bash's start-up is not counted, and
the loop that repeats the call is (a few microseconds: the figures err high).
"""

from __future__ import annotations

import re
import shlex
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from timing import Failed

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"
TASK_COMPLETION = Path("/usr/share/bash-completion/completions/task")
CALLS = 1000
"""Calls of a function in the shell in each timed batch."""


@dataclass
class InShell:
    """Milliseconds one call takes inside a running bash, a figure for each batch."""

    ms: list[float]
    calls: int
    left: str
    """What the last call left: the prompt's segment, or the candidates offered."""

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


def prompt_snippet(guide: Path = GUIDE) -> str:
    """The guide's bash prompt function, as a user pastes it (without the PS1 lines)."""
    text = guide.read_text(encoding="utf-8")
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        if "__loopcloser_prompt()" in block:
            kept = [
                line
                for line in block.splitlines()
                if not line.startswith(("PROMPT_COMMAND=", "PS1=", "starship"))
            ]
            return "\n".join(kept)
    raise Failed(f"{guide} has no bash snippet defining __loopcloser_prompt")


def in_bash(
    setup: str, call: str, shown: str, env: dict[str, str], runs: int, calls: int = CALLS
) -> InShell:
    """Time ``call`` in one bash after ``setup``: ``runs`` batches of ``calls`` calls each,
    after one call to warm up; ``shown`` prints what the last call left."""
    script = f"""{setup}
{call}
for (( batch = 0; batch < {runs}; batch++ )); do
    start=$EPOCHREALTIME
    for (( call = 0; call < {calls}; call++ )); do {call}; done
    echo "$start $EPOCHREALTIME"
done
{shown}
"""
    done = subprocess.run(
        ["bash", "-c", script],
        env={**env, "LC_ALL": "C"},  # EPOCHREALTIME with a decimal point
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < runs:
        raise Failed(f"bash timing {call} exited {done.returncode}: {done.stderr[-500:]}")
    ms = []
    for line in lines[:runs]:
        start, end = map(float, line.split())
        ms.append((end - start) * 1000 / calls)
    return InShell(ms, calls, "\n".join(lines[runs:]).strip())


def prompt(store: Path, env: dict[str, str], runs: int) -> InShell:
    """The guide's bash prompt function reading the status file beside ``store``."""
    setup = f"export LOOPCLOSER_STORE={shlex.quote(str(store))}\n{prompt_snippet()}"
    shown = 'printf "%s\\n" "${LOOPCLOSER_SEGMENT-}"'
    return in_bash(setup, "__loopcloser_prompt", shown, env, runs)


def command_tab(script: Path, program: str, env: dict[str, str], runs: int) -> InShell:
    """TAB after ``loopcloser st`` with loopcloser's bash completion script sourced.

    ``program`` is what the script would start for a value it must ask for; on a
    command name it starts nothing.
    """
    setup = f"source {shlex.quote(str(script))}\nCOMP_WORDS=(loopcloser st); COMP_CWORD=1"
    call = f"_loopcloser_completion {shlex.quote(program)} st loopcloser"
    return in_bash(setup, call, 'printf "%s\\n" "${COMPREPLY[*]}"', env, runs)


def task_command_tab(env: dict[str, str], runs: int, calls: int = 5) -> InShell | None:
    """TAB after ``task ne`` with Taskwarrior's own bash completion; None without it.

    Its script asks ``task`` for its commands, aliases and columns at every TAB.
    """
    if not TASK_COMPLETION.exists():
        return None
    setup = f"source {shlex.quote(str(TASK_COMPLETION))}\nCOMP_WORDS=(task ne); COMP_CWORD=1"
    return in_bash(setup, "_task", 'printf "%s\\n" "${COMPREPLY[*]}"', env, runs, calls)


def completion_script(program: str, env: dict[str, str], folder: Path) -> Path:
    """loopcloser's bash completion script, written as ``--show-completion`` writes it."""
    written = subprocess.run(
        [program],
        env={**env, "_LOOPCLOSER_COMPLETE": "source_bash"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if written.returncode != 0 or "_loopcloser_completion" not in written.stdout:
        raise Failed(f"no bash completion script from loopcloser: {written.stderr[-500:]}")
    script = folder / "loopcloser-completion.bash"
    script.write_text(written.stdout, encoding="utf-8")
    return script
