"""Loops out of the store, for scripts, spreadsheets and calendars: export."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loopcloser.commands.base import StoreOption, app, completes
from loopcloser.errors import BadInput
from loopcloser.program import now_moment, open_store, settings, write_output

if TYPE_CHECKING:
    from loopcloser.config import Settings
    from loopcloser.model import Flags, Loop

FORMATS = ("json", "jsonl", "csv", "ics")
CSV_COLUMNS = (
    "id",
    "uid",
    "customer",
    "contact",
    "promise",
    "due",
    "owner",
    "tags",
    "ref",
    "state",
)


@app.command()
def export(
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json, jsonl, csv or ics.",
            metavar="FORMAT",
            autocompletion=completes("export_formats"),
        ),
    ] = "json",
    ics: Annotated[bool, typer.Option("--ics", help="Same as --format ics.")] = False,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Closed and cancelled loops too (not for ics).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Export loops: JSON or JSON Lines with every field and the history, CSV for a
    spreadsheet, or an iCalendar file so your own calendar reminds you too.

    Example: loopcloser export --format csv --all -o loops.csv
    """
    from loopcloser import actions
    from loopcloser.model import ACTIVE, State

    kind = "ics" if ics else format.strip().lower()
    if kind not in FORMATS:
        raise BadInput(f"cannot export as '{format}'", hint=f"use one of: {', '.join(FORMATS)}")
    conf = settings()
    now = now_moment()
    states = frozenset(State) if show_all and kind != "ics" else ACTIVE
    rows = actions.select(
        open_store(store, conf), actions.Query(states), now, conf.tz, conf.cadence
    )
    write_output(
        serialise(kind, rows, now, conf), output, f"{len(rows)} loop{'s' * (len(rows) != 1)}"
    )


def serialise(
    kind: str, rows: list[tuple["Loop", "Flags"]], now: datetime, conf: "Settings"
) -> bytes:
    """The loops in the chosen format, as bytes."""
    from loopcloser.render import loop_json, to_json

    loops = [loop_json(loop, flags, with_events=True) for loop, flags in rows]
    if kind == "json":
        return (to_json(loops) + "\n").encode("utf-8")
    if kind == "jsonl":
        return "".join(to_json(loop, compact=True) + "\n" for loop in loops).encode("utf-8")
    if kind == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for loop in loops:
            tags = ";".join(loop["tags"])
            writer.writerow([tags if name == "tags" else loop[name] or "" for name in CSV_COLUMNS])
        return buffer.getvalue().encode("utf-8")
    from loopcloser.ics import to_ics

    return to_ics([loop for loop, _ in rows], now, conf.rules(), conf.calendar())
