"""A separate process for tests/test_team.py: `MODE TEAM SOURCE TARGET ID[,ID...]`.

Modes: `move` hands the loops off one by one once "go" arrives on stdin; `slow-move`
does the same, pausing between the receiver's write and the giver's as a busy disk would;
`crash-after-intent` and `crash-after-receiver` die (exit 9) at that point of the
first handoff, as a killed process would: no cleanup, no exception handlers.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from loopcloser.core.model import Event, Kind
from loopcloser.storage import team

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def die() -> None:
    """End the process on the spot, skipping every finally block."""
    os._exit(9)


def main() -> None:
    """Run the handoffs named on the command line."""
    mode, folder, source, target, ids = sys.argv[1:6]
    if mode == "crash-after-intent":
        team._after_intent_written = die
    elif mode == "crash-after-receiver":
        team._after_receiver_written = die
    elif mode in ("move", "slow-move"):
        if mode == "slow-move":
            team._after_receiver_written = lambda: time.sleep(0.05)
        sys.stdin.readline()  # wait for "go", so both workers really run at once
    else:
        raise SystemExit(f"unknown mode {mode}")
    for loop_id in ids.split(","):
        event = Event(
            kind=Kind.HANDOFF, at=AT, by=source, text="over to you", changes={"owner": target}
        )
        team.handoff(Path(folder), source, int(loop_id), target, event)


if __name__ == "__main__":
    main()
