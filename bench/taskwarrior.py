"""The same loops in Taskwarrior, the nearest well-known tool, for side-by-side timings.

Each loop becomes one task: the promise and customer as its description, its
first tag as the project, the rest as tags (plus ``waiting`` or ``untold`` for
those states, which Taskwarrior has no word for), notes and contacts as
annotations; closed loops are completed tasks, cancelled ones deleted tasks.
Taskwarrior reads the real clock, so every moment moves by the whole days
between the benchmark's pinned now and today: overdue stays overdue.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generate import NOW

TASKRC = """\
# A plain Taskwarrior for timing: no prompts, no colour, no hooks, no chatter.
data.location={data}
confirmation=off
verbose=nothing
color=off
hooks=off
gc=on
recurrence=off
detection=off
defaultwidth=120
nag=
bulk=0
news.version=99.0.0
"""


def executable() -> str | None:
    """The ``task`` program, or None when Taskwarrior is not installed."""
    return shutil.which("task")


def version(task: str) -> str:
    """Taskwarrior's version, e.g. 2.6.2."""
    return subprocess.run(
        [task, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def setup(folder: Path) -> dict[str, str]:
    """A private Taskwarrior (taskrc and data folder) in ``folder``; its environment."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    rc = folder / "taskrc"
    rc.write_text(TASKRC.format(data=data), encoding="utf-8")
    return {**os.environ, "TASKRC": str(rc), "TASKDATA": str(data)}


def shift_days() -> int:
    """Whole days from the benchmark's pinned now to today."""
    return int((time.time() - NOW) // 86400)


def when(text: str, shift: int) -> str:
    """A loopcloser moment (2026-11-25T09:00:00Z) as Taskwarrior writes one, moved on."""
    moment = time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    seconds = int(time.mktime(moment)) - time.timezone + shift * 86400  # mktime is local
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


STATUS = {"closed": "completed", "cancelled": "deleted"}


def task(document: dict[str, Any], shift: int) -> dict[str, Any]:
    """One loop as a task in Taskwarrior's import JSON."""
    events = document["events"]
    state = document["state"]
    tags = list(document["tags"])
    if state in ("waiting", "done"):
        tags.append("untold" if state == "done" else "waiting")
    converted: dict[str, Any] = {
        "uuid": document["uid"],
        "description": f"{document['promise']} ({document['customer']})",
        "entry": when(document["created"], shift),
        "modified": when(events[-1]["at"], shift),
        "due": when(document["due"], shift),
        "status": STATUS.get(state, "pending"),
    }
    if state in STATUS:
        converted["end"] = when(events[-1]["at"], shift)
    if tags:
        converted["project"] = tags[0]
    if tags[1:]:
        converted["tags"] = tags[1:]
    annotations = [
        {"entry": when(event["at"], shift), "description": event["text"]}
        for event in events
        if event["kind"] in ("note", "contact") and event.get("text")
    ]
    if annotations:
        converted["annotations"] = annotations
    return converted


def import_file(documents: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the loops as Taskwarrior import JSON (one task a line); how many."""
    import orjson

    shift = shift_days()
    count = 0
    with path.open("wb") as file:
        for document in documents:
            file.write(orjson.dumps(task(document, shift)) + b"\n")
            count += 1
    return count


def task_id(task: str, env: dict[str, str], uid: str) -> str:
    """The working-set id Taskwarrior shows for a pending task."""
    shown = subprocess.run(
        [task, f"uuid:{uid}", "_ids"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return shown.stdout.strip()


def layout(env: dict[str, str]) -> dict[str, int]:
    """Lines (tasks, or changes for undo) in each of Taskwarrior's data files."""
    data = Path(env["TASKDATA"])
    counts = {}
    for name in ("pending.data", "completed.data", "undo.data", "backlog.data"):
        path = data / name
        if path.exists():
            with path.open("rb") as file:
                counts[name] = sum(1 for _ in file)
    return counts
