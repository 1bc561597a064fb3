"""Changing the past: undo, restore, forget (the right to erasure), and archive."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loopcloser.cli.app import app
from loopcloser.cli.context import context
from loopcloser.cli.options import JsonOption, StoreOption, completes
from loopcloser.cli.output import emit, out, said, warn
from loopcloser.core.errors import BadInput, StoreError
from loopcloser.core.words import _, n_

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
                    change.what_said,
                    local_time(change.at, ctx.tz, ctx.now),
                    change.by,
                    change.blocked_said or "",
                ]
                for change in changes
            ]
            header = [_("CHANGE"), _("WHEN"), _("BY"), _("CANNOT BE UNDONE BECAUSE")]
            out().write(plain_table([header, *rows]))
        else:
            sys.stderr.write(_("Nothing to undo.") + "\n")
        return
    reverted = journal.undo(target)
    when = local_time(reverted.at, ctx.tz, ctx.now)
    emit(
        as_json,
        lambda: change_json(reverted),
        said(
            _("Undid: {what} (by {by}, {when}).").format(
                what=reverted.what_said, by=reverted.by, when=when
            )
        ),
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
        raise BadInput(
            _("give a day to restore, or --list"), hint=_("see: loopcloser restore --list")
        )
    if show_list:
        kept = copies(ctx)

        def show() -> None:
            if not kept:
                sys.stderr.write(_("No copy yet: the first change of a day keeps one.") + "\n")
                return
            rows = [
                [copy.key, _("daily") if copy.daily else _("before a restore"), counted(copy.loops)]
                for copy in kept
            ]
            out().write(plain_table([[_("COPY"), _("KIND"), _("LOOPS")], *rows]))

        emit(as_json, lambda: [copy_json(copy) for copy in kept], show)
        return
    assert key is not None
    restored, before = bring_back(ctx, key)
    data = {
        "restored": restored.key,
        "kept": None if before is None else before.key,
        "store": str(ctx.store().path),
    }
    if before is None:
        summary = _("Restored the copy of {key}.").format(key=restored.key)
    else:
        summary = _("Restored the copy of {key}; the store as it was is kept as {kept}.").format(
            key=restored.key, kept=before.key
        )
    emit(as_json, lambda: data, said(summary))


def counted(loops: int | None) -> str:
    """How many loops a copy holds, or why that is not known."""
    return _("unreadable") if loops is None else f"{loops:,}"


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
            _("forget erases every trace of '{customer}' and cannot be undone").format(
                customer=customer
            ),
            hint=_("add --yes to confirm"),
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
        warning = n_(
            "the hub was not reached ({why}): this store's"
            " {count} loop(s) of {customer} are erased from it at the next sync",
            "the hub was not reached ({why}): this store's"
            " {count} loop(s) of {customer} are erased from it at the next sync",
            erased.hub.queued,
        ).format(why=erased.hub.why, count=erased.hub.queued, customer=customer)
        warn(
            warning,
            _("loops of the customer that only colleagues hold need forget again with the hub up"),
            as_json,
            kind="hub_unreachable",
        )
    if erased.hub is not None and erased.hub.others:
        warning = n_(
            "{count} loop(s) of {customer} in the team hub are colleagues':"
            " only a lead may erase them",
            "{count} loop(s) of {customer} in the team hub are colleagues':"
            " only a lead may erase them",
            erased.hub.others,
        ).format(count=erased.hub.others, customer=customer)
        warn(
            warning,
            _('ask a lead to run: loopcloser forget "{customer}" --yes').format(customer=customer),
            as_json,
            kind="needs_lead",
        )
    for path, message in erased.failed:
        hint = _("it may still hold the customer")
        warning = _("could not erase in {path}: {message}").format(path=path, message=message)
        warn(warning, hint, as_json, kind="not_erased")
    if erased.failed:
        count = len(erased.failed)
        raise StoreError(
            n_(
                "forget could not erase in {count} file named above,"
                " which may still hold '{customer}'",
                "forget could not erase in {count} files named above,"
                " which may still hold '{customer}'",
                count,
            ).format(count=count, customer=customer),
            hint=n_(
                "fix it (e.g. restore it from a backup), then run forget again to finish",
                "fix it (e.g. restore it from a backup), then run forget again to finish",
                count,
            ),
        )


def forgotten(customer: str, erased: "Erased") -> str:
    """What forget did, in one line."""
    if not (erased.loops or erased.mentions or erased.failed or (erased.hub and erased.hub.erased)):
        return _(
            "No loop belongs to '{customer}' (the name or contact must match exactly)."
        ).format(customer=customer)
    counts = [
        n_("{count} loop scrubbed", "{count} loops scrubbed", erased.loops).format(
            count=erased.loops
        )
    ]
    if erased.mentions:
        counts.append(
            n_(
                "mentions redacted in {count} other loop",
                "mentions redacted in {count} other loops",
                erased.mentions,
            ).format(count=erased.mentions)
        )
    if erased.hub is not None and erased.hub.why is None:
        counts.append(
            n_(
                "{count} erased from the team hub",
                "{count} erased from the team hub",
                erased.hub.erased,
            ).format(count=erased.hub.erased)
        )
    return _("Forgot {customer}: {counts}.").format(customer=customer, counts=", ".join(counts))


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
            _("the archive is off (archive_after = off)"),
            hint=_("give --older-than, e.g. 30d, or: loopcloser config set archive_after 30d"),
        )
    target = ctx.store()
    moved, kept = sweep(ctx, after)
    result = {"archived": moved, "kept": kept, "archive": str(target.archive_path)}
    summary = n_(
        "Archived {count:,} loop to {path}; {kept:,} stay in the store.",
        "Archived {count:,} loops to {path}; {kept:,} stay in the store.",
        moved,
    ).format(count=moved, path=target.archive_path, kept=kept)
    emit(as_json, lambda: result, said(summary))
