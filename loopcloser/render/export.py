"""Loops for other programs: JSON and JSON Lines with their history, CSV, iCalendar."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from loopcloser.core.text import inert_cell

if TYPE_CHECKING:
    from loopcloser.core.model import Flags, Loop
    from loopcloser.core.settings import Settings


FORMATS = ("json", "jsonl", "csv", "ics")


def serialise(
    kind: str, rows: list[tuple[Loop, Flags]], now: datetime, conf: Settings, raw: bool = False
) -> bytes:
    """The loops in the chosen format, as bytes.

    CSV cells that a spreadsheet would run as formulas are written as inert text
    (``'=...``), unless ``raw``; import reads them back as they were.
    """
    from loopcloser.render.tables import loop_json, to_json

    loops = [loop_json(loop, flags, with_events=True) for loop, flags in rows]
    if kind == "json":
        return (to_json(loops) + "\n").encode("utf-8")
    if kind == "jsonl":
        return "".join(to_json(loop, compact=True) + "\n" for loop in loops).encode("utf-8")
    if kind == "csv":
        import csv
        import io

        from loopcloser.core.importing import CSV_COLUMNS

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: a lone \r is quoted
        writer.writerow(CSV_COLUMNS)
        cell = str if raw else inert_cell
        for loop in loops:
            tags = ";".join(loop["tags"])
            values = [tags if name == "tags" else loop[name] or "" for name in CSV_COLUMNS]
            writer.writerow([cell(str(value)) for value in values])
        return buffer.getvalue().encode("utf-8")
    from loopcloser.render.ics import to_ics

    return to_ics([loop for loop, _ in rows], now, conf.rules(), conf.calendar())
