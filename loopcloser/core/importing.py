"""Loops coming in from a file: JSON, JSON Lines or CSV, read, checked and planned.

Pure: the caller reads the bytes, says how to find a stored loop by uid, and
writes the plan. Nothing here reads the clock, a file or the store, so every
rule of an import can be tested on plain values.

A row that carries its history (JSON as ``export`` writes it) is rebuilt by
replaying that history through the model. A row without one (CSV, or JSON made
by hand) says what the loop should look like; a new loop is created from it and
an existing one is brought there by the model's own events, so the history
records what the import changed.

An import of a backup is 100,000 such rows. A history in the store's own form,
and the model's own events of a new loop, are folded straight into the document
the model would store (``core.rebuilt``), a tenth of the time of a replay; the
loop itself is made only if it is asked for. Rows are read by orjson where it
reads what json reads, three times faster.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from loopcloser.core.errors import BadInput, LoopcloserError
from loopcloser.core.finished import moment
from loopcloser.core.model import (
    DERIVED_FIELDS,
    STORED_FIELDS,
    Event,
    Kind,
    Loop,
    State,
    Waiting,
    apply,
    check_ahead,
    check_cadence,
    check_document,
    creation,
    decode_field,
    encode_field,
    event_from_document,
    event_to_document,
    from_document,
    from_utc_text,
    state_words,
    to_document,
)
from loopcloser.core.rebuilt import folded, rebuilt
from loopcloser.core.text import cell_value
from loopcloser.core.when import HORIZON, Calendar, parse_when
from loopcloser.core.words import N_, _, n_, p_

FORMATS = ("json", "jsonl", "csv")
EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
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
"""The columns ``export --format csv`` writes, and the only ones an import reads."""
REQUIRED_COLUMNS = ("customer", "promise", "due")

# A row without history may also say these (JSON by hand, or ``list --json``).
FLAT_EXTRAS = ("prefers", "via", "update_every", "remind", "waiting_on")
# Fields of a loop as JSON that an import does not read: flags are derived, the
# history of a row without one starts at the import, and a snooze is a passing thing.
IGNORED = frozenset({"created", "snoozed_until", *DERIVED_FIELDS, "agent", "detail"})
LOOP_KEYS = frozenset({"id", "events", *STORED_FIELDS, *IGNORED})

UNKNOWN_PARTY = "unknown"
"""Whom a loop imported as waiting waits on, when the file does not say (CSV never does)."""

KEY_NAMESPACE = uuid.UUID("6f0f8a52-3c1e-5d7b-9a4e-2b8c1d0e7f31")
"""Namespace of the uids made for rows without one. Never change it: every CSV
imported without uids would come in again as new loops."""

UTF8_BOM = b"\xef\xbb\xbf"
SAVE_AS_UTF8 = N_("save it as UTF-8 text (in a spreadsheet: Save As, CSV UTF-8)")


class Refused(Exception):
    """Why one row cannot come in; the import goes on with the others."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, order=True)
class Where:
    """Where a row is in the file: its line (CSV, JSON Lines) or its item (JSON, from 1)."""

    line: int | None = None
    item: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return _("line {line}").format(line=self.line)
        return _("item {item}").format(item=self.item)


@dataclass(frozen=True)
class Row:
    """One record of the file, as read: a CSV row's cells by column, or a JSON object."""

    where: Where
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """A row that was refused, and why."""

    where: Where
    reason: str


@dataclass(frozen=True)
class Parsed:
    """A file read into rows; the records that were not even rows are problems already."""

    format: str
    rows: list[Row]
    problems: list[Problem]


# --- reading the file -------------------------------------------------------------


def decode(data: bytes, name: str) -> str:
    """The file's text: UTF-8, a byte-order mark (Excel writes one) dropped.

    BadInput, with what to do, for a file that is not text at all.
    """
    return "".join(opening(decoded([data], name), name)[1])


def decoded(chunks: Iterable[bytes], name: str) -> Iterator[str]:
    """The text of a file read in ``chunks``, piece by piece, as UTF-8 with Excel's BOM dropped.

    BadInput, naming the line, at the first byte that is not UTF-8: raised while
    the file is read, so before the import writes anything.
    """
    pieces = iter(chunks)
    head = b""
    # The checks for a file that is no text look at its first 4 KiB, whatever the chunks.
    for chunk in pieces:
        head += chunk
        if len(head) >= 4096:
            break
    check_head(head, name)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0  # newlines in the bytes decoded before the current chunk
    for chunk in itertools.chain([head.removeprefix(UTF8_BOM)], pieces):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise not_utf8(name, error, lines) from None
        lines += chunk.count(b"\n")
        if text:
            yield text
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise not_utf8(name, error, lines) from None


