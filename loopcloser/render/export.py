"""Loops for other programs: JSON and JSON Lines with their history, CSV, iCalendar.

Each loop is rendered on its own, as bytes, and ``framed`` puts the pieces
together (a JSON array, JSON Lines, or CSV rows under their header), so an export
of any size is written a loop at a time and never held whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from loopcloser.core.text import FORMULA_STARTS, inert_cell

if TYPE_CHECKING:
    from loopcloser.core.model import Flags, Loop
    from loopcloser.core.settings import Settings


FORMATS = ("json", "jsonl", "csv", "ics")

Render = Callable[[Mapping[str, Any]], bytes]
"""Writes one loop, given as its JSON (``render.tables.loop_json``), as a piece of the file."""


def pieces(
    kind: str,
    rows: list[tuple[Loop, Flags]],
    now: datetime,
    conf: Settings,
    *,
    raw: bool = False,
    local_times: bool = False,
    bom: bool = False,
) -> Iterator[bytes]:
    """The loops in the chosen format, in the order given, a piece at a time.

    CSV cells that a spreadsheet would run as formulas are written as inert text
    (``'=...``), unless ``raw``; import reads them back as they were. ``local_times``
    and ``bom`` shape the CSV for a spreadsheet (see :func:`csv_time`, :func:`framed`).
    """
    from loopcloser.render.tables import loop_json

    if kind == "ics":
        from loopcloser.render.ics import to_ics

        yield to_ics([loop for loop, _ in rows], now, conf.rules(), conf.calendar())
        return
    render = renderer(kind, conf.tz if local_times else None, raw=raw)
    with_events = kind != "csv"
    loops = (render(loop_json(loop, flags, with_events=with_events)) for loop, flags in rows)
    yield from framed(kind, loops, bom=bom)


def framed(kind: str, loops: Iterable[bytes], *, bom: bool = False) -> Iterator[bytes]:
    """The file the rendered ``loops`` make: a JSON array, JSON Lines, or CSV.

    A JSON array is written ``[``, the loops separated by ``,`` and a newline, ``]``:
    the bytes an indented array of them is. ``bom`` starts a CSV with the UTF-8
    byte-order mark, by which Excel knows the file is UTF-8 (without it, it reads
    ``Zoë`` as ``ZoÃ«``).
    """
    if kind == "csv":
        from loopcloser.core.importing import CSV_COLUMNS, UTF8_BOM

        yield (UTF8_BOM if bom else b"") + CsvLine(raw=True).line(CSV_COLUMNS)
        yield from loops
    elif kind == "jsonl":
        yield from loops
    else:
        empty = True
        for loop in loops:
            yield b"[\n" if empty else b",\n"
            yield loop
            empty = False
        yield b"[]\n" if empty else b"\n]\n"


def renderer(kind: str, tz: tzinfo | None = None, *, raw: bool = False) -> Render:
    """How one loop is written in ``kind``: an item of the JSON array (indented as in
    it), a line of JSON Lines, or a CSV row (its due in ``tz``, see :func:`csv_time`)."""
    if kind == "json":
        return lambda data: b"  " + json_bytes(data, compact=False).replace(b"\n", b"\n  ")
    if kind == "jsonl":
        return lambda data: json_bytes(data, compact=True) + b"\n"
    return CsvLine(tz, raw=raw).loop


def json_bytes(value: Any, *, compact: bool) -> bytes:
    """``render.tables.to_json`` as UTF-8 bytes, without passing through text."""
    import orjson

    option = orjson.OPT_SORT_KEYS | (0 if compact else orjson.OPT_INDENT_2)
    try:
        return orjson.dumps(value, option=option)
    except (orjson.JSONEncodeError, TypeError):
        from loopcloser.render.tables import to_json

        return to_json(value, compact=compact).encode("utf-8")


class CsvLine:
    """Writes CSV rows a line at a time, as UTF-8 bytes.

    Times are whole seconds, in UTC ISO-8601, or in ``tz`` as a spreadsheet reads a
    date (see :func:`csv_time`). A cell a spreadsheet would run as a formula is
    written as inert text, unless ``raw``.
    """

    def __init__(self, tz: tzinfo | None = None, *, raw: bool) -> None:
        import csv

        from loopcloser.core.importing import CSV_COLUMNS

        written: list[str] = []
        # csv writes a row with one call of write(): the row is taken from the list.
        self._writer = csv.writer(Sink(written.append), lineterminator="\r\n")  # RFC 4180
        self._written = written
        self._tz = tz
        self._raw = raw
        self._columns = CSV_COLUMNS
        self._due, self._tags = CSV_COLUMNS.index("due"), CSV_COLUMNS.index("tags")

    def line(self, values: Iterable[Any]) -> bytes:
        """One row of cells as they are."""
        self._writer.writerow(values)
        text = "".join(self._written)
        self._written.clear()
        return text.encode("utf-8")

    def loop(self, data: Mapping[str, Any]) -> bytes:
        """A loop's row: the CSV columns of its JSON, tags joined by ``;``."""
        due = data["due"]
        if self._tz is not None:
            from loopcloser.core.model import from_utc_text

            due = csv_time(from_utc_text(due), self._tz)
        cells = [data[name] for name in self._columns]
        cells[self._due], cells[self._tags] = due, ";".join(data["tags"])
        texts = [str(cell or "") for cell in cells]
        if not self._raw:
            texts = [inert_cell(text) if text[:1] in RISKY else text for text in texts]
        # Most rows need no quotes: then csv would write the cells as they are.
        plain = ",".join(texts)
        if plain.count(",") == len(texts) - 1 and QUOTED.search(plain) is None:
            return (plain + "\r\n").encode("utf-8")
        return self.line(texts)


QUOTED = re.compile('["\r\n\x00]')
"""What csv.writer quotes a cell for (besides the comma), or may write otherwise (NUL)."""
RISKY = frozenset("'" + "".join(FORMULA_STARTS))
"""The first characters of a cell that inert_cell may change: formula starts, and the
apostrophe it puts before them (a cell starting otherwise is written as it is)."""


class Sink:
    """A file for csv.writer that hands each write to ``write``."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write


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
