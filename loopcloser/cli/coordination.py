"""Working with others: wait, resume, reschedule, handoff, customer."""

import sys
from typing import Annotated

import typer

from loopcloser.cli.app import app
from loopcloser.cli.arguments import channel, parse_due, parse_id, require_text
from loopcloser.cli.changes import record
from loopcloser.cli.context import context
from loopcloser.cli.options import IdArgument, JsonOption, StoreOption, ViaOption, completes
from loopcloser.cli.output import emit, emit_loop, out, page_width, program_name, warn
from loopcloser.core.errors import BadInput
from loopcloser.core.model import Kind, Loop, derive
from loopcloser.core.words import _


@app.command()
def wait(
    id: IdArgument,
    on: Annotated[str, typer.Option("--on", help="Who we wait for: Finance, a supplier...")],
    until: Annotated[
        str | None, typer.Option("--until", help="When they should answer (their due to us).")
    ] = None,
    text: Annotated[str | None, typer.Argument(help="What we asked them.", metavar="TEXT")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The loop waits on another party; it is still ours to chase.

    Example: loopcloser wait 42 --on Finance --until "thu 12:00" "refund approval"
    """
    from loopcloser.core.model import Waiting, encode_field, require_words
    from loopcloser.render.tables import local_time

    require_words("party", on)
    ctx = context(store, as_json)
    conf, now = ctx.settings, ctx.now
    until_at = None if until is None else parse_due(until, now, conf, allow_past=None)
    waiting = {"waiting_on": encode_field("waiting_on", Waiting(on.strip(), until_at))}

    def summary(loop: Loop) -> str:
        party = "" if loop.waiting_on is None else loop.waiting_on.party
        return _("#{id} is waiting on {party}; it stays on your list.").format(
            id=loop.id, party=party
        )

    loop = record(ctx, id, Kind.WAITING, summary, lambda _loop: waiting, text=text)
    expected = derive(loop, now, conf.tz, conf.cadence).expected_due
    if until_at is not None and until_at > expected:
        warning = _(
            "{party} is due to answer {answer}, after {customer} expects to hear ({expected})"
        ).format(
            party=on,
            answer=local_time(until_at, conf.tz, now),
            customer=loop.customer,
            expected=local_time(expected, conf.tz, now),
        )
        hint = _("tell them: {program} reschedule {id} WHEN --told --via CHANNEL").format(
            program=program_name(), id=loop.id
        )
        warn(warning, hint, as_json, kind="answer_after_due")


@app.command()
def resume(
    id: IdArgument,
    text: Annotated[str | None, typer.Argument(help="What came back.", metavar="TEXT")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The wait is over: the loop is open again.

    Example: loopcloser resume 42 "Finance approved the refund"
    """

    def summary(loop: Loop) -> str:
        return _("#{id} is open again.").format(id=loop.id)

    record(context(store, as_json), id, Kind.RESUMED, summary, text=text)


@app.command()
def reschedule(
    id: IdArgument,
    when: Annotated[
        str, typer.Argument(help="The new due: fri, 2bd, 30/11 17:00...", metavar="WHEN")
    ],
    told: Annotated[
        bool, typer.Option("--told", help="The customer has been told of the new date.")
    ] = False,
    not_told: Annotated[
        bool, typer.Option("--not-told", help="The customer has not been told yet.")
    ] = False,
    via: ViaOption = None,
    text: Annotated[str | None, typer.Option("--note", help="Why the date moved.")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move the due date, saying whether the customer knows.

    Until they are told, the customer still expects the old date: the loop is
    flagged "untold reschedule" and late by the old date, until a contact.

    Example: loopcloser reschedule 42 "mon 12:00" --told --via phone
    """
    from loopcloser.core.model import to_utc_text
    from loopcloser.render.tables import local_time

    if told == not_told:
        raise BadInput(
            _("say whether the customer was told of the new date"),
            hint=_("add --told --via CHANNEL, or --not-told"),
        )
    if not_told and via is not None:
        raise BadInput(
            _("--via is how the customer was told"), hint=_("drop --via with --not-told")
        )
    ctx = context(store, as_json)
    conf, now = ctx.settings, ctx.now
    due = {"due": to_utc_text(parse_due(when, now, conf, allow_past=None))}

    def summary(loop: Loop) -> str:
        due = local_time(loop.due, conf.tz, now)
        if told:
            return _("#{id} now due {due}; {customer} was told.").format(
                id=loop.id, due=due, customer=loop.customer
            )
        return _(
            "#{id} now due {due}, but {customer} still expects the old date: tell them,"
            " then log it with: {program} contact {id} TEXT"
        ).format(id=loop.id, due=due, customer=loop.customer, program=program_name())

    record(
        ctx,
        id,
        Kind.RESCHEDULED,
        summary,
        lambda _loop: due,
        told=told,
        via=channel(via, conf) if told else None,
        text=text,
    )


@app.command()
def handoff(
    id: IdArgument,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The colleague who takes the loop over.",
            autocompletion=completes("agents"),
        ),
    ],
    note: Annotated[
        str, typer.Option("--note", help="The context they need, so the customer never repeats it.")
    ],
    new_agent: Annotated[
        bool, typer.Option("--new-agent", help="The colleague has no store in the team yet.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hand a loop to a colleague, with the context they need.

    With a team hub the loop goes to them through the hub, at once when it answers,
    else at the next sync; with a team folder it moves into their store, history
    and all; with neither, only its owner changes.

    Example: loopcloser handoff 42 --to luca --note "refund approved, call her before noon"
    """
    from loopcloser.cli.sync import sync_after
    from loopcloser.services.handoff import handoff as give

    require_text(note, "--note")
    ctx = context(store, as_json)
    loop, new_id = give(ctx, parse_id(id), to, note, new_agent=new_agent)
    if ctx.settings.team is None:
        summary = _("#{id} is now {agent}'s.").format(id=loop.id, agent=to.strip())
    else:
        summary = _("#{id} handed off to {agent}: it is #{new_id} in their store.").format(
            id=parse_id(id), agent=to.strip(), new_id=new_id
        )
    emit_loop(ctx, loop, summary)
    sync_after(ctx, _("#{id} was handed off here").format(id=loop.id))


@app.command()
def customer(
    name: Annotated[
        str,
        typer.Argument(
            help="Part of the customer's name, email or phone.",
            metavar="NAME",
            autocompletion=completes("customers"),
        ),
    ],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every loop for a customer, in every state, and one timeline of all of them.

    With a team folder it reads every agent's store, so you see what any
    colleague promised, told or noted.

    Example: loopcloser customer maria.rossi@example.com
    """
    from loopcloser.core.text import printable
    from loopcloser.render.tables import customer_json, print_customer
    from loopcloser.services.customers import customer_loops, sources, timeline

    ctx = context(store, as_json)
    found = customer_loops(sources(ctx), name, ctx.bad)
    rows = [(agent, loop, derive(loop, ctx.now, ctx.tz, ctx.cadence)) for agent, loop in found]

    def show() -> None:
        if found:
            print_customer(rows, timeline(found), ctx.now, ctx.tz, out(), page_width())
        else:
            nothing = _("No loop for a customer matching '{name}'.").format(name=name)
            sys.stderr.write(printable(nothing) + "\n")

    emit(as_json, lambda: customer_json(name, rows, timeline(found)), show)