def check_head(head: bytes, name: str) -> None:
    """Refuse a file whose first bytes show it is not UTF-8 text."""
    if head.startswith(b"PK\x03\x04"):
        raise BadInput(
            _("{name} is a spreadsheet workbook or a zip archive, not text").format(name=name),
            hint=_("save it from the spreadsheet as CSV UTF-8"),
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput(_("{name} is UTF-16 text").format(name=name), hint=_(SAVE_AS_UTF8))
    if b"\x00" in head[:4096]:
        raise BadInput(
            _("{name} holds NUL bytes: it is not a text file").format(name=name),
            hint=_(SAVE_AS_UTF8),
        )


def not_utf8(name: str, error: UnicodeDecodeError, lines: int) -> BadInput:
    """The refusal of a file with a byte that is not UTF-8, naming its line.

    The decoder's bytes are the chunk, after at most three bytes held back from the
    one before (the start of a character, never a newline): ``lines`` counts those before.
    """
    data = error.object
    line = lines + data.count(b"\n", 0, error.start) + 1
    return BadInput(
        _("{name} is not UTF-8 text: line {line} holds the byte 0x{byte:02x}").format(
            name=name, line=line, byte=data[error.start]
        ),
        hint=_(SAVE_AS_UTF8),
    )


def opening(pieces: Iterator[str], name: str) -> tuple[str, Iterator[str]]:
    """The first character that is not blank, and the whole text again; BadInput if blank."""
    read: list[str] = []
    for piece in pieces:
        read.append(piece)
        first = piece.lstrip()[:1]
        if first:
            return first, itertools.chain(read, pieces)
    raise BadInput(
        _("{name} is empty").format(name=name),
        hint=_("nothing to import; check the file or the pipe"),
    )


def choose_format(requested: str | None, file: str, text: str) -> str:
    """The format asked for; else the one the file's extension names; else a guess.

    The guess (standard input, or another extension) goes by the first character
    of ``text`` (the file's, or its first that is not blank, see ``opening``) that
    is not blank: ``[`` is JSON, ``{`` JSON Lines, anything else CSV.
    """
    if requested is not None:
        kind = requested.strip().lower()
        if kind not in FORMATS:
            raise BadInput(
                _("cannot import '{format}'").format(format=requested),
                hint=_("use one of: {formats}").format(formats=", ".join(FORMATS)),
            )
        return kind
    named = EXTENSIONS.get(PurePath(file).suffix.lower()) if file != "-" else None
    if named is not None:
        return named
    first = text.lstrip()[:1]
    return "json" if first == "[" else "jsonl" if first == "{" else "csv"


def parse(kind: str, text: str, name: str) -> Parsed:
    """The rows of a file in ``kind`` format; BadInput if it is not that format at all."""
    rows: list[Row] = []
    problems: list[Problem] = []
    for record in read_rows(kind, iter([text]), name):
        if isinstance(record, Row):
            rows.append(record)
        else:
            problems.append(record)
    return Parsed(kind, rows, problems)


Record = Row | Problem
"""One record of a file as it is read: a row, or a record that was not even a row."""


def read_rows(kind: str, pieces: Iterator[str], name: str) -> Iterator[Record]:
    """The records of a file in ``kind`` format, read from its text as it comes.

    CSV and JSON Lines are read a line at a time, a JSON array an item at a time,
    so a file of any size takes the memory of one record. BadInput, whenever it is
    found, when the file is not that format at all.
    """
    if kind == "json":
        return json_rows(pieces, name)
    if kind == "jsonl":
        return jsonl_rows(pieces, name)
    return csv_rows(pieces, name)


def json_kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, dict):
        return p_("json", "an object")
    if isinstance(value, list):
        return p_("json", "an array")
    if isinstance(value, str):
        return p_("json", "text")
    if value is None:
        return "null"
    return p_("json", "true or false") if isinstance(value, bool) else p_("json", "a number")


def json_rows(pieces: Iterator[str], name: str) -> Iterator[Record]:
    """A JSON array of loops, each item a row, read an item at a time."""
    text = JsonText(pieces, name)
    if text.peek() != "[":
        raise not_an_array(text.rest(), name)  # a blank start was all that was taken
    text.at += 1
    delimiter = "," if text.peek() != "]" else text.take()
    number = 0
    while delimiter == ",":
        number += 1
        item = text.value()
        where = Where(item=number)
        if isinstance(item, dict):
            yield Row(where, item)
        else:
            yield Problem(
                where, _("is {kind}, not a loop (a JSON object)").format(kind=json_kind(item))
            )
        if text.peek() not in (",", "]"):  # the end of the text too
            raise text.invalid("Expecting ',' delimiter")
        delimiter = text.take()
    if text.peek():
        raise text.invalid("Extra data")


