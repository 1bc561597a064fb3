"""The store: one TinyDB JSON file of documents, changed under a lock and replaced atomically.

The file is held whole in memory, as TinyDB's tables, and written whole by each
transaction. One change is too large for that: an import of a few hundred
thousand loops, whose documents as dicts would take gigabytes. A transaction
can take such new documents through a ``Spool`` instead: each is checked and
serialised as it comes into a private file without a name (gone with the
process, whatever kills it), and the one write of the transaction streams the
store's tables and the spooled documents into the temporary file that is then
fsynced and renamed, under the same lock; the index of open loops and the
journal entry that lets ``undo`` take the documents back are streamed the same
way. So the write stays one atomic replacement, and memory holds the tables
that were read plus a few bytes a spooled document.
"""

from __future__ import annotations

import codecs
import errno
import itertools
import json
import os
import re
import stat
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopcloser.core.documents import (
    FACTS_FORM,
    Hot,
    Sweep,
    archive_month,
    facts_kept,
    kept_facts,
    load_or_none,
    open_facts,
)
from loopcloser.core.errors import BadInput, StoreError
from loopcloser.core.words import N_, _
from loopcloser.storage.atomic import (
    ensure_private_dir,
    remove_leftovers,
    replace_cache,
    write_atomically,
    write_pieces,
)

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

if TYPE_CHECKING:
    from datetime import datetime

    from tinydb import TinyDB
    from tinydb.table import Table

    from loopcloser.core.model import Facts, Loop
    from loopcloser.core.settings import Settings
    from loopcloser.storage.backups import Copy

SCHEMA_VERSION: int = 1
DEFAULT_LOCK_TIMEOUT = 10.0

LOOPS, META, META_ID, JOURNAL = "loops", "meta", 1, "journal"
JOURNAL_LIMIT = 50
"""How many recent changes the journal keeps for ``undo``."""
Tables = dict[str, dict[str, Any]]

STATUS_WATCH: dict[Path, tuple[Path, datetime, Settings]] = {}
"""The store whose every write in this process leaves the status a shell prompt reads
(storage.status_file), by real path: the store as named, now and the settings."""


