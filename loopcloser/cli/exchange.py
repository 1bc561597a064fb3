"""Loops out of the store and into it: export for scripts, spreadsheets and calendars,
import from JSON, JSON Lines or CSV."""

import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loopcloser.cli.options import JsonOption, StoreOption, app, completes
from loopcloser.cli.program import now_moment, open_store, out, settings, write_output
from loopcloser.core.errors import BadInput

if TYPE_CHECKING:
    from loopcloser.core.importing import Context, Lookup, Parsed, Plan
    from loopcloser.core.model import Flags, Loop
    from loopcloser.core.settings import Settings
    from loopcloser.storage.store import Transaction

FORMATS = ("json", "jsonl", "csv", "ics")


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
    from loopcloser.core.model import ACTIVE, State
    from loopcloser.services import loops as actions

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
        for loop in loops:
            tags = ";".join(loop["tags"])
            writer.writerow([tags if name == "tags" else loop[name] or "" for name in CSV_COLUMNS])
        return buffer.getvalue().encode("utf-8")
    from loopcloser.render.ics import to_ics

    return to_ics([loop for loop, _ in rows], now, conf.rules(), conf.calendar())


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

    conf = settings()
    now = now_moment()
    data, shown = read_input(file)
    text = importing.decode(data, shown)
    kind = importing.choose_format(format, file, text)
    parsed = importing.parse(kind, text, shown)
    source = "standard input" if file == "-" else Path(file).name
    context = importing.Context(now, conf["agent"], conf.calendar(), source)
    target = open_store(store, conf)
    ids: tuple[list[int], list[int]] = ([], [])
    if dry_run:
        plan = plan_rows(parsed, stored_loops(target.all_documents()), context)
    else:
        with target.transaction() as transaction:
            # Loops finished long ago are in the archive: a row may name one of them too.
            plan = plan_rows(parsed, stored_loops(transaction.all_documents()), context)
            if plan.changes and not (strict and plan.problems):
                ids = write_plan(transaction, plan, context)
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


def stored_loops(documents: Mapping[int, Mapping[str, Any]]) -> "Lookup":
    """Where an import finds the loop a row names: the store's and the archive's, by uid."""
    by_uid: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for loop_id, document in documents.items():
        uid = document.get("uid")
        if isinstance(uid, str):
            by_uid.setdefault(uid, (loop_id, document))
    return by_uid.get


def plan_rows(parsed: "Parsed", find: "Lookup", context: "Context") -> "Plan":
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


def write_plan(
    transaction: "Transaction", plan: "Plan", context: "Context"
) -> tuple[list[int], list[int]]:
    """Add and update the loops in the store's one write, journalled as one change."""
    from loopcloser.core.model import Kind, to_document
    from loopcloser.services.loops import journal_entry

    added = transaction.insert_many([to_document(loop) for loop in plan.added])
    updated = {loop_id: to_document(loop) for loop_id, loop, _ in plan.updated}
    for loop_id in updated:
        if transaction.get(loop_id) is None:
            transaction.bring_back(loop_id)  # changed, so no longer finished long ago
    transaction.put_many(updated)
    before: dict[int, dict[str, Any] | None] = dict.fromkeys(added)
    before.update({loop_id: dict(document) for loop_id, _, document in plan.updated})
    what = f"import from {context.source}: {len(added):,} added, {len(updated):,} updated"
    # The journal reads only when and by whom from the event.
    transaction.log(journal_entry(context.event(Kind.NOTE), what, before))
    return added, list(updated)


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
    from loopcloser.render.tables import printable, to_json

    problems = len(plan.problems)
    if as_json:
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
        out().write(to_json(data) + "\n")
    else:
        for problem in plan.problems:
            sys.stderr.write(printable(f"loopcloser: {problem.where}: {problem.reason}") + "\n")
        out().write(summary(plan, dry_run=dry_run, strict=strict) + "\n")
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