def not_an_array(text: str, name: str) -> BadInput:
    """The refusal of a file of JSON that is not an array (or not JSON at all)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return not_json(name, error.lineno, error.colno, error.msg, text.lstrip()[:1])
    except RecursionError:
        return too_deep(name)
    hint = _("put it in [ ] to import it") if isinstance(data, dict) else _("check the file")
    return BadInput(
        _("{name} holds {kind}, not an array of loops").format(name=name, kind=json_kind(data)),
        hint=hint,
    )


def not_json(name: str, line: int, column: int, why: str, first: str) -> BadInput:
    """The refusal of a file that is not valid JSON, saying where."""
    hint = _("check the file, or name its format with --format json, jsonl or csv")
    if first == "{":
        hint = _("for one loop a line, use --format jsonl")
    return BadInput(
        _("{name} is not valid JSON (line {line}, column {column}: {why})").format(
            name=name, line=line, column=column, why=why
        ),
        hint=hint,
    )


def too_deep(name: str) -> BadInput:
    """The refusal of a file of JSON nested deeper than a loop can be."""
    return BadInput(
        _("{name} is nested too deeply to hold loops").format(name=name),
        hint=_("check the file"),
    )


class JsonText:
    """The text of a JSON file as it comes in pieces, decoded a value at a time.

    Only what the value being decoded spans is held (and the rest of its piece):
    each item of an array of 100,000 loops is let go once its row is planned.
    Errors say where, as json.loads would for the whole text.
    """

    def __init__(self, pieces: Iterator[str], name: str) -> None:
        self._pieces = pieces
        self._name = name
        self.text = ""
        self.at = 0
        self._lines = 0  # newlines in the text let go
        self._column = 0  # characters of the line at the start of text that were let go
        self._ended = False
        self.item_end = ITEM_END  # "" once an item did not end so

    def more(self) -> bool:
        """Read on, at least as much again as is held; False at the end of the text."""
        if self._ended:
            return False
        kept, at = self.text[self.at :], self.at
        added: list[str] = []
        size = 0
        for piece in self._pieces:
            added.append(piece)
            size += len(piece)
            if size >= len(kept):  # a value longer than a piece is decoded a few times only
                break
        else:
            self._ended = True
        if not added:
            return False
        newline = self.text.rfind("\n", 0, at)
        self._lines += self.text.count("\n", 0, at)
        self._column = at - newline - 1 if newline >= 0 else self._column + at
        self.text = kept + "".join(added)
        self.at = 0
        return True

    def peek(self) -> str:
        """The next character that is not blank, not taken; "" at the end of the text."""
        if self.at < len(self.text) and self.text[self.at] not in " \t\n\r":
            return self.text[self.at]  # most often: no blank to step over
        while True:
            self.at = BLANK.match(self.text, self.at).end()  # type: ignore[union-attr]
            if self.at < len(self.text) or not self.more():
                return self.text[self.at : self.at + 1]

    def value(self) -> Any:
        """The JSON value at the place reached (read further while it is cut short)."""
        self.peek()
        if self.item_end and self.text.startswith("{", self.at):
            value = self.exported_item()
            if value is not NOT_READ:
                return value
        while True:
            try:
                value, end = DECODER.raw_decode(self.text, self.at)
            except json.JSONDecodeError as error:
                if self.cut_short(error) and self.more():
                    continue
                raise self.invalid(error.msg, error.pos) from None
            except RecursionError:
                raise too_deep(self._name) from None
            # A number at the end of the text held may go on in the next piece.
            tail = MAY_GO_ON.match(self.text, end)
            if (tail is not None and tail.end() < len(self.text)) or not self.more():
                self.at = end
                if not self.text.endswith(ITEM_END, 0, end):
                    self.item_end = ""  # not an array as export writes it: json reads it all
                return value

    def exported_item(self) -> Any:
        """The item at the place reached, read by orjson (three times faster than json),
        if it ends as an item of the array export writes: where its closing brace starts
        a line, indented by two. NOT_READ if it does not, or orjson may read it otherwise."""
        found = self.text.find(ITEM_END, self.at)
        if found < 0 and len(self.text) - self.at < CUT_ITEM and self.more():
            found = self.text.find(ITEM_END, self.at)  # an item the end of a piece cut
        if found < 0:
            return NOT_READ
        end = found + len(ITEM_END)
        value = orjson_value(self.text[self.at : end])
        if value is not NOT_READ:
            self.at = end
        return value

    def take(self) -> str:
        """The next character that is not blank, taken."""
        taken = self.peek()
        self.at += 1
        return taken

    def cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may be only the end of the text held: then read on. Any
        other is in the file, and said at once, however much of the file follows."""
        return error.pos >= len(self.text) - 6 or error.msg.startswith("Unterminated string")

    def rest(self) -> str:
        """The whole text, when only blanks were taken: what was let go, as blanks."""
        return "\n" * self._lines + " " * self._column + self.text + "".join(self._pieces)

    def invalid(self, why: str, at: int | None = None) -> BadInput:
        """The refusal of the file, not valid JSON at ``at`` in the text (default: here)."""
        at = self.at if at is None else at
        newline = self.text.rfind("\n", 0, at)
        line = self._lines + self.text.count("\n", 0, at) + 1
        column = at - newline if newline >= 0 else self._column + at + 1
        return not_json(self._name, line, column, why, "[")


ITEM_END = "\n  }"
"""How an item of the array export writes ends (a newline in a string is written \\n)."""
CUT_ITEM = 1 << 16
"""Text held after an item's start without its end, below which it was cut short: a
longer item is no loop as export writes one, and json reads it."""
BLANK = re.compile(r"[ \t\n\r]*")
MAY_GO_ON = re.compile(r"[0-9.eE+\-]*[ \t\n\r]*")
DECODER = json.JSONDecoder()


def jsonl_rows(pieces: Iterator[str], name: str) -> Iterator[Record]:
    """One loop a line; blank lines are skipped."""
    # The text is kept only until a line is a loop: a file with none is refused with a
    # hint that needs it whole (see jsonl_hint).
    kept: list[str] = []
    keeping = True

    def kept_while_no_loop() -> Iterator[str]:
        for piece in pieces:
            if keeping:
                kept.append(piece)
            yield piece

    found: Problem | None = None
    for number, line in enumerate(split_lines(kept_while_no_loop()), 1):
        if not line.strip():
            continue
        where = Where(line=number)
        try:
            item = json_value(line)
        except json.JSONDecodeError as error:
            problem = Problem(
                where,
                _("is not valid JSON (column {column}: {why})").format(
                    column=error.colno, why=error.msg
                ),
            )
        except RecursionError:
            problem = Problem(where, _("is nested too deeply to be a loop"))
        else:
            if isinstance(item, dict):
                keeping = False
                kept.clear()
                yield Row(where, item)
                continue
            problem = Problem(
                where, _("is {kind}, not a loop (a JSON object)").format(kind=json_kind(item))
            )
        found = found or problem
        yield problem
    if keeping and found is not None:
        raise BadInput(
            _("{name} is not JSON Lines: {where} {reason}").format(
                name=name, where=found.where, reason=found.reason
            ),
            hint=jsonl_hint("".join(kept)),
        )


def json_value(text: str) -> Any:
    """``json.loads(text)``, read by orjson (three times faster) when it reads it the same."""
    value = orjson_value(text)
    return json.loads(text) if value is NOT_READ else value


def orjson_value(text: str) -> Any:
    """The JSON value ``text`` holds, read by orjson; NOT_READ where json may read it
    otherwise, or at all.

    orjson refuses what json also reads (NaN, a lone surrogate escape) and words its
    errors otherwise: json reads those. It reads an integer beyond 64 bits as a float:
    text with a run of 19 digits or more is json's too.
    """
    import orjson

    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: only json reads it
        return NOT_READ
    if data.translate(DIGITS_AS_ZERO).find(LONG_NUMBER) >= 0:
        return NOT_READ
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return NOT_READ


NOT_READ = object()
"""What orjson_value gives for text it leaves to json."""


DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
LONG_NUMBER = b"0" * 19
"""The shortest run of digits that may be an integer beyond 64 bits."""


def split_lines(pieces: Iterable[str]) -> Iterator[str]:
    """The text's lines, split on newlines alone, without them.

    Not splitlines(): JSON text may hold U+2028 and the like, which it takes for line ends.
    """
    held: list[str] = []
    for piece in pieces:
        parts = piece.split("\n")
        held.append(parts[0])
        if len(parts) > 1:
            yield "".join(held)
            yield from parts[1:-1]
            held = [parts[-1]]
    yield "".join(held)


