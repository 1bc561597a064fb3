"""Loops out of the store and into it: export for scripts, spreadsheets and calendars,
import from JSON, JSON Lines or CSV."""

import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from loopcloser.cli.app import app
from loopcloser.cli.context import context
from loopcloser.cli.options import JsonOption, StoreOption, completes
from loopcloser.cli.output import emit, is_terminal, out, write_output
from loopcloser.core.errors import BadInput
from loopcloser.core.words import _, n_

if TYPE_CHECKING:
    import rich.progress

    from loopcloser.core.importing import Plan
    from loopcloser.services.importing import Written


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
    raw: Annotated[
        bool,
        typer.Option(
            "--raw", help="CSV cells as they are, even those a spreadsheet would run as formulas."
        ),
    ] = False,
    local_times: Annotated[
        bool,
        typer.Option(
            "--local-times",
            help="CSV times in your time zone as spreadsheets read dates (2026-11-27"
            " 12:00:00), not in UTC (2026-11-27T11:00:00Z).",
        ),
    ] = False,
    bom: Annotated[
        bool,
        typer.Option(
            "--bom", help="Start the CSV with a byte-order mark, so Excel shows Zoë, not ZoÃ«."
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Export loops: JSON or JSON Lines with every field and the history, CSV for a
    spreadsheet, or an iCalendar file so your own calendar reminds you too.

    Example: loopcloser export --format csv --local-times --bom -o loops.csv
    """
    from loopcloser.render.export import FORMATS
    from loopcloser.services.exporting import export as exported

    kind = "ics" if ics else format.strip().lower()
    if kind not in FORMATS:
        raise BadInput(
            _("cannot export as '{format}'").format(format=format),
            hint=_("use one of: {choices}").format(choices=", ".join(FORMATS)),
        )
    asked = (("--local-times", local_times), ("--bom", bom))
    spreadsheet = [name for name, wanted in asked if wanted]
    if spreadsheet and kind != "csv":
        options = (
            _("{first} and {second}").format(first=spreadsheet[0], second=spreadsheet[1])
            if len(spreadsheet) == 2
            else spreadsheet[0]
        )
        only = n_("{options} is for CSV only", "{options} are for CSV only", len(spreadsheet))
        raise BadInput(
            only.format(options=options), hint=_("add --format csv, the format for a spreadsheet")
        )
    ctx = context(store)
    # A bar while the loops go to the terminal would mix with them.
    reading = Bar(_("Reading loops"))
    writing = Bar(_("Writing loops"), shown=output is not None or not is_terminal())
    with reading:
        count, data = exported(
            ctx, kind, everything=show_all, raw=raw, local_times=local_times, bom=bom,
            read=reading.counter, written=writing.counter,
        )  # fmt: skip
    writing.total = count
    with writing:
        write_output(data, output, n_("{count} loop", "{count} loops", count).format(count=count))


PROGRESS_FROM = 1000
"""Loops or rows from which a progress bar shows (on a terminal only)."""


@app.command("import")
def import_loops(
    file: Annotated[
        str,
        typer.Argument(
            help="The file to read, or - for standard input.", metavar="FILE|-", show_default=False
        ),
    ],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="json, jsonl or csv (default: from the file's extension, else its first"
            " character).",
            metavar="FORMAT",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing if any row has an error.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import loops from JSON, JSON Lines or CSV: a CRM export, or a backup to restore.

    Loops are matched by uid: one already in the store is updated, so importing
    the same file twice changes nothing. Rows with errors are listed on stderr
    and skipped (exit 2); the others go in at once, and undo takes them back.

    Example: loopcloser import crm.csv --dry-run
    """
    from loopcloser.core import importing
    from loopcloser.services.importing import import_rows

    ctx = context(store, as_json)
    stream, shown = read_input(file)
    with stream if file != "-" else nullcontext(stream):  # standard input stays open
        progress = Bar(_("Reading rows"), file_size(stream), shown=not as_json, by_bytes=True)
        text = importing.decoded(chunks(stream, shown, progress), shown)
        first, text = importing.opening(text, shown)
        kind = importing.choose_format(format, file, first)
        records = importing.read_rows(kind, text, shown)
        # The source is written into each imported loop's history: it stays in English.
        source = "standard input" if file == "-" else Path(file).name
        with progress:
            plan, ids = import_rows(
                ctx, records, source, dry_run=dry_run, strict=strict, step=progress.counter
            )
    show_import(file, kind, plan, ids, dry_run=dry_run, strict=strict, as_json=as_json)


CHUNK = 1 << 16
"""How much of the file is read at a time: the file is never held whole, and the
progress bar (which follows the bytes read) moves in small steps."""


def read_input(file: str) -> tuple[BinaryIO, str]:
    """The file to import, open to read as it goes, and how to name where it came from."""
    if file == "-":
        if sys.stdin is None:
            raise BadInput(_("there is no standard input to read"), hint=_("give a file name"))
        return sys.stdin.buffer, _("standard input")
    try:
        return Path(file).expanduser().open("rb"), file
    except OSError as error:
        raise unreadable(file, error) from None


def unreadable(file: str, error: OSError) -> BadInput:
    """The refusal of a file that cannot be opened or read, with what to do."""
    if isinstance(error, FileNotFoundError):
        hint = _("check the path; - reads standard input")
        return BadInput(_("cannot read {file}: there is no such file").format(file=file), hint=hint)
    if isinstance(error, IsADirectoryError):
        return BadInput(
            _("cannot read {file}: it is a folder").format(file=file), hint=_("give a file")
        )
    hint = _("check the path and its permissions")
    reason = error.strerror or error
    return BadInput(_("cannot read {file}: {reason}").format(file=file, reason=reason), hint=hint)


def chunks(stream: BinaryIO, shown: str, progress: "Bar") -> Iterator[bytes]:
    """The file's bytes a chunk at a time, counted for the progress bar."""
    while True:
        try:
            chunk = stream.read(CHUNK)
        except OSError as error:
            raise unreadable(shown, error) from None
        if not chunk:
            return
        progress.read += len(chunk)
        yield chunk


def file_size(stream: BinaryIO) -> int | None:
    """How many bytes the file to import holds; None for a pipe."""
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


class Bar:
    """A progress bar on stderr for a long import or export, at a terminal only.

    It shows from the step after PROGRESS_FROM on, only when stderr is a terminal
    (never into a pipe or a file, never under --json), and leaves nothing behind.
    An import's rows are planned as the file is read, so their number is not known
    ahead: its bar follows the bytes ``read`` (``by_bytes``), out of the file's size
    (none for a pipe); otherwise it counts the steps, out of ``total`` if known.
    """

    def __init__(
        self, what: str, total: int | None = None, *, shown: bool = True, by_bytes: bool = False
    ) -> None:
        self.what = what
        self.total = total
        self.read = 0
        self.by_bytes = by_bytes
        self.steps = 0
        self._bar: rich.progress.Progress | None = None
        self._task: rich.progress.TaskID | None = None
        self._shown = shown and sys.stderr is not None and sys.stderr.isatty()

    @property
    def counter(self) -> Callable[[], None] | None:
        """``step`` if the bar may show, else None: nothing to call for each loop."""
        return self.step if self._shown else None

    def step(self) -> None:
        """One more row or loop."""
        self.steps += 1
        if not self._shown or self.steps <= PROGRESS_FROM or self.steps % 100:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        if self._task is not None:
            self._bar.update(self._task, completed=self.read if self.by_bytes else self.steps)

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def show_import(
    file: str,
    kind: str,
    plan: "Plan",
    ids: "Written",
    *,
    dry_run: bool,
    strict: bool,
    as_json: bool,
) -> None:
    """The refused rows on stderr and a summary; exit 2 when any row was refused."""
    from loopcloser.core.text import printable

    problems = len(plan.problems)
    data = {
        "file": file,
        "format": kind,
        "dry_run": dry_run,
        "strict": strict,
        "written": bool(ids[0] or ids[1]),
        "rows": plan.new + len(plan.updated) + plan.unchanged + problems,
        "added": plan.new,
        "updated": len(plan.updated),
        "unchanged": plan.unchanged,
        "errors": [
            {"line": problem.where.line, "item": problem.where.item, "reason": problem.reason}
            for problem in plan.problems
        ],
        "added_ids": list(ids[0]),
        "updated_ids": ids[1],
    }

    def show() -> None:
        for problem in plan.problems:
            sys.stderr.write(printable(f"loopcloser: {problem.where}: {problem.reason}") + "\n")
        out().write(summary(plan, dry_run=dry_run, strict=strict) + "\n")

    emit(as_json, lambda: data, show)
    if not problems:
        return
    if strict:
        message = n_(
            "nothing was imported: {count:,} row of the file has errors",
            "nothing was imported: {count:,} rows of the file have errors",
            problems,
        )
        hint = _("fix them, or import without --strict to take the good rows")
    elif dry_run:
        message = n_(
            "{count:,} row with errors would be skipped",
            "{count:,} rows with errors would be skipped",
            problems,
        )
        hint = _("fix them first, or import anyway to take the good rows")
    else:
        message = n_(
            "{count:,} row with errors was skipped",
            "{count:,} rows with errors were skipped",
            problems,
        )
        hint = _("fix those rows and import the file again: what is already in stays as it is")
    raise BadInput(message.format(count=problems), hint=hint)


def summary(plan: "Plan", *, dry_run: bool, strict: bool) -> str:
    """One line: how many loops were (or would be) added, updated and left alone."""
    good = plan.new + len(plan.updated) + plan.unchanged
    counts = _("{added:,} added, {updated:,} updated, {unchanged:,} unchanged").format(
        added=plan.new, updated=len(plan.updated), unchanged=plan.unchanged
    )
    problems = len(plan.problems)
    loops = n_("{count:,} loop", "{count:,} loops", good).format(count=good)
    if strict and problems:
        return n_(
            "Imported nothing: {count:,} row with errors (--strict); the other {good:,}: {counts}.",
            "Imported nothing: {count:,} rows with errors (--strict);"
            " the other {good:,}: {counts}.",
            problems,
        ).format(count=problems, good=good, counts=counts)
    if dry_run and problems:
        line = n_(
            "Would import {loops}: {counts}; {count:,} row with errors would be skipped."
            " Nothing was written (--dry-run).",
            "Would import {loops}: {counts}; {count:,} rows with errors would be skipped."
            " Nothing was written (--dry-run).",
            problems,
        )
    elif dry_run:
        line = _("Would import {loops}: {counts}. Nothing was written (--dry-run).")
    elif problems:
        line = n_(
            "Imported {loops}: {counts}; {count:,} row with errors was skipped.",
            "Imported {loops}: {counts}; {count:,} rows with errors were skipped.",
            problems,
        )
    else:
        line = _("Imported {loops}: {counts}.")
    return line.format(loops=loops, counts=counts, count=problems)
