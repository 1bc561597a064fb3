"""Changing the past: undo, restore, forget (the right to erasure), and archive."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loopcloser.cli.app import app
from loopcloser.cli.context import context
from loopcloser.cli.options import JsonOption, StoreOption, completes
from loopcloser.cli.output import emit, out, said, warn
from loopcloser.core.errors import BadInput, StoreError

if TYPE_CHECKING:
    from loopcloser.services.forget import Erased
    from loopcloser.services.restore import Kept


@app.command()
def undo(
    show_list: Annotated[
        bool, typer.Option("--list", help="Show what undo would revert, newest first.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revert the most recent change to the store; repeat to step further back.

    Example: loopcloser undo --list
    """
    from loopcloser.render.tables import local_time, plain_table, to_json
    from loopcloser.services import undo as journal

    ctx = context(store, as_json)
    target = ctx.store()
    if show_list:
        changes = journal.pending(target)
        if as_json:
            out().write(to_json([change_json(change) for change in changes]) + "\n")
        elif changes:
            rows: list[list[str]] = [
                [
                    change.what,
                    local_time(change.at, ctx.tz, ctx.now),
                    change.by,
                    change.blocked or "",
                ]
                for change in changes
            ]
            out().write(plain_table([["CHANGE", "WHEN", "BY", "CANNOT BE UNDONE BECAUSE"], *rows]))
        else:
            sys.stderr.write("Nothing to undo.\n")
        return
    reverted = journal.undo(target)
    when = local_time(reverted.at, ctx.tz, ctx.now)
    emit(
        as_json,
        lambda: change_json(reverted),
        said(f"Undid: {reverted.what} (by {reverted.by}, {when})."),
    )