def jsonl_hint(text: str) -> str:
    """What to do with a file that was taken for JSON Lines but is not."""
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):
        return _("check the file, or name its format with --format json, jsonl or csv")
    if isinstance(whole, list):
        return _("it is one JSON array: use --format json")
    return _("it is one JSON value over several lines: put it in [ ] and use --format json")


def csv_rows(pieces: Iterator[str], name: str) -> Iterator[Record]:
    """A header row naming the columns, then one loop a row; line numbers are physical."""
    lines = csv_lines(pieces)
    skipped, first = 0, ""
    for line in lines:
        if line.strip():
            first = line.strip()
            break
        skipped += 1
    if first.lower().startswith("sep=") and len(first) == 5:
        # Excel's way to name the separator on a line of its own.
        delimiter, skipped, rest = first[4], skipped + 1, lines
    else:
        delimiter, rest = (
            max(",;\t", key=first.count),
            itertools.chain([line] if first else [], lines),
        )
    previous = csv.field_size_limit()
    # The default limit (128 KiB a cell) fails on a long promise; a cell may be as long
    # as the file, which was always read whole or as a stream.
    csv.field_size_limit(CELL_LIMIT)
    try:
        yield from rows_of_csv(records(rest, delimiter, skipped), name)
    finally:
        csv.field_size_limit(previous)


CELL_LIMIT = 2**31 - 1
"""The longest CSV cell read: a C long everywhere, so no file is refused for a long cell."""


def csv_lines(pieces: Iterable[str]) -> Iterator[str]:
    """The text's lines as csv reads them (``newline=""``): each with its own end, kept."""
    held = ""
    for piece in pieces:
        lines = io.StringIO(held + piece, newline="").readlines()
        # A last line without a newline may go on in the next piece (one ending in a
        # carriage return too: the newline of its pair may come next).
        held = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        yield from lines
    if held:
        yield held


def records(
    lines: Iterable[str], delimiter: str, skipped: int
) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each non-blank record with the physical line it starts on, or the CSV error in it."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    previous = 0
    while True:
        start = previous + 1 + skipped
        try:
            cells: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            cells = error
        previous = reader.line_num
        if isinstance(cells, csv.Error) or "".join(cells).strip():  # a cell not blank
            yield start, cells


def rows_of_csv(found: Iterator[tuple[int, list[str] | csv.Error]], name: str) -> Iterator[Record]:
    """The rows under the header; a header that names unknown columns refuses the file."""
    header_line, header = next(found, (1, []))
    if isinstance(header, csv.Error):
        raise BadInput(
            _("the header of {name} (line {line}) is not CSV: {error}").format(
                name=name, line=header_line, error=header
            ),
            hint=_("the first row must name the columns"),
        )
    columns = [cell.strip().casefold() for cell in header]
    check_header(columns, header_line, name)
    width, all_named = len(columns), all(columns)
    for line, cells in found:
        where = Where(line=line)
        if isinstance(cells, csv.Error):
            yield Problem(where, csv_reason(cells))
            continue
        # A cell past the header, or under a column without a name, may only be blank.
        stray = (len(cells) > width or not all_named) and any(
            cell.strip() for cell, column in named(cells, columns) if not column
        )
        if len(cells) < width or stray:
            yield Problem(
                where,
                n_(
                    "has {count} cells; the header names {width}",
                    "has {count} cells; the header names {width}",
                    len(cells),
                ).format(count=len(cells), width=width),
            )
            continue
        # Cells exported as inert text ("'=...") read back as they were; most rows hold
        # none, nor any cell starting with an apostrophe (a cell with a newline may seem to).
        if all_named and "\n'" not in "\n".join(("", *cells)):
            values = dict(zip(columns, cells, strict=False))
        else:
            values = {
                column: cell_value(cell)
                for column, cell in zip(columns, cells, strict=False)
                if column
            }
        yield Row(where, values)


def named(cells: list[str], columns: list[str]) -> list[tuple[str, str]]:
    """Cells paired with their column names; cells past the header have none."""
    return [
        (cell, columns[index] if index < len(columns) else "") for index, cell in enumerate(cells)
    ]


