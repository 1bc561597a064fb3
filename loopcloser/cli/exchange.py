"""Loops out of the store and into it: export for scripts, spreadsheets and calendars,
import from JSON, JSON Lines or CSV."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loopcloser.cli.app import app
from loopcloser.cli.context import context
from loopcloser.cli.options import JsonOption, StoreOption, completes
from loopcloser.cli.output import emit, out, write_output
from loopcloser.core.errors import BadInput

if TYPE_CHECKING:
    from loopcloser.core.importing import Context as ImportContext
    from loopcloser.core.importing import Lookup, Parsed, Plan


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
    store: StoreOption = None,
) -> None:
    """Export loops: JSON or JSON Lines with every field and the history, CSV for a
    spreadsheet, or an iCalendar file so your own calendar reminds you too.

    Example: loopcloser export --format csv --all -o loops.csv
    """
    from loopcloser.core.model import ACTIVE, State
    from loopcloser.render.export import FORMATS, serialise
    from loopcloser.services.loops import Query, select

    kind = "ics" if ics else format.strip().lower()
    if kind not in FORMATS:
        raise BadInput(f"cannot export as '{format}'", hint=f"use one of: {', '.join(FORMATS)}")
    ctx = context(store)
    states = frozenset(State) if show_all and kind != "ics" else ACTIVE
    rows = select(ctx.store(), Query(states), ctx.now, ctx.tz, ctx.cadence, ctx.bad)
    data = serialise(kind, rows, ctx.now, ctx.settings, raw=raw)
    write_output(data, output, f"{len(rows)} loop{'s' * (len(rows) != 1)}")


PROGRESS_FROM = 1000
"""Rows from which an import shows a progress bar (on a terminal only)."""


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
    data, shown = read_input(file)
    text = importing.decode(data, shown)
    kind = importing.choose_format(format, file, text)
    parsed = importing.parse(kind, text, shown)
    source = "standard input" if file == "-" else Path(file).name
    plan, ids = import_rows(ctx, parsed, source, dry_run=dry_run, strict=strict, planner=plan_rows)
    show_import(file, kind, plan, ids, dry_run=dry_run, strict=strict, as_json=as_json)


def read_input(file: str) -> tuple[bytes, str]:
    """The bytes to import, read at once, and how to name where they came from."""
    if file == "-":
        if sys.stdin is None:
            raise BadInput("there is no standard input to read", hint="give a file name")
        return sys.stdin.buffer.read(), "standard input"
    try:
        return Path(file).expanduser().read_bytes(), file
    except FileNotFoundError:
        hint = "check the path; - reads standard input"
        raise BadInput(f"cannot read {file}: there is no such file", hint=hint) from None
    except IsADirectoryError:
        raise BadInput(f"cannot read {file}: it is a folder", hint="give a file") from None
    except OSError as error:
        hint = "check the path and its permissions"
        raise BadInput(f"cannot read {file}: {error.strerror or error}", hint=hint) from None


def plan_rows(parsed: "Parsed", find: "Lookup", context: "ImportContext") -> "Plan":
    """The import's plan, with a progress bar on a terminal when the file is large."""
    from loopcloser.core.importing import plan

    if len(parsed.rows) <= PROGRESS_FROM or sys.stderr is None or not sys.stderr.isatty():
        return plan(parsed, find, context)
    from functools import partial

    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Reading rows", total=len(parsed.rows))
        return plan(parsed, find, context, partial(progress.advance, task))


def show_import(
    file: str,
    kind: str,
    plan: "Plan",
    ids: tuple[list[int], list[int]],
    *,
    dry_run: bool,
    strict: bool,
    as_json: bool,
) -> None:
    """The refused rows on stderr and a summary; exit 2 when any row was refused."""
    from loopcloser.core.importing import count
    from loopcloser.core.text import printable

    problems = len(plan.problems)
    data = {
        "file": file,
        "format": kind,
        "dry_run": dry_run,
        "strict": strict,
        "written": bool(ids[0] or ids[1]),
        "rows": len(plan.added) + len(plan.updated) + plan.unchanged + problems,
        "added": len(plan.added),
        "updated": len(plan.updated),
        "unchanged": plan.unchanged,
        "errors": [
            {"line": problem.where.line, "item": problem.where.item, "reason": problem.reason}
            for problem in plan.problems
        ],
        "added_ids": ids[0],
        "updated_ids": ids[1],
    }

    def show() -> None:
        for problem in plan.problems:
            sys.stderr.write(printable(f"loopcloser: {problem.where}: {problem.reason}") + "\n")
        out().write(summary(plan, dry_run=dry_run, strict=strict) + "\n")

    emit(as_json, lambda: data, show)
    if not problems:
        return
    rows = count(problems, "row")
    if strict:
        raise BadInput(
            f"nothing was imported: {rows} of the file {'has' if problems == 1 else 'have'} errors",
            hint="fix them, or import without --strict to take the good rows",
        )
    if dry_run:
        raise BadInput(
            f"{rows} with errors would be skipped",
            hint="fix them first, or import anyway to take the good rows",
        )
    raise BadInput(
        f"{rows} with errors {'was' if problems == 1 else 'were'} skipped",
        hint="fix those rows and import the file again: what is already in stays as it is",
    )


def summary(plan: "Plan", *, dry_run: bool, strict: bool) -> str:
    """One line: how many loops were (or would be) added, updated and left alone."""
    from loopcloser.core.importing import count

    good = len(plan.added) + len(plan.updated) + plan.unchanged
    counts = (
        f"{len(plan.added):,} added, {len(plan.updated):,} updated, {plan.unchanged:,} unchanged"
    )
    rows = count(len(plan.problems), "row")
    if strict and plan.problems:
        return f"Imported nothing: {rows} with errors (--strict); the other {good:,}: {counts}."
    if dry_run:
        line = f"Would import {count(good, 'loop')}: {counts}"
        line += f"; {rows} with errors would be skipped" if plan.problems else ""
        return line + ". Nothing was written (--dry-run)."
    line = f"Imported {count(good, 'loop')}: {counts}"
    if plan.problems:
        line += f"; {rows} with errors {'was' if len(plan.problems) == 1 else 'were'} skipped"
    return line + "."