@app.command()
def restore(
    key: Annotated[
        str | None,
        typer.Argument(
            help="The copy to bring back: its day (e.g. 2026-11-24) or a key from --list.",
            metavar="DATE",
            show_default=False,
        ),
    ] = None,
    show_list: Annotated[
        bool, typer.Option("--list", help="Show the copies kept, newest first.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bring back the store as it was on an earlier day; the current one is kept first.

    The first change of each day keeps a copy of the store as the day found it, in
    .backups beside the store; the last 7 days stay. Restoring keeps the store as it
    was as one more copy (before-restore-...), so a restore can be undone too.

    Example: loopcloser restore --list
    """
    from loopcloser.render.tables import plain_table
    from loopcloser.services.restore import copies
    from loopcloser.services.restore import restore as bring_back

    ctx = context(store, as_json)
    if show_list == (key is not None):
        raise BadInput("give a day to restore, or --list", hint="see: loopcloser restore --list")
    if show_list:
        kept = copies(ctx)

        def show() -> None:
            if not kept:
                sys.stderr.write("No copy yet: the first change of a day keeps one.\n")
                return
            rows = [
                [copy.key, "daily" if copy.daily else "before a restore", counted(copy.loops)]
                for copy in kept
            ]
            out().write(plain_table([["COPY", "KIND", "LOOPS"], *rows]))

        emit(as_json, lambda: [copy_json(copy) for copy in kept], show)
        return
    assert key is not None
    restored, before = bring_back(ctx, key)
    kept_as = f"; the store as it was is kept as {before.key}" if before else ""
    data = {
        "restored": restored.key,
        "kept": None if before is None else before.key,
        "store": str(ctx.store().path),
    }
    emit(as_json, lambda: data, said(f"Restored the copy of {restored.key}{kept_as}."))


def counted(loops: int | None) -> str:
    """How many loops a copy holds, or why that is not known."""
    return "unreadable" if loops is None else f"{loops:,}"


def copy_json(copy: "Kept") -> dict[str, Any]:
    """A kept copy of the store, for scripts."""
    return {"key": copy.key, "daily": copy.daily, "loops": copy.loops, "path": str(copy.path)}


def change_json(change: Any) -> dict[str, Any]:
    """A journalled change for scripts: what, when, by whom, which loops."""
    from loopcloser.core.model import to_utc_text

    data = {
        "what": change.what,
        "at": to_utc_text(change.at),
        "by": change.by,
        "loop_ids": list(change.loop_ids),
    }
    if hasattr(change, "blocked"):
        data["blocked"] = change.blocked
    return data


@app.command()
def forget(
    customer: Annotated[
        str,
        typer.Argument(
            help="The customer's exact name or contact.",
            metavar="CUSTOMER",
            autocompletion=completes("customers"),
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a customer's name, contact and notes from every loop (right to erasure).

    The loops keep their dates and states for statistics. With a team folder,
    every agent's store is scrubbed. The undo journal is cleared.

    Example: loopcloser forget "maria@example.com" --yes
    """
    from loopcloser.services.forget import forget_customer

    if not yes:
        raise BadInput(
            f"forget erases every trace of '{customer}' and cannot be undone",
            hint="add --yes to confirm",
        )
    erased = forget_customer(context(store, as_json), customer)
    data = {
        "customer": customer,
        "scrubbed": erased.loops,
        "mentions": erased.mentions,
        "failed": [{"store": path, "error": message} for path, message in erased.failed],
    }
    if erased.hub is not None:
        data["hub"] = {
            "erased": erased.hub.erased,
            "queued": erased.hub.queued,
            "left_to_a_lead": erased.hub.others,
        }
    emit(as_json, lambda: data, said(forgotten(customer, erased)))
    if erased.hub is not None and erased.hub.why is not None:
        warn(
            f"the hub was not reached ({erased.hub.why}): this store's"
            f" {erased.hub.queued} loop(s) of {customer} are erased from it at the next sync",
            "loops of the customer that only colleagues hold need forget again with the hub up",
            as_json,
            kind="hub_unreachable",
        )
    if erased.hub is not None and erased.hub.others:
        warn(
            f"{erased.hub.others} loop(s) of {customer} in the team hub are colleagues':"
            " only a lead may erase them",
            f'ask a lead to run: loopcloser forget "{customer}" --yes',
            as_json,
            kind="needs_lead",
        )
    for path, message in erased.failed:
        hint = "it may still hold the customer"
        warn(f"could not erase in {path}: {message}", hint, as_json, kind="not_erased")
    if erased.failed:
        count = len(erased.failed)
        raise StoreError(
            f"forget could not erase in {count} file{'s' * (count != 1)} named above,"
            f" which may still hold '{customer}'",
            hint="fix it (e.g. restore it from a backup), then run forget again to finish",
        )


def forgotten(customer: str, erased: "Erased") -> str:
    """What forget did, in one line."""
    if not (erased.loops or erased.mentions or erased.failed or (erased.hub and erased.hub.erased)):
        return f"No loop belongs to '{customer}' (the name or contact must match exactly)."
    counts = f"{erased.loops} loop{'s' * (erased.loops != 1)} scrubbed"
    if erased.mentions:
        plural = "s" * (erased.mentions != 1)
        counts += f", mentions redacted in {erased.mentions} other loop{plural}"
    if erased.hub is not None and erased.hub.why is None:
        counts += f", {erased.hub.erased} erased from the team hub"
    return f"Forgot {customer}: {counts}."


@app.command()
def archive(
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Loops closed or cancelled this long ago (default: the archive_after setting).",
            metavar="DURATION",
        ),
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move loops closed or cancelled long ago out of the store, into its archive.

    The first change of each day does this by itself (setting archive_after, 1d);
    show, customer, list --all, report and export --all still read the archive.

    Example: loopcloser archive --older-than 90d
    """
    from loopcloser.core.when import parse_duration
    from loopcloser.services.loops import archive as sweep

    ctx = context(store, as_json)
    after = ctx.settings.archive_after if older_than is None else parse_duration(older_than)
    if after is None:
        raise BadInput(
            "the archive is off (archive_after = off)",
            hint="give --older-than, e.g. 30d, or: loopcloser config set archive_after 30d",
        )
    target = ctx.store()
    moved, kept = sweep(ctx, after)
    result = {"archived": moved, "kept": kept, "archive": str(target.archive_path)}
    loops = f"{moved:,} loop{'s' * (moved != 1)}"
    summary = f"Archived {loops} to {target.archive_path}; {kept:,} stay in the store."
    emit(as_json, lambda: result, said(summary))
