"""Working with others: wait, resume, reschedule, handoff, customer."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from loopcloser.cli.options import (
    IdArgument,
    JsonOption,
    StoreOption,
    ViaOption,
    app,
    completes,
    emit_loop,
    record,
)
from loopcloser.cli.program import (
    channel,
    now_moment,
    open_store,
    out,
    parse_due,
    parse_id,
    program_name,
    require_text,
    settings,
    warn,
)
from loopcloser.core.errors import BadInput
from loopcloser.core.model import Event, Kind, Loop, derive


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
    conf = settings()
    now = now_moment()
    until_at = None if until is None else parse_due(until, now, conf, allow_past=None)
    waiting = {"waiting_on": encode_field("waiting_on", Waiting(on.strip(), until_at))}
    summary = "#{loop.id} is waiting on {loop.waiting_on.party}; it stays on your list."
    loop = record(
        store, id, Kind.WAITING, as_json, summary, lambda _: waiting, conf=conf, now=now, text=text
    )
    expected = derive(loop, now, conf.tz, conf.cadence).expected_due
    if until_at is not None and until_at > expected:
        warning = (
            f"{on} is due to answer {local_time(until_at, conf.tz, now)}, after"
            f" {loop.customer} expects to hear ({local_time(expected, conf.tz, now)})"
        )
        hint = f"tell them: {program_name()} reschedule {loop.id} WHEN --told --via CHANNEL"
        warn(warning, hint, as_json)


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
    record(store, id, Kind.RESUMED, as_json, "#{loop.id} is open again.", text=text)


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
            "say whether the customer was told of the new date",
            hint="add --told --via CHANNEL, or --not-told",
        )
    if not_told and via is not None:
        raise BadInput("--via is how the customer was told", hint="drop --via with --not-told")
    conf = settings()
    now = now_moment()
    due = {"due": to_utc_text(parse_due(when, now, conf, allow_past=None))}

    def summary(loop: Loop) -> str:
        moved = f"#{loop.id} now due {local_time(loop.due, conf.tz, now)}"
        if told:
            return f"{moved}; {loop.customer} was told."
        return (
            f"{moved}, but {loop.customer} still expects the old date: tell them,"
            f" then log it with: {program_name()} contact {loop.id} TEXT"
        )

    record(
        store,
        id,
        Kind.RESCHEDULED,
        as_json,
        summary,
        lambda _: due,
        conf=conf,
        now=now,
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

    With a team folder the loop moves into their store, history and all;
    without one, only its owner changes.

    Example: loopcloser handoff 42 --to luca --note "refund approved, call her before noon"
    """
    from loopcloser.core.model import require_words
    from loopcloser.services import loops as actions
    from loopcloser.storage import team

    conf = settings()
    now = now_moment()
    receiver = to.strip()
    require_text(note, "--note")
    require_words("receiver", receiver)
    if "\n" in receiver or len(receiver) > 100:
        raise BadInput("the receiver must be an agent's name", hint="e.g. --to luca")
    event = Event(
        kind=Kind.HANDOFF, at=now, by=conf["agent"], text=note, changes={"owner": receiver}
    )
    source = open_store(store, conf)
    if conf.team is None:

        def in_place(loop: Loop) -> Event:
            if loop.owner == receiver:
                raise BadInput(f"#{loop.id} is already {receiver}'s", hint="nothing was changed")
            return event

        loop = actions.change(source, parse_id(id), in_place)
        summary = f"#{loop.id} is now {receiver}'s."
    else:
        # In a team the loop must move to the receiver's store, whichever way the
        # giver's own store was named (--store, LOOPCLOSER_STORE or the agent setting).
        giver = team_member(source.path, conf.team)
        loop, new_id = team.handoff(
            conf.team, giver, parse_id(id), receiver, event, new_agent=new_agent
        )
        summary = f"#{parse_id(id)} handed off to {receiver}: it is #{new_id} in their store."
    emit_loop(loop, now, conf, as_json, summary)


def team_member(store: Path, folder: Path) -> str:
    """The agent whose store ``store`` is in the team folder; BadInput for another file."""
    if store.resolve().parent != folder.resolve() or store.suffix != ".json":
        raise BadInput(
            f"{store} is not a store in the team folder {folder}",
            hint="a handoff in a team moves loops between AGENT.json stores in that folder;"
            " drop --store (and LOOPCLOSER_STORE)",
        )
    return store.stem


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
    from loopcloser.render.tables import customer_json, print_customer, printable, to_json
    from loopcloser.services.customers import customer_loops, timeline
    from loopcloser.storage import team

    conf = settings()
    now = now_moment()
    if conf.team is not None and store is None:
        team.recover(conf.team)
        sources = [(agent, open_store(path)) for agent, path in team.team_stores(conf.team)]
    else:
        sources = [(conf["agent"], open_store(store, conf))]
    found = customer_loops(sources, name)
    rows = [(agent, loop, derive(loop, now, conf.tz, conf.cadence)) for agent, loop in found]
    if as_json:
        out().write(to_json(customer_json(name, rows, timeline(found))) + "\n")
    elif found:
        print_customer(rows, timeline(found), now, conf.tz, out())
    else:
        sys.stderr.write(printable(f"No loop for a customer matching '{name}'.") + "\n")
