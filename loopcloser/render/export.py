"""Loops for other programs: JSON and JSON Lines with their history, CSV, iCalendar.

Each loop is rendered on its own, as bytes, and ``framed`` puts the pieces
together (a JSON array, JSON Lines, or CSV rows under their header), so an export
of any size is written some 256 KB at a time and never held whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from operator import itemgetter
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
    ``Zoë`` as ``ZoÃ«``). The loops come joined in pieces of some 256 KB: a hundred
    thousand small pieces cost more to pass along and write than to join.
    """
    if kind == "csv":
        from loopcloser.core.importing import CSV_COLUMNS, UTF8_BOM

        yield (UTF8_BOM if bom else b"") + CsvLine(raw=True).line(CSV_COLUMNS)
        yield from map(b"".join, batched(loops))
    elif kind == "jsonl":
        yield from map(b"".join, batched(loops))
    else:
        empty = True
        for batch in batched(loops):
            yield (b"[\n" if empty else b",\n") + b",\n".join(batch)
            empty = False
        yield b"[]\n" if empty else b"\n]\n"


BATCH = 1 << 18
"""How many bytes of loops ``framed`` joins into one piece, at most (or one loop)."""


def batched(pieces: Iterable[bytes]) -> Iterator[list[bytes]]:
    """The pieces in lists of some BATCH bytes, in order."""
    batch: list[bytes] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def renderer(kind: str, tz: tzinfo | None = None, *, raw: bool = False) -> Render:
    """How one loop is written in ``kind``: an item of the JSON array (indented as in
    it), a line of JSON Lines, or a CSV row (its due in ``tz``, see :func:`csv_time`)."""
    if kind == "json":
        return json_item
    if kind == "jsonl":
        return json_line
    return CsvLine(tz, raw=raw).loop


def json_item(data: Mapping[str, Any]) -> bytes:
    """A loop as an item of an indented JSON array: indented as in it, without a comma."""
    import orjson

    try:
        # The array of it alone, less "[\n" and "\n]": one copy, where indenting
        # each line of the loop's own JSON takes three.
        return orjson.dumps([data], option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)[2:-2]
    except (orjson.JSONEncodeError, TypeError):
        return b"  " + json_bytes(data, compact=False).replace(b"\n", b"\n  ")


def json_line(data: Mapping[str, Any]) -> bytes:
    """A loop as a line of JSON Lines."""
    import orjson

    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except (orjson.JSONEncodeError, TypeError):
        return json_bytes(data, compact=True) + b"\n"


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
        self._cells = itemgetter(*CSV_COLUMNS)
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
        cells = list(self._cells(data))
        cells[self._due], cells[self._tags] = due, ";".join(data["tags"])
        texts = [str(cell or "") for cell in cells]
        # Most rows need no quotes, nor a cell made inert: then csv would write them as
        # they are, each after a comma.
        plain = ",".join(texts)
        if (
            plain.count(",") == len(texts) - 1
            and '"' not in plain
            and "\n" not in plain
            and "\r" not in plain
            and "\x00" not in plain
            and (self._raw or not starts_risky(plain))
        ):
            return (plain + "\r\n").encode("utf-8")
        if not self._raw:
            texts = [inert_cell(text) if text[:1] in RISKY else text for text in texts]
        plain = ",".join(texts)
        if plain.count(",") == len(texts) - 1 and QUOTED.search(plain) is None:
            return (plain + "\r\n").encode("utf-8")
        return self.line(texts)


def starts_risky(row: str) -> bool:
    """Whether a cell of ``row`` (cells joined by commas, none holding one) starts with a
    character that ``inert_cell`` may change."""
    return row[:1] in RISKY or any(map(row.__contains__, RISKY_STARTS))


QUOTED = re.compile('["\r\n\x00]')
"""What csv.writer quotes a cell for (besides the comma), or may write otherwise (NUL)."""
RISKY = frozenset("'" + "".join(FORMULA_STARTS))
"""The first characters of a cell that inert_cell may change: formula starts, and the
apostrophe it puts before them (a cell starting otherwise is written as it is)."""
RISKY_STARTS = tuple("," + start for start in sorted(RISKY))
"""Each of them at the start of a cell that follows another."""


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