def check_header(columns: list[str], line: int, name: str) -> None:
    """Refuse a header with unknown, repeated or missing columns, naming them."""
    hint = _("the columns are: {columns} (customer, promise and due are needed)").format(
        columns=", ".join(CSV_COLUMNS)
    )
    unknown = [column for column in columns if column and column not in CSV_COLUMNS]
    if unknown:
        shown = ", ".join(f"'{column}'" for column in unknown)
        raise BadInput(
            n_(
                "{name} has unknown column {columns} (line {line})",
                "{name} has unknown columns {columns} (line {line})",
                len(unknown),
            ).format(name=name, columns=shown, line=line),
            hint=_("{hint}; remove or rename the others").format(hint=hint),
        )
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        raise BadInput(
            _("{name} names the column '{column}' twice (line {line})").format(
                name=name, column=repeated[0], line=line
            ),
            hint=hint,
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise BadInput(
            n_(
                "{name} has no {columns} column (line {line})",
                "{name} has no {columns} columns (line {line})",
                len(missing),
            ).format(name=name, columns=", ".join(missing), line=line),
            hint=_("the first row must name the columns; {hint}").format(hint=hint),
        )


def csv_reason(error: csv.Error) -> str:
    """A CSV syntax error in words a spreadsheet user knows."""
    text = str(error)
    if "unexpected end of data" in text:
        return _("a quoted cell is never closed (it runs to the end of the file)")
    if "expected after" in text:
        return _('a quoted cell goes on after its closing quote (write a quote inside as "")')
    return _("is not CSV: {error}").format(error=text)


# --- what each row means ----------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What rows are read against: the moment, who imports, their calendar, the file."""

    now: datetime
    agent: str
    calendar: Calendar
    source: str
    stored_moves: dict[State, list[dict[str, Any]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """The events that take a new loop to each state (see ``moved``), once made."""

    @property
    def note(self) -> str:
        """What each event the import records says: where it came from."""
        return f"imported from {self.source}"

    def moved(self, target: State) -> list[dict[str, Any]]:
        """The events, as stored, that take a new loop to ``target`` with no wait named:
        the same for every row of a file, so made once."""
        stored = self.stored_moves.get(target)
        if stored is None:
            stored = [event_to_document(event) for event in moves(State.OPEN, target, None, self)]
            self.stored_moves[target] = stored
        return stored

    def event(self, kind: Kind, changes: Mapping[str, Any] | None = None, **extra: Any) -> Event:
        """An event the import records, now, by the importing agent."""
        return Event(
            kind=kind, at=self.now, by=self.agent, text=self.note, changes=changes or {}, **extra
        )


Stored = tuple[int, Mapping[str, Any]]
Lookup = Callable[[str], Stored | None]
"""Finds the stored loop with a uid: its id and its document, or None."""


@dataclass
class Plan:
    """What an import does: loops to add and update, and refused rows.

    ``plan`` keeps the new loops in ``added`` (in id order); ``plan_stream`` hands
    each to the caller as it comes and only counts them, in ``new``.
    """

    added: list[Loop] = field(default_factory=list)
    updated: list[tuple[int, Loop, Mapping[str, Any]]] = field(default_factory=list)
    """The id, the loop as it will be, and its document as it was."""
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    new: int = 0
    """How many loops the rows add."""

    @property
    def changes(self) -> bool:
        """Whether writing the plan would change the store."""
        return bool(self.new or self.updated)


Keep = Callable[[int, "New"], object]
"""Takes a new loop's place in id order (see ``order``) and the loop, with its document."""

UNNUMBERED = 1 << 60
"""Where new loops without an id in the file go in id order: after every id a file can
hold (18 digits at most, see read_id), in the order of the rows."""


def order(file_id: int | None, position: int) -> int:
    """A new loop's place in id order: by the id it had in the file, else by its row.

    So a backup restored into an empty store keeps its numbers when it had no gaps.
    """
    return file_id if file_id is not None else UNNUMBERED + position


def plan(
    parsed: Parsed, find: Lookup, context: Context, step: Callable[[], object] | None = None
) -> Plan:
    """Decide what each row does to the store, keeping the new loops in the plan."""
    numbered: list[tuple[int, Loop]] = []
    records: list[Record] = [*parsed.problems, *parsed.rows]
    result = plan_stream(
        records, find, context, lambda place, new: numbered.append((place, new.loop)), step
    )
    numbered.sort(key=lambda pair: pair[0])
    result.added = [loop for _place, loop in numbered]
    return result


def plan_stream(
    records: Iterable[Record],
    find: Lookup,
    context: Context,
    keep: Keep,
    step: Callable[[], object] | None = None,
) -> Plan:
    """Decide what each record does to the store as it is read; ``step`` after each row.

    Each new loop goes to ``keep`` at once, so the plan holds only the updates (as
    many as the store has loops at most), the refusals, and the uids already seen.
    """
    result = Plan()
    seen = Seen()
    position = 0
    for row in records:
        if isinstance(row, Problem):
            result.problems.append(row)
            continue
        try:
            uid, file_id, change = plan_row(row, find, context, seen)
        except Refused as refusal:
            result.problems.append(Problem(row.where, refusal.reason))
        else:
            seen.add(uid, row.where)
            if isinstance(change, New):
                keep(order(file_id, position), change)
                result.new += 1
            elif change is not None:
                result.updated.append(change)
            else:
                result.unchanged += 1
        position += 1
        if step is not None:
            step()
    result.problems.sort(key=lambda problem: problem.where)
    return result


def canonical_uuid(text: str) -> bool:
    """Whether ``text`` is a UUID as ``str(uuid.UUID(...))`` writes it: lowercase, dashed.

    Each hexadecimal digit read as 0, it is UUID_FORM (a character of several bytes would
    shift what follows): a third of the time of a pattern, for every row of a file.
    """
    form = text.encode("utf-8", "surrogatepass").translate(HEX_AS_ZERO)
    return form == UUID_FORM


UUID_FORM = b"00000000-0000-0000-0000-000000000000"
HEX_AS_ZERO = bytes.maketrans(b"123456789abcdef", b"000000000000000")


class Seen:
    """The uids the file's rows named so far, and where: a few dozen bytes a row.

    A file of 260,000 rows would hold 60 MB as uid texts and Where objects; a
    UUID is kept as its number, and where as one signed number.
    """

    def __init__(self) -> None:
        self._where: dict[int | str, int] = {}
        self._last: tuple[str, int | str] = ("", "")  # a row's uid is looked up, then added

    def key(self, uid: str) -> int | str:
        """A uid as compact as it can be held; only its canonical text is a number."""
        if self._last[0] is not uid:
            self._last = uid, int(uid.replace("-", ""), 16) if canonical_uuid(uid) else uid
        return self._last[1]

    def add(self, uid: str, where: Where) -> None:
        """Note that the row at ``where`` names the loop ``uid``."""
        self._where[self.key(uid)] = where.line if where.line is not None else -(where.item or 0)

    def get(self, uid: str) -> Where | None:
        """Where a row named ``uid`` before, if one did."""
        found = self._where.get(self.key(uid))
        if found is None:
            return None
        return Where(line=found) if found >= 0 else Where(item=-found)


class New:
    """A new loop's document as stored, and the loop, made only if asked for: a history
    in the store's form gives its document without a loop (see ``core.rebuilt``)."""

    def __init__(self, document: dict[str, Any], loop: Loop | None = None) -> None:
        self.document = document
        self._loop = loop

    @property
    def loop(self) -> Loop:
        """The new loop (its id 0: the store gives it one)."""
        if self._loop is None:
            self._loop = from_document(0, self.document)
        return self._loop


Change = New | tuple[int, Loop, Mapping[str, Any]] | None
"""A new loop, an update (id, loop, old document), or None when the store has it already."""


def plan_row(
    row: Row, find: Lookup, context: Context, seen: Seen
) -> tuple[str, int | None, Change]:
    """The row's uid, the id it had in the file, and what it changes; Refused if bad."""
    file_id = read_id(row.fields.get("id"))
    if row.fields.get("events"):
        made, document = replayed(row.fields)
        uid = document["uid"]
        check_new(uid, seen, "uid")
        return uid, file_id, history_change(document, find(uid), made)
    values = read_flat(row.fields, context)
    uid = values.pop("uid", None)
    if uid is None:
        uid = row_key(values["customer"], values.get("contact"), values["promise"])
        check_new(uid, seen, "customer, contact and promise")
    else:
        check_new(uid, seen, "uid")
    stored = find(uid)
    if stored is None:
        return uid, file_id, new_loop(uid, values, context)
    loop_id, before = stored
    loop = stored_loop(loop_id, before)
    changed = update(loop, values, context)
    return uid, file_id, None if changed is loop else (loop_id, changed, before)


def check_new(uid: str, seen: Seen, what: str) -> None:
    """Refuse a second row for the same loop: which of the two should win is a guess."""
    before = seen.get(uid)
    if before is not None:
        # A whole sentence for each case, so that Italian can word each its own way.
        if what == "uid" and before.line is not None:
            message = _("has the same uid as line {line}")
        elif what == "uid":
            message = _("has the same uid as item {item}")
        elif before.line is not None:
            message = _(
                "has the same customer, contact and promise as line {line}; give each its own uid"
            )
        else:
            message = _(
                "has the same customer, contact and promise as item {item}; give each its own uid"
            )
        raise Refused(message.format(line=before.line, item=before.item))


def row_key(customer: str, contact: str | None, promise: str) -> str:
    """The uid of a row that has none: the same customer, contact and promise, the same uid.

    Case, accents written either way and runs of spaces do not count, so a
    spreadsheet's small retouches do not make a new loop.
    """
    parts = (
        " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())
        for text in (customer, contact, promise)
    )
    return str(uuid.uuid5(KEY_NAMESPACE, "\x1f".join(parts)))


def read_id(value: Any) -> int | None:
    """The id a row had in the store it came from; used only to number new loops in order."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        digits = value.strip().removeprefix("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(digits)
    elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise Refused(
        _("id {value} is not a loop number (loops are matched by uid; ids are per store)").format(
            value=repr(value)
        )
    )


# --- rows with their history --------------------------------------------------------


def from_history(fields: Mapping[str, Any]) -> Loop:
    """The loop its events make; Refused when they do not replay or the fields disagree."""
    loop, document = replayed(fields)
    return from_document(0, document) if loop is None else loop


def replayed(fields: Mapping[str, Any]) -> tuple[Loop | None, dict[str, Any]]:
    """The loop its events make and its document as stored; Refused as from_history.

    A history in the store's own form gives its document straight (``core.rebuilt``),
    and no loop (None): one is made from the document if it is needed.
    """
    if not LOOP_KEYS.issuperset(fields):
        unknown = sorted(set(fields) - LOOP_KEYS)
        raise Refused(
            n_("has unknown field {fields}", "has unknown fields {fields}", len(unknown)).format(
                fields=", ".join(unknown)
            )
        )
    documents = fields["events"]
    if not isinstance(documents, list):
        raise Refused(_("its events are {kind}, not an array").format(kind=json_kind(documents)))
    straight = rebuilt(fields)
    if straight is not None:
        return None, straight
    loop: Loop | None = None
    for number, document in enumerate(documents, 1):
        check_event(number, document)
        try:
            event = event_from_document(document)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise Refused(
                _("event {number} cannot be read: {why}").format(number=number, why=why(error))
            ) from None
        try:
            loop = apply(loop, event)
        except LoopcloserError as error:
            state = state_words(loop.state) if loop is not None else ""
            if event.kind is Kind.EDITED:
                message = _("its history does not replay: event {number} ({kind}) {reason}")
            elif loop is not None:
                message = _(
                    "its history does not replay: event {number} ({kind})"
                    " is not allowed after it was {state}"
                )
            else:
                message = _(
                    "its history does not replay: event {number} ({kind})"
                    " is not allowed as the first event"
                )
            raise Refused(
                message.format(number=number, kind=event.kind, reason=error.message, state=state)
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise Refused(
                _("its history does not replay: event {number} ({kind}): {why}").format(
                    number=number, kind=event.kind, why=why(error)
                )
            ) from None
    if loop is None:
        raise Refused(_("its events are empty"))
    document = to_document(loop)
    try:
        check_document(document)
    except (TypeError, ValueError) as error:
        raise Refused(
            _("its history makes a malformed loop: {why}").format(why=why(error))
        ) from None
    if not loop.uid.strip():
        raise Refused(_("its history gives it no uid"))
    check_agreement(fields, loop, document)
    return loop, document


EVENT_TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,), "at": (str,), "by": (str,), "text": (str,), "via": (str,),
    "told": (bool,), "key": (str,), "changes": (dict,), "uid": (str,), "void": (str,),
}  # fmt: skip


def check_event(number: int, document: Any) -> None:
    """Refuse an event that is not an object, or holds a key of the wrong type."""
    if not isinstance(document, dict):
        raise Refused(
            _("event {number} is {kind}, not an object").format(
                number=number, kind=json_kind(document)
            )
        )
    for name, value in document.items():
        types = EVENT_TYPES.get(name)
        if types is None:
            raise Refused(
                _("event {number} has an unknown key '{name}'").format(number=number, name=name)
            )
        if not isinstance(value, types):
            raise Refused(
                _("event {number}'s {name} is {kind}").format(
                    number=number, name=name, kind=json_kind(value)
                )
            )


def why(error: Exception) -> str:
    """An exception from reading hand-made data, in words."""
    if isinstance(error, KeyError):
        return _("{key} is missing").format(key=repr(error.args[0]))
    return str(error) or type(error).__name__


def check_agreement(
    fields: Mapping[str, Any], loop: Loop, document: Mapping[str, Any] | None = None
) -> None:
    """Refuse a row whose fields say something else than its history: one was edited alone.

    ``document`` is the loop as stored: a field written just as it is agrees at once.
    """
    for name in STORED_FIELDS:
        if name not in fields or (document is not None and fields[name] == document[name]):
            continue
        expected = getattr(loop, name)
        try:
            same = decode_field(name, fields[name]) == expected
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            same = False
        if not same:
            shown = json.dumps(encode_field(name, expected), ensure_ascii=False)
            raise Refused(
                _(
                    "its {name} disagrees with its history, which makes it {shown}"
                    " (the history is what is imported: change a loop with events, or drop them)"
                ).format(name=name, shown=shown)
            )


def history_change(document: dict[str, Any], stored: Stored | None, loop: Loop | None) -> Change:
    """A loop with history (its document, and the loop if it was made) against the store's
    copy: new, ahead of it, behind it or apart."""
    if stored is None:
        return New(document, loop)
    loop_id, before = stored
    mine = document["events"]  # as event_to_document writes them
    try:
        theirs = [event_to_document(event_from_document(event)) for event in before["events"]]
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise malformed(loop_id, error) from None
    if mine[: len(theirs)] == theirs:
        if len(mine) == len(theirs):
            return None
        changed = from_document(loop_id, document) if loop is None else loop._replace(id=loop_id)
        return loop_id, changed, before
    if theirs[: len(mine)] == mine:
        return None  # the store already has this and more
    apart = next(n for n, (a, b) in enumerate(zip(mine, theirs, strict=False), 1) if a != b)
    raise Refused(
        _(
            "its history and that of loop #{id} in the store differ from event {number} on"
            " (see: loopcloser show {id}); neither is newer, so it was left as it is"
        ).format(id=loop_id, number=apart)
    )


def malformed(loop_id: int, error: Exception) -> Refused:
    """The refusal for a row whose loop in the store cannot be read."""
    return Refused(
        _("loop #{id} in the store is malformed ({why}); fix it by hand").format(
            id=loop_id, why=why(error)
        )
    )


# --- rows without history -----------------------------------------------------------


def read_flat(fields: Mapping[str, Any], context: Context) -> dict[str, Any]:
    """The fields a row says, as model values; a field it leaves out is not in the result.

    An empty cell clears an optional field; an empty owner or state means the
    importing agent and open for a new loop, and no change for one in the store.
    """
    if not FLAT_KEYS.issuperset(fields):
        unknown = sorted(set(fields) - FLAT_KEYS)
        raise Refused(
            n_("has unknown field {fields}", "has unknown fields {fields}", len(unknown)).format(
                fields=", ".join(unknown)
            )
        )
    values: dict[str, Any] = {
        "customer": words(fields, "customer"),
        "promise": words(fields, "promise"),
        "due": read_due(fields.get("due"), context),
    }
    uid = text(fields, "uid")
    if uid and canonical_uuid(uid):
        values["uid"] = uid  # as str(uuid.UUID(uid)) writes it
    elif uid:
        try:
            values["uid"] = str(uuid.UUID(uid.strip()))
        except ValueError:
            raise Refused(
                _("uid '{uid}' is not a UUID (leave it empty for a new loop)").format(uid=uid)
            ) from None
    for name in ("contact", "ref"):
        if name in fields:
            values[name] = text(fields, name) or None
    owner = text(fields, "owner")
    if owner and owner.strip():
        values["owner"] = owner.strip()
    if "tags" in fields:
        values["tags"] = read_tags(fields["tags"])
    state = text(fields, "state")
    if state and state.strip():
        try:
            values["state"] = STATES.get(state) or State(state.strip().lower())
        except ValueError:
            names = ", ".join(str(state) for state in State)
            raise Refused(
                _("state '{state}' is not one of {names}").format(state=state, names=names)
            ) from None
    if not fields.keys().isdisjoint(FLAT_EXTRAS):  # never in CSV
        values.update(read_extras(fields))
    return values


FLAT_KEYS = frozenset({*CSV_COLUMNS, *FLAT_EXTRAS}) | LOOP_KEYS
"""What a row without history may say."""
STATES = {str(state): state for state in State}


def text(fields: Mapping[str, Any], name: str) -> str | None:
    """A text field as given (None when absent or null); Refused if it is not text."""
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused(_("the {name} is {kind}, not text").format(name=name, kind=json_kind(value)))
    if "\x00" in value:
        raise Refused(_("the {name} holds a NUL character").format(name=name))
    return value


def words(fields: Mapping[str, Any], name: str) -> str:
    """A text field that must say something."""
    value = text(fields, name)
    if value is None or not value.strip():
        raise Refused(_("the {name} is empty").format(name=name))
    return value


def read_due(value: Any, context: Context) -> datetime:
    """A due as exported or as an agent types it.

    Exported, it is ISO-8601 UTC, or with ``--local-times`` a wall time
    (``2026-12-08 20:59:02``) read in the agent's zone, an offset written after it
    winning; typed, it is read like ``--due``.
    """
    if not isinstance(value, str) or not value.strip():
        raise Refused(_("the due is empty") if value in (None, "") else _("the due is not text"))
    try:
        # A due as exported is a moment in UTC as parse_when reads it, but a hundred
        # times faster; one too far away is left to it, to say so.
        due = from_utc_text(value) if moment(value) else None
        if due is None or abs(due - context.now) > HORIZON:
            due = parse_when(value, context.now, context.calendar)
        return check_ahead(due, context.now, p_("due", "it"))
    except BadInput as error:
        raise Refused(
            _("due: {reason} (e.g. 2026-11-30 17:00, in your time zone)").format(
                reason=error.message
            )
        ) from None


def read_tags(value: Any) -> tuple[str, ...]:
    """Tags as a list, or as text separated by ``;`` (empty pieces dropped)."""
    if isinstance(value, str):
        tags = [tag.strip() for tag in value.split(";")]
        return tuple(dict.fromkeys(tag for tag in tags if tag))
    if isinstance(value, list) and all(isinstance(tag, str) and tag.strip() for tag in value):
        return tuple(dict.fromkeys(value))
    if value is None:
        return ()
    raise Refused(_("the tags are not a list of words, nor text separated by ;"))


def read_extras(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields only JSON rows carry: channels, cadence, reminders, the party waited on."""
    values: dict[str, Any] = {}
    for name in ("prefers", "via"):
        channel = text(fields, name)
        if channel is not None:
            from loopcloser.core.settings import check_channel

            try:
                values[name] = check_channel(channel)
            except BadInput as error:
                raise Refused(f"{name}: {error.message} ({error.hint})") from None
    try:
        every = fields.get("update_every")
        if every is not None:
            if isinstance(every, bool) or not isinstance(every, int) or every <= 0:
                raise ValueError("not a positive whole number")
            values["update_every"] = check_cadence(timedelta(seconds=every))
    except (ValueError, OverflowError):
        raise Refused(_("update_every is not a positive number of seconds")) from None
    except BadInput as error:
        raise Refused(_("update_every: {reason}").format(reason=error.message)) from None
    try:
        if fields.get("remind") is not None:
            values["remind"] = tuple(sorted(decode_field("remind", fields["remind"])))
        if fields.get("waiting_on") is not None:
            waiting = decode_field("waiting_on", fields["waiting_on"])
            if not isinstance(waiting.party, str) or not waiting.party.strip():
                raise ValueError("no party")
            values["waiting_on"] = waiting
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        raise Refused(
            _("remind must be a list of ISO-8601 moments, and waiting_on {shape}").format(
                shape='{"party": TEXT, "until": moment or null}'
            )
        ) from None
    return values


def new_loop(uid: str, values: Mapping[str, Any], context: Context) -> New:
    """A loop created by the import, then taken to the row's state by the model's events.

    Its document is folded from those events as stored (``core.rebuilt``), as a history
    in a file is: the loop is made only if it is asked for, or the fold declines.
    """
    try:
        created = creation(
            uid=uid,
            customer=values["customer"],
            promise=values["promise"],
            owner=values.get("owner", context.agent),
            due=values["due"],
            at=context.now,
            by=context.agent,
            contact=values.get("contact"),
            prefers=values.get("prefers"),
            via=values.get("via"),
            remind=values.get("remind", ()),
            update_every=values.get("update_every"),
            tags=values.get("tags", ()),
            ref=values.get("ref"),
        )
    except BadInput as error:
        raise Refused(error.message) from None
    target, waiting = values.get("state", State.OPEN), values.get("waiting_on")
    stored = event_to_document(created)
    stored["text"] = context.note  # where the fold puts it, as the model would
    if waiting is None:
        history = [stored, *context.moved(target)]
    else:
        history = [stored, *map(event_to_document, moves(State.OPEN, target, waiting, context))]
    document = folded(history)
    if document is not None:
        return New(document)
    loop = apply(None, created._replace(text=context.note))
    loop = replay_onto(loop, moves(State.OPEN, target, waiting, context))
    return New(to_document(loop), loop)


EDITED_FIELDS = (
    "customer",
    "contact",
    "promise",
    "prefers",
    "tags",
    "ref",
    "update_every",
    "remind",
)


def update(loop: Loop, values: Mapping[str, Any], context: Context) -> Loop:
    """The stored loop brought to what the row says, through events; itself if it says so.

    Reopening or resuming comes first, so the changes after it are allowed; then one
    edit for the text fields, a reschedule the customer has not been told of for a
    new due, a handoff for a new owner, and last the move to the row's state.
    """
    target: State | None = values.get("state")
    events: list[Event] = []
    if target is State.OPEN:
        events += moves(loop.state, target, None, context)
    edits = {
        name: encode_field(name, values[name])
        for name in EDITED_FIELDS
        if name in values and values[name] != getattr(loop, name)
    }
    if edits:
        events.append(context.event(Kind.EDITED, edits))
    # A CSV due is written to the second: a stored due that agrees to the second is the same.
    if not same_second(values["due"], loop.due):
        due = {"due": encode_field("due", values["due"])}
        events.append(context.event(Kind.RESCHEDULED, due, told=False))
    if "owner" in values and values["owner"] != loop.owner:
        events.append(context.event(Kind.HANDOFF, {"owner": values["owner"]}))
    waiting = values.get("waiting_on")
    if target not in (None, State.OPEN):
        events += moves(loop.state, target, waiting, context)
    if (
        target is State.WAITING
        and loop.state is State.WAITING
        and waiting not in (None, loop.waiting_on)
    ):
        events += [context.event(Kind.WAITING, {"waiting_on": encode_field("waiting_on", waiting)})]
    return replay_onto(loop, events) if events else loop


def same_second(one: datetime, other: datetime) -> bool:
    """Whether two moments fall in the same whole second."""
    return one.replace(microsecond=0) == other.replace(microsecond=0)


def moves(state: State, target: State, waiting: Waiting | None, context: Context) -> list[Event]:
    """The event that takes a loop in ``state`` to ``target``, if it is not there already."""
    if target is state:
        return []
    if target is State.OPEN:
        return [context.event(Kind.RESUMED if state is State.WAITING else Kind.REOPENED)]
    if target is State.WAITING:
        party = encode_field("waiting_on", waiting or Waiting(UNKNOWN_PARTY))
        return [context.event(Kind.WAITING, {"waiting_on": party})]
    kind = {State.DONE: Kind.DONE, State.CLOSED: Kind.CLOSED, State.CANCELLED: Kind.CANCELLED}
    return [context.event(kind[target])]


def replay_onto(loop: Loop, events: list[Event]) -> Loop:
    """``loop`` after ``events``; Refused, saying why, when the model refuses one."""
    for event in events:
        try:
            loop = apply(loop, event)
        except LoopcloserError as error:
            hint = f"; {error.hint}" if error.hint else ""
            raise Refused(f"{error.message}{hint}") from None
    return loop


def stored_loop(loop_id: int, document: Mapping[str, Any]) -> Loop:
    """The store's loop, or Refused when it was edited out of shape."""
    try:
        return from_document(loop_id, document)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise malformed(loop_id, error) from None
