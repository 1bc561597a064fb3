"""A promise from start to close: add, list, show, edit, note, contact, done, close..."""

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from loopcloser.cli.app import app
from loopcloser.cli.arguments import (
    channel,
    lone_id_text,
    parse_due,
    parse_every,
    parse_id,
    parse_targets,
    require_text,
)
from loopcloser.cli.changes import record
from loopcloser.cli.context import context
from loopcloser.cli.options import (
    IdArgument,
    IdsArgument,
    JsonOption,
    StoreOption,
    TextOption,
    ViaOption,
    completes,
)
from loopcloser.cli.output import emit, emit_loop, is_terminal, out, print_rows, warn
from loopcloser.core.errors import BadInput
from loopcloser.core.model import Kind, Loop, State, derive, outcome_words
from loopcloser.core.words import _

if TYPE_CHECKING:
    from loopcloser.cli.changes import Summary
    from loopcloser.services.context import Context


@app.command()
def add(
    customer: Annotated[
        str, typer.Argument(help="Who was promised: a name or account.", metavar="CUSTOMER")
    ],
    promise: Annotated[
        str, typer.Argument(help="What was promised, in your words.", metavar="PROMISE")
    ],
    due: Annotated[
        str,
        typer.Option(
            "--due",
            "-d",
            help="When the customer expects to hear: friday, eod, 2bd, 30/11 17:00...",
        ),
    ],
    via: ViaOption = None,
    contact: Annotated[str | None, typer.Option(help="How to reach the customer.")] = None,
    prefers: Annotated[
        str | None,
        typer.Option(
            help="The channel the customer prefers.", autocompletion=completes("channels")
        ),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Update the customer at least this often: 2d, 36h, 1w."),
    ] = None,
    remind: Annotated[
        list[str] | None, typer.Option("--remind", help="Remind me at this time (repeatable).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="A free tag (repeatable).")
    ] = None,
    ref: Annotated[str | None, typer.Option(help="External reference: ticket or CRM id.")] = None,
    owner: Annotated[str | None, typer.Option(help="The agent accountable (default: you).")] = None,
    allow_past: Annotated[
        bool, typer.Option("--allow-past", help="Accept a due date already passed.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log a promise made to a customer.

    Example: loopcloser add "ACME Corp" "call back about the refund" --due "fri 12:00" --via phone
    """
    import uuid

    from loopcloser.core.model import creation
    from loopcloser.render.tables import local_time
    from loopcloser.services.loops import add as add_loop

    ctx = context(store, as_json)
    conf, now = ctx.settings, ctx.now
    if owner is not None and owner.strip() != ctx.agent and conf.hub is not None:
        raise BadInput(
            _("with a team hub, a loop is added by the agent who owns it"),
            hint=_("add it yourself, then: loopcloser handoff ID --to {agent} --note TEXT").format(
                agent=owner.strip()
            ),
        )
    event = creation(
        uid=str(uuid.uuid4()),
        customer=customer,
        promise=promise,
        owner=owner or ctx.agent,
        due=parse_due(due, now, conf, allow_past),
        at=now,
        by=ctx.agent,
        contact=contact,
        prefers=None if prefers is None else channel(prefers, conf),
        via=channel(via, conf),
        remind=[parse_due(text, now, conf, allow_past) for text in remind or ()],
        update_every=parse_every(every),
        tags=tag or (),
        ref=ref,
    )
    loop = add_loop(ctx.store(), event)
    warn_of_late_reminders(ctx, loop)
    if as_json or not is_terminal():
        # Scripts get the id alone (``id=$(loopcloser add ...)``) or the loop as JSON.
        emit_loop(ctx, loop, str(loop.id))
        return
    when = local_time(loop.due, ctx.tz, now)
    added = _("Added #{id} for {customer}, due {due}.")
    emit_loop(ctx, loop, added.format(id=loop.id, customer=loop.customer, due=when))


def warn_of_late_reminders(ctx: "Context", loop: Loop) -> None:
    """A reminder after the due is allowed, but rarely meant: say so, and how to change it."""
    from loopcloser.render.tables import local_time

    for moment in loop.remind:
        if moment > loop.due:
            warn(
                _("the reminder {reminder} comes after the due {due}").format(
                    reminder=local_time(moment, ctx.tz, ctx.now),
                    due=local_time(loop.due, ctx.tz, ctx.now),
                ),
                _(
                    "change it if that is not what you meant: loopcloser edit {id} --remind WHEN"
                ).format(id=loop.id),
                ctx.as_json,
                kind="late_reminder",
            )


@app.command("list")
def list_loops(
    state: Annotated[
        list[State] | None, typer.Option("--state", "-s", help="Only these states (repeatable).")
    ] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            help="Customer name or contact contains this (any case, accents or not).",
            autocompletion=completes("customers"),
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="Only loops with this tag (repeated: with all of them)."),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(help="Only this agent's loops.", autocompletion=completes("agents")),
    ] = None,
    team: Annotated[
        bool,
        typer.Option("--team", help="Every agent's loops: from the team hub or the team folder."),
    ] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only loops past their due.")] = False,
    due_before: Annotated[
        str | None, typer.Option("--due-before", help="Only loops due before this time.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Closed and cancelled loops too.")
    ] = False,
    waiting_on: Annotated[
        str | None, typer.Option("--waiting-on", help="Only loops waiting on this party.")
    ] = None,
    untold: Annotated[
        bool, typer.Option("--untold", help="Only loops done but not yet told.")
    ] = False,
    silent: Annotated[
        bool, typer.Option("--silent", help="Only loops past their update cadence.")
    ] = False,
    stale: Annotated[bool, typer.Option("--stale", help="Only waits past their --until.")] = False,
    untold_reschedule: Annotated[
        bool,
        typer.Option("--untold-reschedule", help="Only loops moved without telling the customer."),
    ] = False,
    grep: Annotated[
        str | None, typer.Option("--grep", help="Customer, promise or a note contains this.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Loops still to close, most urgent first: overdue, then done-but-untold, then soonest due.

    Example: loopcloser list --overdue --tag billing

    Example: loopcloser list --team --owner luca --overdue
    """
    from loopcloser.core.model import ACTIVE
    from loopcloser.services.loops import Query, select

    ctx = context(store, as_json)
    states = frozenset(state) if state else frozenset(State) if show_all else ACTIVE
    before = None if due_before is None else parse_due(due_before, ctx.now, ctx.settings, True)
    query = Query(
        states,
        customer,
        tuple(tag or ()),
        owner,
        overdue,
        before,
        waiting_on,
        untold,
        silent,
        stale,
        grep,
        untold_reschedule,
    )
    if team:
        from loopcloser.services.team_view import team_loops

        rows = team_loops(ctx, query)
    else:
        rows = select(ctx.store(), query, ctx.now, ctx.tz, ctx.cadence, ctx.bad)
    filtered = query != Query(states) or state is not None
    if not print_rows(ctx, rows, team):
        empty = _("No loops match.") if filtered else _("No open loops.")
        sys.stderr.write(empty + "\n")


@app.command()
def show(id: IdArgument, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Every field of a loop and its whole history.

    Example: loopcloser show 42
    """
    from loopcloser.render.tables import loop_json, print_show
    from loopcloser.services.loops import fetch

    ctx = context(store, as_json)
    loop = fetch(ctx.store(), parse_id(id))
    flags = derive(loop, ctx.now, ctx.tz, ctx.cadence)
    emit(
        as_json,
        lambda: loop_json(loop, flags, with_events=True),
        lambda: print_show(loop, flags, ctx.now, ctx.tz, out(), is_terminal()),
    )


@app.command()
def edit(
    id: IdArgument,
    promise: Annotated[str | None, typer.Option(help="New wording of the promise.")] = None,
    customer: Annotated[str | None, typer.Option(help="New customer name.")] = None,
    contact: Annotated[str | None, typer.Option(help="New contact details.")] = None,
    prefers: Annotated[
        str | None,
        typer.Option(
            help="The customer's preferred channel.", autocompletion=completes("channels")
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Add a tag (repeatable).")
    ] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", help="Remove a tag (repeatable).")
    ] = None,
    ref: Annotated[str | None, typer.Option(help="New external reference.")] = None,
    every: Annotated[
        str | None, typer.Option("--every", help="New update cadence (2d, 36h), or 'off'.")
    ] = None,
    remind: Annotated[
        list[str] | None,
        typer.Option("--remind", help="Replace the reminders (repeatable); 'off' removes them."),
    ] = None,
    due: Annotated[str | None, typer.Option("--due", hidden=True)] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a loop's details: promise, customer, contact, channel, tags, ref, cadence, reminders.

    Example: loopcloser edit 42 --contact anna@acme.example --tag vip
    """
    from loopcloser.core.edit import Edit

    if due is not None:
        # A due is a date the customer was promised: moving it must say whether they know.
        raise BadInput(
            _("edit does not move the due date"),
            hint=_(
                'use: loopcloser reschedule {id} "{due}" --told --via CHANNEL (or --not-told)'
            ).format(id=id, due=due),
        )
    ctx = context(store, as_json)
    conf, now = ctx.settings, ctx.now
    reminders = None
    if remind is not None:
        off = [text for text in remind if text.strip().lower() in ("off", "none")]
        reminders = () if off else tuple(parse_due(text, now, conf, None) for text in remind)
    wanted = Edit(
        remind=reminders,
        promise=promise,
        customer=customer,
        contact=contact,
        prefers=None if prefers is None else channel(prefers, conf),
        add_tags=tuple(tag or ()),
        remove_tags=tuple(untag or ()),
        ref=ref,
        update_every=None
        if every is None or every.strip().lower() in ("off", "none")
        else parse_every(every),
        clear_update_every=every is not None and every.strip().lower() in ("off", "none"),
    )
    if wanted.is_empty():
        raise BadInput(
            _("nothing to change"), hint=_("give at least one option, see: loopcloser edit --help")
        )

    def summary(loop: Loop) -> str:
        return _("#{id} updated.").format(id=loop.id)

    record(ctx, id, Kind.EDITED, summary, wanted.changes)


@app.command()
def note(
    ids: IdsArgument,
    text: TextOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an internal note to the history of one loop or several.

    Example: loopcloser note 42 "Finance says the refund was approved"
    """
    ctx = context(store, as_json)
    targets, words = with_text(ids, text, "note", _("the note"))

    def summary(loop: Loop) -> str:
        return _("Noted on #{id}.").format(id=loop.id)

    record(ctx, targets, Kind.NOTE, summary, text=words)


@app.command()
def contact(
    ids: IdsArgument,
    text: TextOption = None,
    via: ViaOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log a message to or from the customer; it resets the silence clock.

    Without --via, the channel is the customer's preferred one, else the promise's.

    Example: loopcloser contact 42 "told her Finance is on it" --via email
    """
    ctx = context(store, as_json)
    targets, words = with_text(ids, text, "contact", _("the message"))

    def summary(loop: Loop) -> str:
        return _("Contact logged on #{id}.").format(id=loop.id)

    record(ctx, targets, Kind.CONTACT, summary, fields_for=told_via(ctx, via), text=words)


@app.command()
def done(
    ids: IdsArgument,
    text: TextOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The work is finished but the customer is not told yet: the loop stays open.

    Several ids mark each loop done: loopcloser done 2 3 5-7.

    Example: loopcloser done 42 "refund issued"
    """
    targets, words = parse_targets(ids, text, "done")

    def summary(loop: Loop) -> str:
        return _(
            "#{id} is done but {customer} has not been told:"
            " close it once they know (loopcloser close {id} --via CHANNEL)."
        ).format(id=loop.id, customer=loop.customer)

    record(context(store, as_json), targets, Kind.DONE, summary, text=words)


@app.command()
def close(
    ids: IdsArgument,
    text: TextOption = None,
    via: ViaOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The customer has been told the outcome: the loop is closed.

    Several ids close each loop: loopcloser close 2 3 --via phone. Without --via, the
    channel is the customer's preferred one, else the promise's.

    Example: loopcloser close 42 "told her the refund is on its way" --via phone
    """
    targets, words = parse_targets(ids, text, "close")
    ctx = context(store, as_json)

    def summary(loop: Loop) -> str:
        outcome = derive(loop, ctx.now, ctx.tz, ctx.cadence).outcome
        return _("#{id} closed: {customer} has been told ({outcome}).").format(
            id=loop.id, customer=loop.customer, outcome=outcome_words(outcome)
        )

    record(ctx, targets, Kind.CLOSED, summary, fields_for=told_via(ctx, via), text=words)


@app.command()
def cancel(
    ids: IdsArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the promise is withdrawn.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a promise, saying why.

    Example: loopcloser cancel 42 --reason "customer withdrew the request"
    """

    def summary(loop: Loop) -> str:
        return _("#{id} cancelled.").format(id=loop.id)

    with_reason(context(store, as_json), ids, Kind.CANCELLED, summary, reason)


@app.command()
def reopen(
    ids: IdsArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the loop is open again.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a done, closed or cancelled loop again, saying why.

    Example: loopcloser reopen 42 --reason "refund bounced"
    """

    def summary(loop: Loop) -> str:
        return _("#{id} is open again.").format(id=loop.id)

    with_reason(context(store, as_json), ids, Kind.REOPENED, summary, reason)


def with_reason(
    ctx: "Context", ids: list[str], kind: Kind, summary: "Summary", reason: str
) -> None:
    """Record a change that must say why (cancel, reopen)."""
    verb = "cancel" if kind is Kind.CANCELLED else "reopen"
    targets, stray = parse_targets(ids, None, verb)
    if stray is not None:
        raise BadInput(
            _("'{text}' is not a loop id").format(text=stray),
            hint=_('the reason goes in --reason "{text}"').format(text=stray),
        )
    record(ctx, targets, kind, summary, text=require_text(reason, "--reason"))


def with_text(ids: list[str], text: str | None, verb: str, what: str) -> tuple[list[int], str]:
    """The loops and the words of a verb that needs words (note, contact)."""
    targets, words = parse_targets(ids, text, verb)
    if words is None:
        raise lone_id_text(verb, targets, what)
    return targets, require_text(words, what)


def told_via(ctx: "Context", via: str | None) -> "Callable[[Loop], dict[str, str]]":
    """The channel of a message to the customer: the one given, else the one they prefer.

    Without either, the promise's own channel; the configured default is the last resort.
    """
    given = None if via is None else channel(via, ctx.settings)

    def channel_for(loop: Loop) -> dict[str, str]:
        return {"via": given or loop.prefers or loop.via or channel(None, ctx.settings)}

    return channel_for
