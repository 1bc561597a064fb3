"""Loops for other programs: JSON and JSON Lines with their history, CSV, iCalendar."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from loopcloser.core.text import inert_cell

if TYPE_CHECKING:
    from loopcloser.core.model import Flags, Loop
    from loopcloser.core.settings import Settings


FORMATS = ("json", "jsonl", "csv", "ics")


def serialise(
    kind: str,
    rows: list[tuple[Loop, Flags]],
    now: datetime,
    conf: Settings,
    *,
    raw: bool = False,
    local_times: bool = False,
    bom: bool = False,
) -> bytes:
    """The loops in the chosen format, as bytes.

    CSV cells that a spreadsheet would run as formulas are written as inert text
    (``'=...``), unless ``raw``; import reads them back as they were. ``local_times``
    and ``bom`` shape the CSV for a spreadsheet (see :func:`csv_chunks`).
    """
    from loopcloser.render.tables import loop_json, to_json

    if kind == "csv":
        return b"".join(csv_chunks(rows, conf.tz if local_times else None, raw=raw, bom=bom))
    loops = [loop_json(loop, flags, with_events=True) for loop, flags in rows]
    if kind == "json":
        return (to_json(loops) + "\n").encode("utf-8")
    if kind == "jsonl":
        return "".join(to_json(loop, compact=True) + "\n" for loop in loops).encode("utf-8")
    from loopcloser.render.ics import to_ics

    return to_ics([loop for loop, _ in rows], now, conf.rules(), conf.calendar())


def csv_chunks(
    rows: Iterable[tuple[Loop, Flags]], tz: tzinfo | None, *, raw: bool, bom: bool
) -> Iterator[bytes]:
    """The CSV file a line at a time, as UTF-8 bytes, so it can be written as it comes.

    Times are whole seconds, in UTC ISO-8601, or in ``tz`` as a spreadsheet reads a
    date (see :func:`csv_time`). ``bom`` starts the file with the UTF-8 byte-order
    mark, by which Excel knows the file is UTF-8 (without it, it reads ``Zoë`` as ``ZoÃ«``).
    """
    import csv
    import io

    from loopcloser.core.importing import CSV_COLUMNS, UTF8_BOM
    from loopcloser.render.tables import loop_json

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: a lone \r is quoted
    cell = str if raw else inert_cell

    def line(values: Iterable[Any]) -> bytes:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    yield (UTF8_BOM if bom else b"") + line(CSV_COLUMNS)
    for loop, flags in rows:
        fields = loop_json(loop, flags)
        fields["tags"] = ";".join(fields["tags"])
        fields["due"] = csv_time(loop.due, tz)
        yield line(cell(str(fields[name] or "")) for name in CSV_COLUMNS)


def csv_time(moment: datetime, tz: tzinfo | None) -> str:
    """A moment for a CSV cell, to the second: ``2026-12-08T19:59:02Z`` without ``tz``.

    With ``tz``, the wall time there, ``2026-12-08 20:59:02``: the form Excel and
    LibreOffice take for a date and time whatever their language (a ``T`` or an
    offset makes it text). The hour a clock repeats when summer time ends is
    written with its offset (``2026-10-25 02:30:00+01:00``): without it the two
    moments would read back as one.
    """
    from loopcloser.core.model import to_utc_text

    whole = moment.replace(microsecond=0)
    if tz is None:
        return to_utc_text(whole)
    local = whole.astimezone(tz)
    repeated = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    shown = local if repeated else local.replace(tzinfo=None)
    return shown.isoformat(sep=" ", timespec="seconds")