class Pattern:
    """A regular expression compiled at its first use: most commands use none of these."""

    def __init__(self, source: Any, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        found = getattr(self._compiled, name)
        setattr(self, name, found)  # looked up directly from now on: loops call match often
        return found


class Busy(StoreError):
    """Another process holds the lock for longer than we may wait."""


class FileFault(StoreError):
    """A file in the store's format that cannot be read or is out of shape.

    ``fault`` says what is wrong with the file ``shown``, without naming it, so that an
    archive's file can be named as the archive in any language.
    """

    def __init__(self, shown: Path, fault: str, hint: str) -> None:
        super().__init__(_("store {path} {fault}").format(path=shown, fault=fault), hint)
        self.shown = shown
        self.fault = fault


class AtomicJSONStorage:
    """TinyDB storage that reads its file once and writes it only on flush(), atomically.

    TinyDB asks a storage only for read, write and close; not deriving from its base
    class spares the commands that read through the index the import of TinyDB.
    """

    def __init__(
        self, path: Path, shown: Path, hot: Hot | None = None, backup_day: str | None = None
    ) -> None:
        self._path = path  # symlinks resolved: the file really read and replaced
        self._shown = shown  # the path as the user gave it, for messages
        self._hot = hot
        self._backup_day = backup_day
        self._data: Tables | None = None
        self.dirty = False
        self.streamed: Streamed | None = None  # spooled documents the next flush adds

    def spool(self) -> Spool:
        """A new spool for documents too many to hold, in the store's own folder."""
        return Spool(self._path.parent, self._hot)

    def read(self) -> Tables:
        """Return the store's tables, loading the file on the first call only."""
        if self._data is None:
            self._data = _checked(_parse(self._path, self._shown), self._shown)
        return self._data

    def write(self, data: Tables) -> None:
        """Keep the new state in memory until flush()."""
        self._data = data
        self.dirty = True

    def flush(self) -> None:
        """Replace the file with the current state if it changed since it was read."""
        if self._data is None or not self.dirty:
            return
        # A new generation on every write: the index beside the store names the one
        # it was made from, and is used only while the store still carries it.
        import uuid

        generation = uuid.uuid4().hex
        # The meta table is written first in the file (see serialise), so a reader finds
        # the generation in the first bytes.
        self._data[META][str(META_ID)]["generation"] = generation
        # The store as the day found it; a write that fails keeps no copy of its own.
        from loopcloser.storage import backups  # by the writes alone

        copy = None if self._backup_day is None else backups.take(self._path, self._backup_day)
        try:
            if self.streamed is None:
                write_atomically(self._path, serialise(self._data))
            else:
                write_pieces(self._path, self.streamed.tables(self._data))
        except BaseException:
            backups.drop(copy)
            raise
        if copy is not None:
            backups.prune(self._path)
        remove_leftovers(self._path)  # under the lock: any other temporary copy is a crash's
        self.dirty = False
        try:
            stamp = file_stamp(os.stat(self._path))  # under the lock: the file just written
        except OSError:
            stamp = None
        loops = self._data.get(LOOPS, {})
        kept: dict[str, Any] = {}
        if self._hot is not None and stamp is not None:
            loops = {key: doc for key, doc in loops.items() if self._hot(doc)}
            pieces = {key: dumps(doc) for key, doc in loops.items()}
            # The index being replaced, current or not, holds the facts of the loops
            # this write left as they were: their stored form has the same mark.
            marks = {key: mark(piece) for key, piece in pieces.items()}
            kept = facts_kept(loops, marks, earlier_facts(self._path))
            spooled = self.streamed.spool.items(self.streamed.ids, True) if self.streamed else None
            made_from = {"generation": generation, "stamp": stamp}
            write_index(self._path, made_from, pieces, kept, spooled)
        else:
            # A writer that keeps no index drops the old one: it is stale now, and must
            # not hold on to text that was just changed or erased.
            drop_index(self._path)
        numbered = ((int(key), doc) for key, doc in loops.items())
        if self.streamed is None:
            leave_status(self._path, lambda: open_facts(numbered, kept, load_or_none))
        else:  # the spooled documents are in the file: read back one at a time
            streamed = self.streamed
            # The status counts open loops only: the spool knows which those are.
            more = ((0, doc) for doc in streamed.documents(hot_only=self._hot is not None))
            leave_status(
                self._path, lambda: open_facts(itertools.chain(numbered, more), kept, load_or_none)
            )

    def close(self) -> None:
        """Nothing to release: the file is read whole and replaced whole."""

    def generation(self) -> str | None:
        """The generation of the data read, if the file carried one."""
        meta = self.read().get(META, {}).get(str(META_ID), {})
        value = meta.get("generation")
        return value if isinstance(value, str) else None


def leave_status(real: Path, known: Callable[[], Iterable[Facts]]) -> None:
    """Leave the status beside the store at ``real`` if this run watches it: under the
    lock, from its open loops' facts (any others are passed over)."""
    watched = STATUS_WATCH.get(real)
    if watched is not None:
        from loopcloser.storage.status_file import leave

        leave(*watched, known)


def archive_path(store: Path) -> Path:
    """The archive's first file: ``loops.json`` kept ``loops.archive.json`` before the
    archive was split by month. It is still read, and changed in place, never grown."""
    return store.with_name(f"{store.stem}.archive{store.suffix or '.json'}")


def archive_folder(store: Path) -> Path:
    """Where the archive of ``store`` keeps a file per month: ``loops.archive/2026-11.json``."""
    return store.with_name(f"{store.stem}.archive")


MONTH_FILE = Pattern(r"(\d{4}-\d{2})\.json")


class Archive:
    """The documents swept out of a store: one file per month they were finished in.

    A sweep adds a day's finished loops to the file of their month, and so rewrites
    only that month's file (a few MB at most), never the whole history: the first
    write of a day costs about what any write costs, however long the store has been
    used. A page about a period reads only the months it covers (``since``). The
    single file older versions wrote (``archive_path``) is read first, as the oldest
    month; where one document is in two files after a crash, the later month wins,
    and the store's copy wins over all.
    """

    def __init__(self, store: Path, shown: Path) -> None:
        self.legacy = Segment(archive_path(store), archive_path(shown))
        self.folder, self.shown = archive_folder(store), archive_folder(shown)
        self._segments: dict[str, Segment] | None = None

    def segments(self) -> dict[str, Segment]:
        """The archive's files by month, oldest first ("" for the single older file)."""
        if self._segments is None:
            found = {"": self.legacy} if os.path.lexists(self.legacy.path) else {}
            try:
                names = sorted(os.listdir(self.folder))
            except FileNotFoundError:
                names = []
            except OSError as error:
                raise StoreError(
                    _("the archive {path} cannot be read: {reason}").format(
                        path=self.shown, reason=error.strerror or error
                    ),
                    hint=_(
                        "check that it is a folder you may read, or move it aside"
                        " (mv {path} {path}.broken) to go on without it"
                    ).format(path=self.shown),
                ) from None
            for name in names:
                month = MONTH_FILE.fullmatch(name)
                if month is not None:
                    found[month[1]] = Segment(self.folder / name, self.shown / name)
            self._segments = found
        return self._segments

    def segment(self, month: str) -> Segment:
        """The file of ``month`` ("" the older single file), made when first written."""
        known = self.segments().get(month)
        if known is not None:
            return known
        if not month:
            return self.legacy
        return Segment(self.folder / f"{month}.json", self.shown / f"{month}.json")

    def refresh(self) -> None:
        """Look for the archive's files afresh at the next read (a month was written)."""
        self._segments = None

    def documents(self) -> dict[int, dict[str, Any]]:
        """Every archived document by id, the later month's copy winning."""
        merged: dict[int, dict[str, Any]] = {}
        for segment in self.segments().values():
            merged.update(segment.documents())
        return merged

    def since(self, moment: str) -> dict[int, dict[str, Any]]:
        """The archived documents that may have changed since the UTC text ``moment``:
        the months from its own on, and the older single file if swept after it."""
        merged: dict[int, dict[str, Any]] = {}
        for month, segment in self.segments().items():
            if month >= moment[:7] or (not month and moment[:19] < (segment.cutoff() or "")[:19]):
                merged.update(segment.documents())
        return merged

    def each_document(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every archived document by id, a file at a time (see stream_documents)."""
        for segment in self.segments().values():
            yield from segment.each_document()

    def find(self, loop_id: int) -> tuple[str, dict[str, Any]] | None:
        """The latest month whose file holds ``loop_id``, and the document there; None."""
        for month, segment in reversed(self.segments().items()):
            document = segment.get(loop_id)
            if document is not None:
                return month, document
        return None

    def get(self, loop_id: int) -> dict[str, Any] | None:
        """One archived document, or None: the later months are looked at first."""
        found = self.find(loop_id)
        return None if found is None else found[1]

    def cutoff(self) -> str | None:
        """The latest sweep's cutoff, from the files' first bytes (None: no archive)."""
        cutoffs = [cutoff for segment in self.segments().values() if (cutoff := segment.cutoff())]
        return max(cutoffs, default=None)


class Segment:
    """One file of the archive, changed only under the store's lock.

    It has the store's own format (meta first, then loops by id): ids are never
    reused, so a document keeps its id in the archive and a reader that merges the
    files lets the store's copy win (after a crash both may hold one document).
    """

    def __init__(self, path: Path, shown: Path) -> None:
        self.path = path
        self.shown = shown
        self._data: Tables | None = None

    def size(self) -> int:
        """The file's bytes (0 when there is none yet)."""
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def tables(self) -> Tables:
        """The file's tables, read once (none: empty); StoreError naming it if unreadable."""
        if self._data is None and not os.path.lexists(self.path):
            self._data = {META: {str(META_ID): {}}, LOOPS: {}}
        if self._data is None:
            try:
                self._data = _checked(_parse(self.path, self.shown), self.shown)
            except FileFault as error:
                raise self.unreadable(error) from None
        return self._data

    def unreadable(self, error: FileFault) -> StoreError:
        """The error of a read of the archive, naming it, with what to do."""
        return StoreError(
            _("the archive {path} {fault}").format(path=error.shown, fault=error.fault),
            hint=_(
                "move it aside (mv {path} {path}.broken) to go on without it,"
                " or put back a copy of it"
            ).format(path=self.shown),
        )

    def each_document(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every archived document by id, one at a time (see stream_documents)."""
        if self._data is not None:
            yield from self.documents().items()
            return
        try:
            yield from stream_documents(self.path, self.shown)
        except FileFault as error:
            raise self.unreadable(error) from None

    def documents(self) -> dict[int, dict[str, Any]]:
        """Every archived document by id."""
        return {int(key): doc for key, doc in self.tables()[LOOPS].items()}

    def get(self, loop_id: int) -> dict[str, Any] | None:
        """One archived document, found without parsing the whole file when possible.

        The archive is written compactly by serialise(), where a quote inside a string
        is always escaped: ``"42":{`` after the loops table's opening can only be the
        start of document 42, and its absence means there is none. A file in any other
        shape (edited by hand) is read in full.
        """
        if self._data is None:
            try:
                with open(self.path, "rb") as file:
                    head = ARCHIVE_CUTOFF.match(file.read(512))
                    if head is not None and head[2] and not int(head[2]) <= loop_id <= int(head[3]):
                        return None
                    file.seek(0)
                    raw = file.read()
            except FileNotFoundError:
                return None
            except OSError:
                raw = b""
            if ARCHIVE_CUTOFF.match(raw[:512]):
                start = raw.find(b'"loops":{')
                key = b'"%d":' % loop_id
                found = raw.find(key + b"{", start) if start >= 0 else -1
                while found >= 0 and raw[found - 1 : found] not in (b",", b"{"):
                    found = raw.find(key + b"{", found + 1)
                if start >= 0 and found < 0:
                    return None
                doc = _decode_at(raw, found + len(key)) if start >= 0 else None
                if doc is not None:
                    return doc
        return self.documents().get(loop_id)

    def cutoff(self) -> str | None:
        """The latest sweep's cutoff, read from the file's first bytes when possible."""
        try:
            with open(self.path, "rb") as file:
                head = file.read(512)
        except OSError:
            return None
        found = ARCHIVE_CUTOFF.match(head)
        if found is not None:
            return found[1].decode() or None
        meta = self.tables()[META][str(META_ID)]
        value = meta.get("cutoff")
        return value if isinstance(value, str) and value else None

    def write(self, loops: dict[str, Any], cutoff: str | None = None) -> None:
        """Replace the archive's documents (and raise its cutoff), atomically."""
        data = self.tables()
        meta = data[META][str(META_ID)]
        meta.pop("next_id", None)  # ids are handed out by the store alone
        if cutoff is not None and cutoff > str(meta.get("cutoff", "")):
            meta["cutoff"] = cutoff
        data[LOOPS] = loops
        # The cutoff and the ids first, so cutoff() and get() find them in the first bytes.
        ids = [int(key) for key in loops if key.isdigit()]
        span = {"low": min(ids), "high": max(ids)} if ids and len(ids) == len(loops) else {}
        meta = {key: value for key, value in meta.items() if key not in ("low", "high")}
        first = {"cutoff": meta.pop("cutoff", ""), **span}
        ordered = {META: {str(META_ID): {**first, **meta}}, LOOPS: loops}
        ensure_private_dir(self.path.parent)
        write_atomically(self.path, serialise(ordered))
        remove_leftovers(self.path)  # under the store's lock: any other copy is a crash's
        self._data = None


def read_tables(path: Path) -> Tables:
    """A file in the store's format (a backup copy), whole and checked, or StoreError."""
    return _checked(_parse(path, path), path)


def write_tables(path: Path, tables: Tables) -> None:
    """Replace a file in the store's format (a backup copy) with ``tables``, atomically."""
    write_atomically(path, serialise(tables))


def _decode_at(raw: bytes, begin: int) -> dict[str, Any] | None:
    """The JSON object starting at ``begin`` in ``raw``, decoding no more than it needs."""
    size = 1 << 16
    while True:
        window = raw[begin : begin + size]
        try:
            doc, _end = json.JSONDecoder().raw_decode(window.decode("utf-8", errors="strict"))
        except (ValueError, RecursionError):
            if begin + size >= len(raw):
                return None
            size *= 4  # cut inside the document (or a character): read further
            continue
        return doc if isinstance(doc, dict) and "uid" in doc else None


ARCHIVE_CUTOFF = Pattern(rb'\{"meta":\{"1":\{"cutoff":"([^"\\]*)"(?:,"low":(\d+),"high":(\d+))?')
"""An archive file's first bytes: its latest sweep's cutoff, then the lowest and highest
id it holds (a file of one month holds ids close together: most are not in it)."""


# --- a file in the store's format, read a document at a time ----------------------------

READ_SIZE = 1 << 20
"""How much of a store file a streamed read takes at a time."""
BLANK = Pattern(rb"[ \t\n\r]*")
LOOP_KEY = Pattern(rb'"([1-9][0-9]*)"')
# How a loop document ends in the loops table: where the next one starts. Inside a
# string a quote is escaped, so this is always the end of some object; the decoding
# that succeeds from the document's first brace tells that it is the document's own.
DOCUMENT_END = Pattern(rb'\}[ \t\n\r]*,[ \t\n\r]*"([1-9][0-9]*)"[ \t\n\r]*:[ \t\n\r]*\{')


def stream_documents(path: Path, shown: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The loops of a file in the store's format by id, one at a time; none if it is missing.

    A whole read of 100,000 loops holds a gigabyte of dicts; this holds one
    document and a megabyte of the file. The file is checked as a whole read checks
    it (the same StoreError, raised where the fault is found, so after the documents
    before it). A key a hand edit repeated comes twice: the later wins, as in a whole read.
    """
    try:
        file = open(path, "rb")  # noqa: SIM115 -- closed by the with-block below
    except FileNotFoundError:
        return
    except OSError as error:
        raise _os_error(shown, "read", error) from None
    tables: dict[str, Any] = {}
    with file:
        cursor = Cursor(file, shown)
        if cursor.peek() != b"{":
            # No store as loopcloser writes one (empty, not an object, a byte-order mark,
            # UTF-16 from an editor): the whole read says what it makes of it.
            for key, document in _checked(_parse(path, shown), shown)[LOOPS].items():
                yield int(key), document
            return
        cursor.at += 1
        more = cursor.peek() != b"}"
        while more:
            name = cursor.value()
            if not isinstance(name, str):
                raise cursor.invalid()
            cursor.take(b":")
            if name == LOOPS and cursor.peek() == b"{":
                tables[name] = {}
                yield from loop_documents(cursor)
            else:
                tables[name] = cursor.value()
                if name == META:  # a newer schema is refused before any loop is read
                    _checked({META: tables[META]}, shown)
            more = cursor.peek() == b","
            cursor.at += more
        cursor.take(b"}")
        if cursor.peek():
            raise cursor.invalid()
    _checked(tables, shown)


def loop_documents(cursor: Cursor) -> Iterator[tuple[int, dict[str, Any]]]:
    """The members of the loops table at the cursor (on its opening brace), by id."""
    cursor.take(b"{")
    more = cursor.peek() != b"}"
    while more:
        found = LOOP_KEY.match(cursor.data, cursor.at)
        if found is not None and found.end() < len(cursor.data):
            key: Any = found[1].decode()
            cursor.at = found.end()
        else:  # at the end of what was read, or a key such as "01" or "\u0031"
            key = cursor.value()
        cursor.take(b":")
        document, following = cursor.document()
        if not (
            isinstance(key, str)
            and key.isascii()
            and key.isdigit()
            and key[0] != "0"
            and isinstance(document, dict)
        ):
            raise _malformed(cursor.shown, _("has a malformed loops table: it was left untouched"))
        yield int(key), document
        # The documents as the store writes them: each end found with the next id
        # (Cursor.document, its first branch inlined: 100,000 of them, and more).
        search, loads, refused = DOCUMENT_END.search, cursor.loads, cursor.refused
        while following is not None:
            loop_id, data, at = following, cursor.data, cursor.at
            found = search(data, at)
            if found is not None:
                try:
                    document = loads(data[at : found.start() + 1])
                except refused:
                    pass
                else:
                    cursor.at = found.end() - 1
                    following = int(found[1])
                    yield loop_id, document
                    continue
            document, following = cursor.document()
            yield loop_id, document
        more = cursor.peek() == b","
        cursor.at += more
    cursor.take(b"}")


class Cursor:
    """A JSON file read a piece at a time, and the place reached in it.

    A loop document is decoded by orjson once its end is found (see DOCUMENT_END),
    anything else by json's decoder, over as much of the file as the value takes.
    Like load_json, json also reads what orjson refuses (a lone surrogate escape).
    """

    def __init__(self, file: Any, shown: Path) -> None:
        import orjson

        self.loads = orjson.loads
        self.refused = orjson.JSONDecodeError
        self._file = file
        self.shown = shown
        self.data = b""
        self.at = 0
        self._lines = 0  # newlines in what was read and let go
        self._column = 0  # bytes of the line at the start of data that were let go
        self._ended = False

    def more(self) -> bool:
        """Read on, letting go of what was decoded; False at the end of the file."""
        if self._ended:
            return False
        try:
            chunk = self._file.read(READ_SIZE)
        except OSError as error:
            raise _os_error(self.shown, "read", error) from None
        if not chunk:
            self._ended = True
            return False
        newline = self.data.rfind(b"\n", 0, self.at)
        if newline >= 0:  # a store as written has no line breaks: nothing to count
            self._lines += self.data.count(b"\n", 0, self.at)
        self._column = self.at - newline - 1 if newline >= 0 else self._column + self.at
        self.data = self.data[self.at :] + chunk
        self.at = 0
        return True

    def peek(self) -> bytes:
        """The next byte that is not blank, not taken; b"" at the end of the file."""
        while True:
            self.at = BLANK.match(self.data, self.at).end()
            if self.at < len(self.data) or not self.more():
                return self.data[self.at : self.at + 1]

    def take(self, expected: bytes) -> None:
        """Step over ``expected``, the next byte that is not blank; StoreError if it is not."""
        if self.peek() != expected:
            raise self.invalid()
        self.at += 1

    def value(self) -> Any:
        """The JSON value at the place reached, decoded by json, read as far as it goes."""
        self.peek()
        size = 1 << 16
        while True:
            window = self.data[self.at : self.at + size]
            whole = self.at + size >= len(self.data)
            try:
                text = codecs.utf_8_decode(window, "strict", False)[0]
                value, end = DECODER.raw_decode(text)
            except (ValueError, RecursionError) as error:  # UnicodeDecodeError too
                if not whole:
                    size *= 4  # cut inside the value (or a character): decode further
                elif not self.more():
                    raise self.invalid(self.at + error_offset(error, window)) from None
                continue
            # A value that fills the window may go on after it (a number, say).
            if end == len(text) and not whole:
                size *= 4
            elif end == len(text) and self.more():
                continue
            else:
                self.at += len(text[:end].encode())
                return value

    def document(self) -> tuple[Any, int | None]:
        """The loop document at the place reached, and the id of the next one when its
        end was found by where the next starts (then the cursor is on that one's brace)."""
        if self.data[self.at : self.at + 1] == b"{" or self.peek() == b"{":
            found = DOCUMENT_END.search(self.data, self.at)
            while found is None and self.more():
                found = DOCUMENT_END.search(self.data, self.at)
            if found is not None:
                try:
                    document = self.loads(self.data[self.at : found.start() + 1])
                except self.refused:
                    pass  # the last of the table, or not in the store's own form
                else:
                    self.at = found.end() - 1
                    return document, int(found[1])
        return self.value(), None

    def invalid(self, offset: int | None = None) -> StoreError:
        """The error of a file that is not valid JSON at ``offset`` in data (default: here)."""
        offset = self.at if offset is None else offset
        newline = self.data.rfind(b"\n", 0, offset)
        line = self._lines + self.data.count(b"\n", 0, offset) + 1
        before = self.data[newline + 1 : offset].decode("utf-8", errors="replace")
        column = len(before) + 1 + (self._column if newline < 0 else 0)
        fault = _("is not valid JSON (line {line}, column {column}): it was left untouched")
        return _malformed(self.shown, fault.format(line=line, column=column))


DECODER = json.JSONDecoder()


def error_offset(error: BaseException, window: bytes) -> int:
    """Where in ``window`` decoding it failed, in bytes (0 when the error does not say)."""
    if isinstance(error, json.JSONDecodeError):
        return len(error.doc[: error.pos].encode())
    if isinstance(error, UnicodeDecodeError):
        return error.start
    return 0


def index_path(store: Path) -> Path:
    """Where the index of ``store``'s hot documents lives."""
    return store.with_name(f".{store.name}.open")


def file_stamp(status: os.stat_result) -> list[int]:
    """What tells one version of the store file from another without reading it all."""
    return [status.st_ino, status.st_size, status.st_mtime_ns]


def write_index(
    store: Path,
    made_from: dict[str, Any],
    pieces: dict[str, bytes],
    facts: dict[str, Any],
    spooled: Iterable[bytes] | None = None,
) -> None:
    """Leave the hot documents beside the store; a cache, so failures are ignored.

    ``made_from`` names the store version they were read from: its generation and
    its file stamp. ``pieces`` are the documents by id as text, each serialised
    (``dumps``); ``spooled`` are more of them, as ``"id":document`` (``Spool.items``).
    ``facts`` are what the clock does not change of each piece (core.documents.
    facts_kept), and so of every hot document when none is spooled ("facts_whole").
    They come before the documents, so that a reader of the facts alone stops there
    (``index_head``). A failed write removes the old index: stale is worse than none.
    """
    import orjson

    whole = spooled is None
    try:
        kept = {"facts_form": FACTS_FORM, "facts_whole": whole, "facts": facts}
        head = dumps({**made_from, **kept})
        documents = b",".join(b'"%s":%s' % (key.encode(), piece) for key, piece in pieces.items())
        # "loops" last, so the spooled documents go in before its two closing braces.
        index = head[:-1] + INDEX_LOOPS + documents + b"}}"
        replace_cache(index_path(store), extended(index, spooled or (), 2))
    except (OSError, orjson.JSONEncodeError):
        drop_index(store)


INDEX_LOOPS = b',"loops":{'
"""Where the index's head ends and its documents begin (write_index)."""


def mark(piece: bytes) -> int:
    """What tells one stored form of a document from another without keeping it: its
    CRC-32 and its length (a change that keeps both is one in four billion)."""
    import zlib

    return zlib.crc32(piece) | len(piece) << 32


def drop_index(store: Path) -> None:
    """Remove the index beside ``store`` and any temporary copy a crash left."""
    target = index_path(Path(os.path.realpath(store)))
    with suppress(OSError):
        os.unlink(target)
    remove_leftovers(target, prefix=target.name)  # write_index's, named INDEX.PID.tmp


# The store is written meta first, so its generation sits in the first bytes.
GENERATION = Pattern(rb'\{"meta":\{"1":\{[^{}]*"generation":"([0-9a-f]{32})"')


def file_generation(store: Path) -> str | None:
    """The generation the store file carries (a new one on every write), read from its
    first bytes; None for a missing file or one written before generations."""
    try:
        with open(store, "rb") as file:
            found = GENERATION.match(file.read(512))
    except OSError:
        return None
    return None if found is None else found[1].decode()


def index_head(raw: bytes) -> dict[str, Any]:
    """What an index says before its documents: what it was made from and the facts.
    ValueError when the bytes do not start as write_index writes them."""
    end = raw.find(INDEX_LOOPS)
    if end < 0:
        raise ValueError("not an index as loopcloser writes it")
    head = load_json(raw[:end] + b"}")
    if not isinstance(head, dict):
        raise ValueError("not an index as loopcloser writes it")
    return head


def earlier_facts(store: Path) -> dict[str, Any]:
    """The facts of the index beside ``store``, current or not, by id as text; none when
    it is missing, unreadable or of another form. Only a document with the same mark
    takes them."""
    try:
        head = index_head(index_path(store).read_bytes())
    except (OSError, ValueError):
        return {}
    return indexed_facts(head)


def current_index(store: Path, whole: bool = True) -> dict[str, Any] | None:
    """The index beside ``store``, or None when it is missing or not current; with
    ``whole`` false, its head alone (index_head), which is all counting needs.

    Current means the store still carries the generation the index names (a write
    by this loopcloser makes a new one) and is still the same file, byte count and
    modification time (a hand edit or an older loopcloser keeps the generation).
    """
    try:
        raw = index_path(store).read_bytes()
        with open(store, "rb") as file:
            stamp = file_stamp(os.fstat(file.fileno()))
            head = file.read(512)
    except OSError:
        return None
    found = GENERATION.match(head)
    try:
        index = load_json(raw) if whole else index_head(raw)
        if found is None or index.get("generation") != found[1].decode():
            return None
        if index.get("stamp") != stamp or (whole and not isinstance(index["loops"], dict)):
            return None
        return dict(index)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def read_index(store: Path) -> dict[int, dict[str, Any]] | None:
    """The hot documents from the index, or None when it is missing or not current."""
    index = current_index(store)
    if index is None:
        return None
    try:
        return {int(key): doc for key, doc in index["loops"].items()}
    except ValueError:
        return None


def facts_of_every_open_loop(index: dict[str, Any]) -> dict[str, Any] | None:
    """The facts an index keeps, when it keeps them of every open loop ("facts_whole"):
    by id as text; None when some loops have none there, or they are of another form."""
    whole = index.get("facts_whole") is True and index.get("facts_form") == FACTS_FORM
    facts = index.get("facts")
    return facts if whole and isinstance(facts, dict) else None


def indexed_facts(index: dict[str, Any]) -> dict[str, Any]:
    """The facts a current index keeps, by id as text; none when of another form."""
    facts = index.get("facts")
    return facts if index.get("facts_form") == FACTS_FORM and isinstance(facts, dict) else {}


def serialise(data: Tables) -> bytes:
    """The store as compact UTF-8 JSON.

    orjson writes a store ~8x faster than the json module (1.5 ms against 13 ms
    for 1,000 loops), and writing is on the path of every change an agent makes;
    reading stays with json, which orjson does not beat on large documents.
    """
    return dumps(meta_first(data))


def meta_first(data: Tables) -> Tables:
    """The tables with meta first, so a reader finds the generation in the file's first bytes."""
    return {
        META: data.get(META, {}),
        **{name: table for name, table in data.items() if name != META},
    }


def dumps(value: Any) -> bytes:
    """A value as compact UTF-8 JSON: orjson, or json for what orjson refuses."""
    import orjson

    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        # A lone surrogate read from the file (orjson refuses it): only \u escapes hold it.
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def extended(closed: bytes, items: Iterable[bytes], depth: int = 1) -> Iterator[bytes]:
    """The JSON ``closed`` with ``items`` (``"key":value`` each) added to an object in it.

    The object is the one closed by the last of the ``depth`` braces that end
    ``closed``: the last value of the outer objects. Yielded in pieces, for a file.
    """
    yield closed[:-depth]
    empty = closed[-depth - 1 : -depth] == b"{"
    for item in items:
        yield item if empty else b"," + item
        empty = False
    yield closed[-depth:]


class Spool:
    """New documents kept in a private file without a name, serialised, until the write.

    Each is checked as the store checks any document (``_plain``) and held in
    memory as 17 bytes: its place in id order, where it ends in the file and
    whether it is hot. The file is made in the store's folder and unlinked at
    once (or never named), so a killed process leaves nothing behind.
    """

    def __init__(self, folder: Path, hot: Hot | None) -> None:
        try:
            # Held open across the transaction, closed by close().
            import tempfile

            self._file = tempfile.TemporaryFile(dir=folder, prefix=".spool.")  # noqa: SIM115
        except OSError as error:
            raise _spool_error(error) from None
        self._hot = hot
        self._places = array("q")
        self._ends = array("q")
        self._hot_ones = bytearray()

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, place: int, document: dict[str, Any]) -> None:
        """Keep a new document; ``place`` orders it among the others (ids follow that order)."""
        data = _stored_json(document)
        try:
            self._file.write(data)
        except OSError as error:
            raise _spool_error(error) from None
        self._places.append(place)
        self._ends.append((self._ends[-1] if self._ends else 0) + len(data))
        self._hot_ones.append(self._hot is not None and self._hot(document))

    def items(self, ids: range, hot_only: bool = False) -> Iterator[bytes]:
        """Each document as ``"id":document``, the ids given out in order of their places."""
        self._file.flush()
        places = self._places
        in_order = all(a <= b for a, b in itertools.pairwise(places))
        # A stable sort: rows with one place keep the file's order.
        order = (
            range(len(places)) if in_order else sorted(range(len(places)), key=places.__getitem__)
        )
        self._file.seek(0)
        for loop_id, index in zip(ids, order, strict=True):
            if hot_only and not self._hot_ones[index]:
                continue
            start = self._ends[index - 1] if index else 0
            if not in_order or hot_only:
                self._file.seek(start)
            yield b'"%d":' % loop_id + self._file.read(self._ends[index] - start)

    def close(self) -> None:
        """Drop the spooled documents."""
        self._file.close()


def _stored_json(document: dict[str, Any]) -> bytes:
    """``document`` as compact JSON, if the store can hold it and read it back the same.

    orjson, then its reading back compared with the document, settle a document
    three times faster than _checked_json (an import of 100,000 loops spent 3 s
    there); what orjson refuses or changes (NaN, which it writes as null) is left to
    _checked_json, which writes it or says why it cannot (StoreError).
    """
    import orjson

    try:
        data = orjson.dumps(document)
        if orjson.loads(data) == document:
            return data
    except (orjson.JSONEncodeError, orjson.JSONDecodeError):
        pass
    return _checked_json(document, compact=True).encode()


SCRATCH_IN_MEMORY = 8 << 20
"""How many bytes a Scratch holds in memory before it moves them to a file."""
SCRATCH_BATCH = 1 << 20
"""How many bytes a Scratch on file gathers before each write."""
SCRATCH_WHAT = N_("the loops being written out")


class Scratch:
    """Pieces of bytes kept until their order is known, then read back in any order.

    In memory up to SCRATCH_IN_MEMORY; past that, in a private file without a name
    in ``folder`` (the store's: the pieces hold what the store holds), or in the
    system's temporary folder if that one refuses. Unlinked at once, the file is
    gone with the process, whatever ends it.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._held = bytearray()  # the pieces not yet in the file: all of them while few
        self._file: Any = None
        self._written = 0
        self._ends = array("q")

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, piece: bytes) -> int:
        """Keep ``piece``; returns its number, for ``pieces``."""
        held = self._held
        held += piece
        self._ends.append(self._written + len(held))
        if len(held) >= (SCRATCH_IN_MEMORY if self._file is None else SCRATCH_BATCH):
            self._write()
        return len(self._ends) - 1

    def _write(self) -> None:
        try:
            if self._file is None:
                self._file = unnamed_file(self._folder)
            self._file.write(self._held)
            self._file.flush()
        except OSError as error:
            raise _spool_error(error, SCRATCH_WHAT) from None
        self._written += len(self._held)
        self._held.clear()

    def pieces(self, order: Iterable[int]) -> Iterator[bytes]:
        """The pieces by their numbers, in ``order``."""
        return map(self.piece, order)

    def piece(self, number: int) -> bytes:
        """The piece numbered ``number``."""
        ends = self._ends
        start = ends[number - 1] if number else 0
        if self._file is None:
            return bytes(self._held[start : ends[number]])
        if self._held:
            self._write()
        try:
            if hasattr(os, "pread"):
                return os.pread(self._file.fileno(), ends[number] - start, start)
            self._file.seek(start)  # Windows
            return bytes(self._file.read(ends[number] - start))
        except OSError as error:
            raise _spool_error(error, SCRATCH_WHAT) from None

    def on_file(self) -> None:
        """Keep every piece in the file from now on, the file made now: a process forked
        after this writes its pieces where this one reads them (handed_over, take_over)."""
        if self._file is None:
            self._write()

    def handed_over(self) -> tuple[bytes, int]:
        """What another process needs to read the pieces kept here, all in the file now."""
        if self._held:
            self._write()
        return self._ends.tobytes(), self._written

    def take_over(self, state: tuple[bytes, int]) -> None:
        """Read the pieces that a forked process kept in this scratch's file (handed_over)."""
        ends, self._written = state
        self._ends = array("q")
        self._ends.frombytes(ends)
        self._held.clear()

    def close(self) -> None:
        """Drop the pieces."""
        self._held = bytearray()
        if self._file is not None:
            self._file.close()


def unnamed_file(folder: Path) -> Any:
    """A private file without a name in ``folder``, else in the system's temporary folder.

    Held open by its caller until it closes it, like the spool's.
    """
    import tempfile

    try:
        return tempfile.TemporaryFile(dir=folder, prefix=".scratch.")
    except OSError:
        return tempfile.TemporaryFile(prefix="loopcloser-")


NEW_DOCUMENTS = N_("the new documents")


def _spool_error(error: OSError, what: str = NEW_DOCUMENTS) -> StoreError:
    return StoreError(
        _("cannot hold {what} beside the store: {reason}").format(
            what=_(what), reason=error.strerror or error
        ),
        hint=_("free some disk space in the store's folder, then try again"),
    )


class Streamed:
    """Spooled documents a transaction adds, their ids, and the journal entry naming them."""

    def __init__(self, spool: Spool, ids: range) -> None:
        self.spool = spool
        self.ids = ids
        self.entry: str | None = None  # the key of the journal entry they were created by

    def documents(self, hot_only: bool = False) -> Iterator[dict[str, Any]]:
        """The spooled documents read back one at a time: never all of them held at once;
        ``hot_only``: only those the hot test picked (the open loops)."""
        import orjson

        for item in self.spool.items(self.ids, hot_only):
            yield orjson.loads(item[item.index(b":") + 1 :])

    def tables(self, data: Tables) -> Iterator[bytes]:
        """The store file, in pieces: the tables, with the spooled documents among the loops.

        The journal entry that created them says each was absent before (``null``),
        as undo reads it; those ids are written, never held as a dict.
        """
        yield b"{"
        for number, (name, table) in enumerate(meta_first(data).items()):
            yield b"," * (number > 0) + dumps(name) + b":"
            if name == LOOPS:
                yield from extended(dumps(table), self.spool.items(self.ids))
            elif name == JOURNAL and self.entry in table:
                yield from self.journal(table, self.entry)
            else:
                yield dumps(table)
        yield b"}"

    def journal(self, table: dict[str, Any], key: str) -> Iterator[bytes]:
        """The journal table, the entry ``key`` last, its "before" naming the new ids too."""
        entry = table[key]
        others = {name: other for name, other in table.items() if name != key}
        # "before" last, so the ids go in before the entry's two closing braces.
        body = {name: value for name, value in entry.items() if name != "before"}
        body["before"] = entry.get("before") or {}
        created = (b'"%d":null' % loop_id for loop_id in self.ids)
        yield dumps(others)[:-1]
        yield b"," * (len(others) > 0) + dumps(key) + b":"
        yield from extended(dumps(body), created, 2)
        yield b"}"


class Store:
    """A file of JSON documents keyed by positive int ids that are never reused.

    A Store reads the file once, at its first read or transaction, and later sees only
    its own transactions' writes: one command, one read. A new Store reads afresh.
    """

    def __init__(
        self,
        path: Path,
        lock_timeout: float | None = None,
        hot: Hot | None = None,
        sweep: Sweep | None = None,
        backup_day: str | None = None,
    ) -> None:
        self.path = path
        self.lock_timeout = _lock_timeout(lock_timeout)
        # Follow a symlinked store so a write replaces the target, not the link, and so
        # every name for one file shares one lock; but only a link within its own folder
        # (see check_link): the link is refused at the first read or write.
        self._real = Path(os.path.realpath(path))
        self._hot = hot
        self._sweep = sweep
        self._backup_day = backup_day  # the local date: its first write keeps a copy
        self._snapshot: TinyDB | None = None
        self._indexed_facts: dict[str, Any] = {}  # as hot_documents() found them
        # What a read passed over (an archive that cannot be read, a handoff left that
        # cannot be trusted), for the front end to name: never a reason to stop.
        self.problems: list[StoreError] = []
        self._archive = Archive(self._real, path)

    def remove_copies(self) -> None:
        """Delete, under the lock, every copy a killed write left beside the store.

        Temporary copies of the store and of its archive, and the index of open loops:
        each holds customer details that erasure must not leave behind.
        """
        with self._locked():
            remove_leftovers(self._real)
            remove_leftovers(self._archive.legacy.path)
            # Any month's, even one whose file a killed write never made.
            remove_leftovers(self._archive.folder / "any", prefix="")
            drop_index(self._real)

    def copies(self) -> list[Copy]:
        """The daily copies of this store, and those restores kept, newest first."""
        check_link(self.path, self._real)
        from loopcloser.storage import backups

        return backups.copies(self._real)

    def restore(self, key: str, stamp: str) -> tuple[Copy, Copy | None]:
        """Put the copy ``key`` back as the store, keeping the store as it was first.

        Returns the copy restored and the one kept (named ``before-restore-STAMP``).
        A copy that is not a whole store is refused, and nothing changes.
        """
        from loopcloser.storage import backups

        check_link(self.path, self._real)
        check_owner(self._real, self.path)
        with self._locked():
            chosen = backups.find(self._real, key)
            raw = chosen.path.read_bytes()
            restored = _checked(_parse(chosen.path, chosen.path), chosen.path)  # whole, or refused
            kept = backups.keep_before_restore(self._real, stamp)
            write_atomically(self._real, raw)
            remove_leftovers(self._real)
            drop_index(self._real)
            loops = restored.get(LOOPS, {})
            numbered = ((int(key), doc) for key, doc in loops.items())
            leave_status(self._real, lambda: open_facts(numbered, {}, load_or_none))
        self._snapshot = None
        return chosen, kept

    def keep_status(self, now: datetime, settings: Settings) -> None:
        """Have every write of this store in this process, by any Store, leave beside it
        the status a shell prompt reads, counted at ``now`` with ``settings``.

        One store at a time, the agent's own: a colleague's store written in a handoff
        is counted with the colleague's settings, by their own next run.
        """
        STATUS_WATCH.clear()
        STATUS_WATCH[self._real] = (self.path, now, settings)

    def leave_status(self) -> None:
        """Leave the status beside the store as it stands, as a write would (``remind``
        writes only when a reminder fires). Nothing without keep_status, nor any error."""
        if self._real not in STATUS_WATCH or not self._real.exists():
            return
        with suppress(StoreError), self._locked():
            leave_status(self._real, lambda: self.reopened().open_facts(load_or_none))

    def reopened(self) -> Store:
        """The same store, read afresh from the file at its first use."""
        return Store(self.path, self.lock_timeout, self._hot, self._sweep, self._backup_day)

    @property
    def archive_path(self) -> Path:
        """Where this store's archive of finished documents lives: a folder of months."""
        return archive_folder(self.path)

    def archived(self) -> dict[int, dict[str, Any]]:
        """Every document in the archive (none when there is none), read without a lock.

        An archive that cannot be read counts as empty, and is noted in ``problems``:
        the loops in the store stay in reach.
        """
        try:
            return self._archive.documents()
        except StoreError as error:
            self.pass_over(error)
            return {}

    def check_archive(self) -> None:
        """StoreError if the archive exists but cannot be read."""
        self._archive.documents()

    def archived_one(self, loop_id: int) -> dict[str, Any] | None:
        """One document from the archive, or None."""
        return self._archive.get(loop_id)

    def archive_cutoff(self) -> str | None:
        """The archive holds documents finished before this UTC moment (None: no archive)."""
        return self._archive.cutoff()

    def archived_since(self, moment: str) -> dict[int, dict[str, Any]]:
        """The archived documents that may have changed since the UTC text ``moment``
        (the months it covers), read without a lock; an unreadable archive counts as
        empty and is noted in ``problems``."""
        try:
            return self._archive.since(moment)
        except StoreError as error:
            self.pass_over(error)
            return {}

    def all_documents(self) -> dict[int, dict[str, Any]]:
        """The store's documents and the archive's, the store's copy winning."""
        return {**self.archived(), **self.documents()}

    def each_document(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every document of the store by id, one at a time, never all in memory at once.

        From this Store's one read if it made it; else from the file as it is read
        (see stream_documents), so a store of any size takes a few megabytes.
        """
        check_link(self.path, self._real)
        if self._snapshot is not None:
            yield from self.documents().items()
        else:
            yield from stream_documents(self._real, self.path)

    def each_archived(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every document of the archive by id, one at a time; StoreError naming it if
        it cannot be read (the documents before the fault came already: see pass_over).

        Read after the store, never before: a sweep meanwhile leaves a document in both
        files (the store's copy wins), never in neither.
        """
        return self._archive.each_document()

    def archive_files(self) -> list[Segment]:
        """The archive's files, oldest first, each read a document at a time as
        each_archived reads them all; StoreError if the archive cannot be listed."""
        return list(self._archive.segments().values())

    def pass_over(self, error: StoreError) -> None:
        """Note a part of the store that a read passed over (an archive it could not read)."""
        if all(error.message != known.message for known in self.problems):
            self.problems.append(error)

    def scratch(self) -> Scratch:
        """Where a result too large to hold waits for its order, beside the store."""
        return Scratch(self._real.parent)

    def sweep(self, terms: Sweep) -> tuple[int, int]:
        """Move the documents ``terms`` retire to the archive now; (moved, left in the store)."""
        with self.transaction(sweep=terms) as transaction:
            pass
        return transaction.swept, len(self.documents())

    def hot_documents(self) -> dict[int, dict[str, Any]]:
        """The documents the ``hot`` test selects (the open loops), read fast when possible.

        A long-used store is mostly finished loops; every write also leaves the hot
        ones in a small index beside the store, stamped with the store file it was
        made from. A stamp that does not match the file (a crash between the two
        writes, an older loopcloser) means a full read, which rewrites the index.
        """
        if self._hot is None:
            raise ValueError("this Store was opened without a hot test")
        check_link(self.path, self._real)
        self._indexed_facts = {}  # only ever those of the documents returned
        if self._snapshot is not None:
            return {key: doc for key, doc in self.documents().items() if self._hot(doc)}
        index = current_index(self._real)
        if index is not None:
            with suppress(ValueError):
                found = {int(key): doc for key, doc in index["loops"].items()}
                self._indexed_facts = indexed_facts(index)
                return found
        # Stamp before reading: if the file is replaced meanwhile, the index made from
        # what was read names the old file and is never taken for the new one. (Made
        # without the lock, it may overwrite a newer index: that only costs a full read.)
        try:
            stamp = file_stamp(os.stat(self._real))
        except OSError:
            stamp = None
        hot = {key: doc for key, doc in self.documents().items() if self._hot(doc)}
        assert self._snapshot is not None
        storage = self._snapshot.storage
        generation = storage.generation() if isinstance(storage, AtomicJSONStorage) else None
        if generation is not None and stamp is not None:  # an older file has no generation
            made_from = {"generation": generation, "stamp": stamp}
            keyed = {str(key): doc for key, doc in hot.items()}
            pieces = {key: dumps(doc) for key, doc in keyed.items()}
            marks = {key: mark(piece) for key, piece in pieces.items()}
            # A copied store's index is not current, yet its facts still fit the documents
            # whose stored form has the same mark.
            self._indexed_facts = facts_kept(keyed, marks, earlier_facts(self._real))
            write_index(self._real, made_from, pieces, self._indexed_facts)
        return hot

    def indexed_facts(self) -> dict[str, Any]:
        """The facts the index keeps of the documents hot_documents() last gave, by id as
        text (core.documents.facts_kept): none when they did not come from the index."""
        return self._indexed_facts

    def open_facts(self, read: Callable[[int, dict[str, Any]], Loop | None]) -> list[Facts]:
        """The facts of the loops still open, from the index where it keeps them; each
        other open loop is read with ``read`` (which may note or refuse a bad one)."""
        if self._hot is not None and self._snapshot is None:
            # The index's head alone, when its facts cover every open loop in shape.
            check_link(self.path, self._real)
            head = current_index(self._real, whole=False)
            every = facts_of_every_open_loop(head) if head is not None else None
            known = [kept_facts(entry) for entry in (every or {}).values()]
            if every is not None and None not in known:
                return [facts for facts in known if facts is not None]
        try:
            documents = self.hot_documents()
        except ValueError:  # opened without the index
            documents = self.documents()
        return list(open_facts(documents.items(), self._indexed_facts, read))

    def documents(self) -> dict[int, dict[str, Any]]:
        """Return every document by id, as of this Store's one read (no lock taken)."""
        return _documents(self._snapshot_loops())

    def get(self, loop_id: int) -> dict[str, Any] | None:
        """Return the document with this id as of this Store's one read, or None."""
        return _get(self._snapshot_loops(), loop_id)

    def meta_value(self, key: str) -> Any:
        """A value the store keeps beside its loops (a sync's cursor), as of its one read."""
        if self._snapshot is None:
            self._snapshot = self._open()
        meta = self._snapshot.table(META).get(doc_id=META_ID)
        return None if meta is None else meta.get(key)

    def journal(self) -> list[tuple[int, dict[str, Any]]]:
        """The journalled changes as (entry id, entry), newest first, read without a lock."""
        if self._snapshot is None:
            self._snapshot = self._open()
        return _journal(self._snapshot.table(JOURNAL))

    @contextmanager
    def transaction(self, sweep: Sweep | None = None) -> Iterator[Transaction]:
        """Lock, read afresh, yield; write once on success, nothing on an exception.

        The first write of a day (or any, given ``sweep``) also moves the documents the
        sweep retires to the archive: the archive is written first, so a crash between
        the two writes leaves a document in both files, never in neither.
        """
        check_link(self.path, self._real)
        check_owner(self._real, self.path)
        with self._locked() as lock:
            db = self._open()
            storage = db.storage
            assert isinstance(storage, AtomicJSONStorage)
            try:
                storage.read()  # a bad file fails here, before the caller changes anything
            except StoreError:
                # A file that is no store (a text file named by mistake) keeps no lock
                # file of ours beside it.
                lock.drop_if_new()
                raise
            # A reader of its own: what this Store read earlier, unlocked, may be stale.
            archive = Archive(self._real, self.path)
            transaction = Transaction(db, archive)
            try:
                try:
                    yield transaction
                finally:
                    transaction.closed = True
                terms = sweep or self._sweep
                if terms is not None:
                    transaction.retire(terms, forced=sweep is not None)
                transaction.write_archive()
                storage.flush()
            finally:
                transaction.discard_spool()
            transaction.release_archived()
            # What was just committed is the newest state: later reads need no second
            # load, unless spooled documents went to the file and not to these tables.
            self._snapshot = db if storage.streamed is None else None
            self._archive = archive
            if transaction.skipped_sweep is not None:
                self.problems.append(transaction.skipped_sweep)

    def _open(self) -> TinyDB:
        from tinydb import TinyDB

        check_link(self.path, self._real)
        return TinyDB(self._real, self.path, self._hot, self._backup_day, storage=AtomicJSONStorage)

    def _snapshot_loops(self) -> Table:
        if self._snapshot is None:
            self._snapshot = self._open()
        return self._snapshot.table(LOOPS)

    def _locked(self) -> AbstractContextManager[Lock]:
        # The lock is on a sibling file: each write replaces the store file itself, so a
        # lock on it would guard a file that nobody opens any more.
        return exclusive(Path(f"{self._real}.lock"), self.lock_timeout, self.path)

    def side_lock(self, purpose: str) -> AbstractContextManager[Lock]:
        """A lock beside the store for a longer job (``remind``), apart from its writes.

        It never waits: a second job finds it taken and raises Busy at once.
        """
        check_link(self.path, self._real)
        return exclusive(Path(f"{self._real}.{purpose}.lock"), 0.0, self.path)


def check_link(path: Path, real: Path) -> None:
    """Refuse a store path that is a link out of its own folder, or to nothing.

    A link beside the store is followed (a renamed store); one elsewhere could make a
    write land in any file its planter chose, and a dangling one would make the first
    write create the target and its folders.
    """
    try:
        if not path.is_symlink():
            return
    except OSError:
        return  # a name the file system refuses: reading or writing it says so
    if real.parent != Path(os.path.realpath(path.parent)):
        raise StoreError(
            _("store {path} is a link to {target}, outside its folder: it was not opened").format(
                path=path, target=real
            ),
            hint=_(
                "name the file itself (--store {target}), or replace the link with the file"
            ).format(target=real),
        )
    if not real.exists():
        raise StoreError(
            _(
                "store {path} is a link to {target}, which does not exist: nothing was created"
            ).format(path=path, target=real),
            hint=_("remove the link (rm {path}) or restore {target}").format(
                path=path, target=real
            ),
        )


def check_owner(real: Path, shown: Path) -> None:
    """Refuse to rewrite a store of another user: a write would hand them a file of ours."""
    uid = _effective_uid()
    try:
        owner = os.stat(real).st_uid
    except OSError:
        return  # missing: the write creates it; unreadable: the read says so
    if uid is not None and owner != uid:
        raise StoreError(
            _("store {path} belongs to another user (uid {uid}): it was not changed").format(
                path=shown, uid=owner
            ),
            hint=_("run loopcloser as that user, or work on a copy of the file"),
        )


def _effective_uid() -> int | None:
    geteuid = getattr(os, "geteuid", None)  # not on Windows
    return geteuid() if geteuid is not None else None


class Lock:
    """A lock file held open: dropped again when it was made for a file that is no store."""

    def __init__(self, path: Path, fd: int, created: bool) -> None:
        self.path, self.fd, self.created = path, fd, created

    def drop_if_new(self) -> None:
        """Remove the lock file if this lock created it."""
        if self.created:
            with suppress(OSError):
                os.unlink(self.path)
            self.created = False


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_lock(lock: Path, shown: Path) -> Lock:
    """Open (or make) the lock file ``lock``, never through a link nor another user's file.

    Locks are truncated to hold a note: followed through a link planted in a shared
    folder, that would empty whatever file the link names.
    """
    try:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
            created = True
        except FileExistsError:
            fd = os.open(lock, os.O_RDWR | NOFOLLOW)
            created = False
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise StoreError(
                _("lock file {lock} is a link: it was not opened, and {path} not changed").format(
                    lock=lock, path=shown
                ),
                hint=_("remove it (rm {lock}): loopcloser makes its own").format(lock=lock),
            ) from None
        raise _os_error(shown, "locked", error) from None
    status = os.fstat(fd)
    uid = _effective_uid()
    if not stat.S_ISREG(status.st_mode) or (uid is not None and status.st_uid != uid):
        os.close(fd)
        refused = (
            _("lock file {lock} is not a file: it was not used, and {path} not changed")
            if not stat.S_ISREG(status.st_mode)
            else _(
                "lock file {lock} belongs to another user: it was not used, and {path} not changed"
            )
        )
        raise StoreError(
            refused.format(lock=lock, path=shown),
            hint=_("remove it (rm {lock}) if you may, or ask its owner").format(lock=lock),
        )
    return Lock(lock, fd, created)


@contextmanager
def exclusive(lock: Path, timeout: float, shown: Path) -> Iterator[Lock]:
    """Hold an exclusive lock on the file ``lock``, waiting up to ``timeout`` seconds."""
    ensure_private_dir(lock.parent)
    held = open_lock(lock, shown)
    fd = held.fd
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd, shown):
            if time.monotonic() >= deadline:
                raise Busy(
                    _("store {path} is locked by {holder}").format(
                        path=shown, holder=_lock_holder(fd)
                    ),
                    hint=_("try again, or check that process"),
                )
            time.sleep(0.05)
        since = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        _write_lock_note(fd, f"pid {os.getpid()} since {since}")
        try:
            yield held
        finally:
            _write_lock_note(fd, "")  # so a lock file left behind names nobody
    finally:
        os.close(fd)  # closing releases the lock


class Transaction:
    """Reads and changes under the store's lock; Store.transaction() writes them once."""

    def __init__(self, db: TinyDB, archive: Archive) -> None:
        assert isinstance(db.storage, AtomicJSONStorage)
        self._storage = db.storage
        self._spool: Spool | None = None
        self._loops = db.table(LOOPS)
        self._meta = db.table(META)
        self._journal = db.table(JOURNAL)
        self._archive = archive
        self._archived: dict[str, dict[str, Any]] = {}  # a month -> its loops, once read
        self._archive_changed: set[str] = set()  # the months to write
        self._cutoff: str | None = None
        self._brought_back: dict[str, set[str]] = {}  # a month -> the ids it gave back
        self.swept = 0
        self.skipped_sweep: StoreError | None = None  # the archive could not be read
        self.closed = False

    def all_documents(self) -> dict[int, dict[str, Any]]:
        """This transaction's documents and the archive's, the store's copy winning."""
        return {**self.archived(), **self.documents()}

    def archived(self) -> dict[int, dict[str, Any]]:
        """The archive's documents by id, as this transaction has them."""
        merged: dict[int, dict[str, Any]] = {}
        for loops in self._every_month().values():
            merged.update((int(key), dict(doc)) for key, doc in loops.items())
        return merged

    def put_archived(self, loop_id: int, doc: dict[str, Any]) -> None:
        """Replace an archived document; written with the store, before it."""
        self._check_open()
        month = self._holder(loop_id)
        if month is None:
            raise ValueError(f"no archived document with id {loop_id}")
        # A change moves it to the month of its new last event, where a page about
        # that period looks for it.
        moved = archive_month(doc) or month
        if moved != month:
            del self._archived[month][str(loop_id)]
        self._month(moved)[str(loop_id)] = _plain(doc)
        self._archive_changed |= {month, moved}

    def remove_archived(self, loop_id: int) -> None:
        """Delete an archived document, every copy of it (erased from the team hub);
        written with the store."""
        self._check_open()
        for month, loops in self._every_month().items():
            if loops.pop(str(loop_id), None) is not None:
                self._archive_changed.add(month)

    def bring_back(self, loop_id: int) -> dict[str, Any] | None:
        """Move an archived document back into the store to change it; None if not archived.

        It leaves the archive once the store is written, so a crash keeps a copy in both.
        """
        self._check_open()
        if _get(self._loops, loop_id) is not None:
            return None
        if self._archived:  # months read already: look in them
            month = self._holder(loop_id)
        else:  # else find it by the files' first bytes, reading one month in full
            found = self._archive.find(loop_id)
            month = None if found is None else found[0]
        if month is None:
            return None
        doc = self._month(month).get(str(loop_id))
        if doc is None:
            return None
        from tinydb.table import Document

        self._loops.insert(Document(_plain(doc), loop_id))
        self._brought_back.setdefault(month, set()).add(str(loop_id))
        return _get(self._loops, loop_id)

    def retire(self, terms: Sweep, *, forced: bool) -> None:
        """Move the documents ``terms`` picks to the archive, once a day unless forced.

        Each goes to the file of the month it was finished in: a daily sweep reads and
        writes this month's file (and last month's, on the first days of a month).
        A daily sweep skips an archive that cannot be read (the change being written
        matters more; doctor names the archive); ``archive`` asked for by name refuses.
        """
        meta = self._meta.get(doc_id=META_ID)
        if not forced and meta is not None and meta.get("swept") == terms.mark:
            return
        moving = {str(doc.doc_id): dict(doc) for doc in self._loops if terms.retire(doc)}
        by_month: dict[str, dict[str, Any]] = {}
        for key, doc in moving.items():
            by_month.setdefault(archive_month(doc), {})[key] = doc
        try:
            for month in by_month:
                self._month(month)
        except StoreError as error:
            if forced:
                raise
            self.skipped_sweep = error
            return
        if moving:
            for month, docs in by_month.items():
                self._month(month).update(docs)
                self._archive_changed.add(month)
            self._cutoff = terms.cutoff
            self._loops.remove(doc_ids=[int(key) for key in moving])
            for given in self._brought_back.values():
                given -= set(moving)
            # Undo cannot bring back what is no longer here: drop the journal entries
            # that hold a moved loop as it was before a change ("before" by id).
            stale = [
                entry.doc_id
                for entry in self._journal
                if isinstance(entry.get("before"), dict) and set(entry["before"]) & set(moving)
            ]
            self._journal.remove(doc_ids=stale)
        self._meta.update({"swept": terms.mark}, doc_ids=[META_ID])
        self.swept = len(moving)

    def write_archive(self) -> None:
        """Write the archive's changed months, before the store is written."""
        for month in sorted(self._archive_changed):
            self._archive.segment(month).write(dict(self._archived[month]), self._cutoff)
        self._archive.refresh()

    def release_archived(self) -> None:
        """Drop from the archive what was brought back, now the store holds it."""
        for month, given in self._brought_back.items():
            if not given:
                continue
            remaining = {key: doc for key, doc in self._month(month).items() if key not in given}
            # The store holds the document already and wins over the archive's copy, so
            # a failure here only leaves a duplicate that the next sweep replaces.
            with suppress(StoreError):
                self._archive.segment(month).write(remaining)

    def _month(self, month: str) -> dict[str, Any]:
        """The loops of one month's file, read once (none yet: empty)."""
        if month not in self._archived:
            self._archived[month] = dict(self._archive.segment(month).tables()[LOOPS])
        return self._archived[month]

    def _every_month(self) -> dict[str, dict[str, Any]]:
        """Every month's loops, oldest first, each read once."""
        for month in self._archive.segments():
            self._month(month)
        return dict(sorted(self._archived.items()))

    def _holder(self, loop_id: int) -> str | None:
        """The latest month that holds ``loop_id``, every month read."""
        holders = [month for month, loops in self._every_month().items() if str(loop_id) in loops]
        return holders[-1] if holders else None

    def meta_value(self, key: str) -> Any:
        """A value the store keeps beside its loops, as this transaction has it."""
        meta = self._meta.get(doc_id=META_ID)
        return None if meta is None else meta.get(key)

    def set_meta(self, key: str, value: Any) -> None:
        """Keep ``value`` beside the loops: written with them, in the same file, at once."""
        self._check_open()
        self._meta.update({key: value}, doc_ids=[META_ID])

    def documents(self) -> dict[int, dict[str, Any]]:
        """Return every document by id, including this transaction's changes."""
        return _documents(self._loops)

    def get(self, loop_id: int) -> dict[str, Any] | None:
        """Return the document with this id, or None."""
        return _get(self._loops, loop_id)

    def insert(self, doc: dict[str, Any]) -> int:
        """Store a new document and return its newly allocated id."""
        return self.insert_many([doc])[0]

    def insert_many(self, docs: list[dict[str, Any]]) -> list[int]:
        """Store new documents and return their ids, in order."""
        self._check_open()
        plain = [_plain(doc) for doc in docs]
        if not plain:
            return []
        # Ids come from the meta counter, never from TinyDB's max(id) + 1, so an id once
        # shown to a user is never handed out again.
        first: int = self._meta.get(doc_id=META_ID)["next_id"]  # type: ignore[index]
        ids = list(range(first, first + len(plain)))
        from tinydb.table import Document

        self._loops.insert_multiple([Document(d, i) for i, d in zip(ids, plain, strict=True)])
        self._meta.update({"next_id": ids[-1] + 1}, doc_ids=[META_ID])
        return ids

    def put(self, loop_id: int, doc: dict[str, Any]) -> None:
        """Replace the whole document stored under an existing id."""
        self.put_many({loop_id: doc})

    def put_many(self, docs: dict[int, dict[str, Any]]) -> None:
        """Replace several whole documents under existing ids in one pass over the table.

        Each put() walks the whole table, so an import updating thousands of loops
        would take minutes one put at a time.
        """
        self._check_open()
        missing = [loop_id for loop_id in docs if _get(self._loops, loop_id) is None]
        if missing:
            raise ValueError(f"no document with id {missing[0]}")
        if not docs:
            return
        new = {loop_id: _plain(doc) for loop_id, doc in docs.items()}
        ids = list(new)
        replaced: list[int] = []

        # TinyDB calls the update once per id, in the order given.
        def replace(stored: MutableMapping[str, Any]) -> None:
            loop_id = ids[len(replaced)]
            replaced.append(loop_id)
            stored.clear()
            stored.update(new[loop_id])

        if self._loops.update(replace, doc_ids=ids) != ids:
            raise RuntimeError("the store replaced other documents than asked")

    def remove(self, loop_id: int) -> None:
        """Delete the document under ``loop_id``; its id is never handed out again."""
        self.remove_many([loop_id])

    def remove_many(self, loop_ids: list[int]) -> None:
        """Delete several documents in one pass over the table (remove() is one pass each)."""
        self._check_open()
        missing = [loop_id for loop_id in loop_ids if _get(self._loops, loop_id) is None]
        if missing:
            raise ValueError(f"no document with id {missing[0]}")
        if loop_ids:
            self._loops.remove(doc_ids=loop_ids)

    def spool(self) -> Spool:
        """Where new documents too many to hold go, for ``insert_spooled`` to add."""
        self._check_open()
        if self._spool is None:
            self._spool = self._storage.spool()
        return self._spool

    def insert_spooled(self) -> range:
        """Add the spooled documents under new ids, in order of their places, and return them.

        They are written with the store, but this transaction's reads do not see them.
        """
        self._check_open()
        if self._spool is None or not len(self._spool):
            return range(0)
        if self._storage.streamed is not None:
            raise RuntimeError("the spooled documents were inserted already")
        # Ids from the meta counter, as insert_many's.
        first: int = self._meta.get(doc_id=META_ID)["next_id"]  # type: ignore[index]
        ids = range(first, first + len(self._spool))
        self._meta.update({"next_id": ids.stop}, doc_ids=[META_ID])
        self._storage.streamed = Streamed(self._spool, ids)
        return ids

    def discard_spool(self) -> None:
        """Drop the spooled documents' file: written, or never to be."""
        if self._spool is not None:
            self._spool.close()

    def log(self, entry: dict[str, Any], created: range = range(0)) -> None:
        """Journal one change (a JSON object) for ``undo``; only the newest ones are kept.

        ``created`` are spooled documents the change added: written into the entry's
        "before" (as absent) with the store, never held in memory.
        """
        self._check_open()
        key = self._journal.insert(_plain(entry))
        if created:
            if self._storage.streamed is None or self._storage.streamed.ids != created:
                raise ValueError("only the ids insert_spooled() gave can be journalled so")
            self._storage.streamed.entry = str(key)
        ids = sorted(document.doc_id for document in self._journal)
        if len(ids) > JOURNAL_LIMIT:
            self._journal.remove(doc_ids=ids[: len(ids) - JOURNAL_LIMIT])

    def journal(self) -> list[tuple[int, dict[str, Any]]]:
        """The journalled changes as (entry id, entry), newest first."""
        return _journal(self._journal)

    def forget_entries(self, entry_ids: list[int] | None = None) -> None:
        """Drop journal entries (all of them when no ids are given)."""
        self._check_open()
        if entry_ids is None:
            self._journal.truncate()
        else:
            self._journal.remove(doc_ids=entry_ids)

    def _check_open(self) -> None:
        # A change made after the with-block would be silently lost: fail loudly instead.
        if self.closed:
            raise RuntimeError("transaction used after its with-block ended")


def _documents(table: Table) -> dict[int, dict[str, Any]]:
    # TinyDB hands out one shallow copy per document: change documents through put().
    return {doc.doc_id: doc for doc in table}


def _journal(table: Table) -> list[tuple[int, dict[str, Any]]]:
    entries = [(document.doc_id, dict(document)) for document in table]
    return sorted(entries, key=lambda pair: pair[0], reverse=True)


def _get(table: Table, loop_id: int) -> dict[str, Any] | None:
    # TinyDB makes an update with a str id a silent no-op: accept ints only.
    if type(loop_id) is not int:
        raise TypeError(f"document ids are ints, not {type(loop_id).__name__}")
    return table.get(doc_id=loop_id)


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    """Return a private copy of doc exactly as it will read back, or StoreError."""
    copy = json.loads(_checked_json(doc))
    if not isinstance(copy, dict):
        raise TypeError(f"documents are dicts, not {type(doc).__name__}")
    return copy


def _checked_json(doc: dict[str, Any], compact: bool = False) -> str:
    """``doc`` as JSON text, if the store can hold it and read it back the same; else StoreError."""
    try:
        separators = (",", ":") if compact else None
        text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=separators)
        text.encode("utf-8")  # refuse lone surrogates (e.g. undecodable argv bytes)
    except (TypeError, ValueError) as error:
        raise StoreError(
            _("document cannot be stored as JSON: {reason}").format(reason=error),
            hint=_("nothing was written"),
        ) from None
    if LONG_DIGITS.search(text) and _huge_integer(doc):
        # The store is read with orjson, which turns these into floats; jq and
        # JavaScript lose them too.
        raise StoreError(
            _("document cannot be stored as JSON: an integer beyond 64 bits"),
            hint=_("nothing was written; store such a number as text"),
        )
    return text


LONG_DIGITS = Pattern(r"[0-9]{19}")


def _huge_integer(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_huge_integer(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_huge_integer(item) for item in value)
    return type(value) is int and not -(2**63) <= value < 2**64


def load_json(raw: bytes) -> Any:
    """Parse JSON as fast as it can be done, with json's answer for anything unusual.

    orjson with the garbage collector paused parses a store of 4,600 loops in 27 ms,
    against 96 ms for json (the collector keeps walking the objects being built). What
    orjson refuses and json reads (NaN, a lone surrogate escape, very deep nesting) and
    the error messages with line numbers are left to json. An integer beyond 64 bits
    reads as a float: the store refuses to write one (see _plain).
    """
    import gc

    import orjson

    paused = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)
    finally:
        if paused:
            gc.enable()


def _parse(path: Path, shown: Path) -> Any:
    """Return the JSON in the store file, {} if there is no file, or StoreError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise _os_error(shown, "read", error) from None
    try:
        return load_json(raw)
    except json.JSONDecodeError as error:
        fault = (
            _("is not valid JSON (line {line}, column {column}): it was left untouched").format(
                line=error.lineno, column=error.colno
            )
            if raw.strip()
            else _("is empty: it was left untouched")
        )
        raise _malformed(shown, fault) from None
    except (UnicodeDecodeError, RecursionError):
        raise _malformed(shown, _("is not valid JSON: it was left untouched")) from None


def _checked(data: Any, shown: Path) -> Tables:
    """Return data as store tables with a complete meta record, or StoreError."""
    if not isinstance(data, dict):
        raise _malformed(shown, _("is not a JSON object: it was left untouched"))
    meta_table = data.setdefault(META, {})
    meta = meta_table.setdefault(str(META_ID), {}) if isinstance(meta_table, dict) else None
    if not isinstance(meta, dict):
        raise _malformed(shown, _("has a malformed meta table: it was left untouched"))
    # A file without a meta record predates versioning: read it as the current schema.
    version = meta.setdefault("schema_version", SCHEMA_VERSION)
    next_id = meta.setdefault("next_id", 1)
    if type(version) is int and version > SCHEMA_VERSION:  # checked first: the rest may differ
        raise FileFault(
            shown,
            _(
                "was written by a newer loopcloser (schema {version}; this version reads {known})"
            ).format(version=version, known=SCHEMA_VERSION),
            hint=_("upgrade loopcloser"),
        )
    if not all(type(n) is int and n >= 1 for n in (version, next_id)):
        raise _malformed(shown, _("has a malformed meta record: it was left untouched"))
    journal = data.get(JOURNAL, {})
    if not isinstance(journal, dict) or not all(isinstance(e, dict) for e in journal.values()):
        raise _malformed(shown, _("has a malformed journal table: it was left untouched"))
    loops = data.setdefault(LOOPS, {})
    # Keys like "01" or "²" would become another id, or fail, once TinyDB parses them.
    if not isinstance(loops, dict) or not all(
        key.isascii() and key.isdigit() and key[0] != "0" and isinstance(doc, dict)
        for key, doc in loops.items()
    ):
        raise _malformed(shown, _("has a malformed loops table: it was left untouched"))
    # A hand-edited file may hold ids at or past its counter: skip past them (in memory;
    # the file changes only with a real write) so that no id is handed out twice.
    meta["next_id"] = max(next_id, max(map(int, loops), default=0) + 1)
    return data


def _malformed(shown: Path, fault: str) -> FileFault:
    return FileFault(shown, fault, hint=_("restore it from a backup or point --store elsewhere"))


CANNOT = {"read": N_("cannot be read: {reason}"), "locked": N_("cannot be locked: {reason}")}
"""What a file error stopped, by action: the fault of the store file named with it."""


def _os_error(shown: Path, action: str, error: OSError) -> FileFault:
    return FileFault(
        shown,
        _(CANNOT[action]).format(reason=error.strerror or error),
        hint=_("point --store at a file you may read and write, in a folder you may write"),
    )


def _lock_timeout(value: float | None) -> float:
    if value is None:
        raw = os.environ.get("LOOPCLOSER_LOCK_TIMEOUT", "").strip()
        try:
            value = float(raw) if raw else DEFAULT_LOCK_TIMEOUT
        except ValueError:
            value = -1.0
    if not value >= 0:  # also refuses NaN
        raise BadInput(
            _("the store lock timeout (LOOPCLOSER_LOCK_TIMEOUT) must be a number of seconds >= 0"),
            hint=_("fix or unset LOOPCLOSER_LOCK_TIMEOUT"),
        )
    return value


def _write_lock_note(fd: int, note: str) -> None:
    # The note only explains a wait to others: a full disk must not fail the command.
    with suppress(OSError):
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, note.encode())


def _lock_holder(fd: int) -> str:
    with suppress(OSError):  # on Windows the holder's locked byte cannot be read
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 200).decode(errors="replace").strip() or _("another process")
    return _("another process")


def _try_lock(fd: int, shown: Path) -> bool:
    """Take the exclusive lock on fd if it is free; False if another process holds it."""
    try:
        if sys.platform == "win32":  # untested: locks byte 0, so the note is unreadable
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as error:
        if sys.platform == "win32":
            return False
        raise _os_error(shown, "locked", error) from None  # e.g. ENOLCK on NFS
    return True
