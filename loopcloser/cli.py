"""The ``loopcloser`` command line: parse arguments, call the core, hand results to render."""

# No ``from __future__ import annotations`` here, unlike the rest of the package: typer
# would then evaluate every command's string annotations at each start (~7 ms).

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loopcloser import __version__
from loopcloser.errors import BadInput
from loopcloser.model import Event, Flags, Kind, Loop, State, derive
from loopcloser.program import (
    LoopGroup,
    channel,
    is_terminal,
    now_moment,
    open_store,
    out,
    parse_due,
    parse_every,
    parse_id,
    program_name,
    require_text,
    settings,
)

if TYPE_CHECKING:
    from loopcloser.config import Settings

app = typer.Typer(
    cls=LoopGroup,
    name="loopcloser",
    help="Track the promises you make to customers until the customer has been told.",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Read and change your settings (name, time zone, working hours).")
app.add_typer(config_app, name="config")


def show_version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        sys.stdout.write(f"loopcloser {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Track the promises you make to customers until the customer has been told.

    A loop is closed only when the customer has been told.
    """
    help_when_bare(context)


def help_when_bare(context: typer.Context) -> None:
    """A group typed with no command shows its help, like ``--help``."""
    if context.invoked_subcommand is None:
        sys.stdout.write(context.get_help() + "\n")


@config_app.callback(invoke_without_command=True)
def config_root(context: typer.Context) -> None:
    """Read and change your settings (name, time zone, working hours)."""
    help_when_bare(context)


# --- shared options and plumbing ---------------------------------------------

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="LOOPCLOSER_STORE",
        help="Store file (default: LOOPCLOSER_STORE, else your user data directory).",
        show_default=False,
        # The store reports a file it cannot read (exit 5) better than a usage error would.
        readable=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
IdArgument = Annotated[
    str, typer.Argument(help="The loop's id, e.g. 42 or #42.", show_default=False, metavar="ID")
]
ViaOption = Annotated[
    str | None,
    typer.Option(
        "--via", help="Channel: phone, email, chat, social, in-person, video, sms, letter."
    ),
]


def emit_loop(loop: Loop, now: datetime, conf: "Settings", as_json: bool, summary: str) -> None:
    """After a change: the loop as JSON, or one line saying what happened."""
    if as_json:
        from loopcloser.render import loop_json, to_json

        out().write(to_json(loop_json(loop, derive(loop, now, conf.tz))) + "\n")
    else:
        out().write(summary + "\n")


def record(
    store_path: Path | None,
    loop_id: str,
    kind: Kind,
    as_json: bool,
    summary: str | Callable[[Loop], str],
    changes: Callable[[Loop], dict[str, Any]] | None = None,
    **fields: Any,
) -> Loop:
    """Apply one event of ``kind`` to a loop and report it; shared by the simple verbs.

    ``changes`` works out field changes from the loop as it is under the store's lock,
    so two edits at once never undo each other.
    """
    from loopcloser import actions

    conf = settings()
    now = now_moment()
    target = parse_id(loop_id)

    def event_for(loop: Loop) -> Event:
        changed = {} if changes is None else changes(loop)
        return Event(kind=kind, at=now, by=conf["agent"], changes=changed, **fields)

    loop = actions.change(open_store(store_path, conf), target, event_for)
    flags = derive(loop, now, conf.tz)
    said = summary(loop) if callable(summary) else summary.format(loop=loop, flags=flags)
    emit_loop(loop, now, conf, as_json, said)
    return loop


# --- commands ----------------------------------------------------------------


@app.command()
def add(
    customer: Annotated[str, typer.Argument(help="Who was promised: a name or account.")],
    promise: Annotated[str, typer.Argument(help="What was promised, in your words.")],
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
    prefers: Annotated[str | None, typer.Option(help="The channel the customer prefers.")] = None,
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

    from loopcloser import actions
    from loopcloser.model import creation
    from loopcloser.render import local_time

    conf = settings()
    now = now_moment()
    event = creation(
        uid=str(uuid.uuid4()),
        customer=customer,
        promise=promise,
        owner=owner or conf["agent"],
        due=parse_due(due, now, conf, allow_past),
        at=now,
        by=conf["agent"],
        contact=contact,
        prefers=None if prefers is None else channel(prefers, conf),
        via=channel(via, conf),
        remind=[parse_due(text, now, conf, allow_past) for text in remind or ()],
        update_every=parse_every(every),
        tags=tag or (),
        ref=ref,
    )
    loop = actions.add(open_store(store, conf), event)
    if as_json or not is_terminal():
        # Scripts get the id alone (``id=$(loopcloser add ...)``) or the loop as JSON.
        emit_loop(loop, now, conf, as_json, str(loop.id))
        return
    when = local_time(loop.due, conf.tz, now)
    emit_loop(loop, now, conf, False, f"Added #{loop.id} for {loop.customer}, due {when}.")


@app.command("list")
def list_loops(
    state: Annotated[
        list[State] | None, typer.Option("--state", "-s", help="Only these states (repeatable).")
    ] = None,
    customer: Annotated[
        str | None, typer.Option(help="Customer name or contact contains this (any case).")
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="Only loops with this tag.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only this agent's loops.")] = None,
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
    grep: Annotated[
        str | None, typer.Option("--grep", help="Customer, promise or a note contains this.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Loops still to close, most urgent first: overdue, then done-but-untold, then soonest due.

    Example: loopcloser list --overdue --tag billing
    """
    from loopcloser import actions
    from loopcloser.model import ACTIVE

    conf = settings()
    now = now_moment()
    states = frozenset(state) if state else frozenset(State) if show_all else ACTIVE
    before = None if due_before is None else parse_due(due_before, now, conf, allow_past=True)
    query = actions.Query(
        states, customer, tag, owner, overdue, before, waiting_on, untold, silent, stale, grep
    )
    rows = actions.select(open_store(store, conf), query, now, conf.tz)
    filtered = query != actions.Query(states) or state is not None
    if not print_rows(rows, now, conf, as_json):
        empty = "No loops match.\n" if filtered else "No open loops.\n"
        sys.stderr.write(empty)


def print_rows(
    rows: list[tuple[Loop, Flags]], now: datetime, conf: "Settings", as_json: bool
) -> bool:
    """Loops as a JSON array or a table; False when there was nothing to show a person."""
    from loopcloser.render import loop_json, print_list, to_json

    if as_json:
        out().write(to_json([loop_json(loop, flags) for loop, flags in rows]) + "\n")
        return True
    if rows:
        print_list(rows, now, conf.tz, out(), is_terminal())
    return bool(rows)


@app.command()
def show(id: IdArgument, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Every field of a loop and its whole history.

    Example: loopcloser show 42
    """
    from loopcloser import actions
    from loopcloser.render import loop_json, print_show, to_json

    conf = settings()
    now = now_moment()
    loop = actions.fetch(open_store(store, conf), parse_id(id))
    flags = derive(loop, now, conf.tz)
    if as_json:
        out().write(to_json(loop_json(loop, flags, with_events=True)) + "\n")
    else:
        print_show(loop, flags, now, conf.tz, out(), is_terminal())


@app.command()
def edit(
    id: IdArgument,
    promise: Annotated[str | None, typer.Option(help="New wording of the promise.")] = None,
    customer: Annotated[str | None, typer.Option(help="New customer name.")] = None,
    contact: Annotated[str | None, typer.Option(help="New contact details.")] = None,
    prefers: Annotated[str | None, typer.Option(help="The customer's preferred channel.")] = None,
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
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a loop's details: promise, customer, contact, channel, tags, ref, cadence.

    Example: loopcloser edit 42 --contact anna@acme.example --tag vip
    """
    from loopcloser.model import Edit

    wanted = Edit(
        promise=promise,
        customer=customer,
        contact=contact,
        prefers=None if prefers is None else channel(prefers, settings()),
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
            "nothing to change", hint="give at least one option, see: loopcloser edit --help"
        )
    record(store, id, Kind.EDITED, as_json, "#{loop.id} updated.", changes=wanted.changes)


@app.command()
def note(
    id: IdArgument,
    text: Annotated[str, typer.Argument(help="The note (internal, never sent).")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an internal note to a loop's history.

    Example: loopcloser note 42 "Finance says the refund was approved"
    """
    record(
        store, id, Kind.NOTE, as_json, "Noted on #{loop.id}.", text=require_text(text, "the note")
    )


@app.command()
def contact(
    id: IdArgument,
    text: Annotated[str, typer.Argument(help="What was said to or by the customer.")],
    via: ViaOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log a message to or from the customer; it resets the silence clock.

    Example: loopcloser contact 42 "told her Finance is on it" --via email
    """
    record(
        store,
        id,
        Kind.CONTACT,
        as_json,
        "Contact logged on #{loop.id}.",
        text=require_text(text, "the message"),
        via=channel(via, settings()),
    )


@app.command()
def wait(
    id: IdArgument,
    on: Annotated[str, typer.Option("--on", help="Who we wait for: Finance, a supplier...")],
    until: Annotated[
        str | None, typer.Option("--until", help="When they should answer (their due to us).")
    ] = None,
    text: Annotated[str | None, typer.Argument(help="What we asked them.")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The loop waits on another party; it is still ours to chase.

    Example: loopcloser wait 42 --on Finance --until "thu 12:00" "refund approval"
    """
    from loopcloser.model import Waiting, encode_field, require_words
    from loopcloser.render import local_time

    require_words("party", on)
    conf = settings()
    now = now_moment()
    until_at = None if until is None else parse_due(until, now, conf)
    waiting = {"waiting_on": encode_field("waiting_on", Waiting(on.strip(), until_at))}
    summary = "#{loop.id} is waiting on {loop.waiting_on.party}; it stays on your list."
    loop = record(store, id, Kind.WAITING, as_json, summary, lambda _: waiting, text=text)
    expected = derive(loop, now, conf.tz).expected_due
    if until_at is not None and until_at > expected:
        sys.stderr.write(
            f"warning: {on} is due to answer {local_time(until_at, conf.tz, now)}, after"
            f" {loop.customer} expects to hear ({local_time(expected, conf.tz, now)});"
            f" tell them: {program_name()} reschedule {loop.id} WHEN --told --via CHANNEL\n"
        )


@app.command()
def resume(
    id: IdArgument,
    text: Annotated[str | None, typer.Argument(help="What came back.")] = None,
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
    when: Annotated[str, typer.Argument(help="The new due: fri, 2bd, 30/11 17:00...")],
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
    from loopcloser.model import to_utc_text
    from loopcloser.render import local_time

    if told == not_told:
        raise BadInput(
            "say whether the customer was told of the new date",
            hint="add --told --via CHANNEL, or --not-told",
        )
    if not_told and via is not None:
        raise BadInput("--via is how the customer was told", hint="drop --via with --not-told")
    conf = settings()
    now = now_moment()
    due = {"due": to_utc_text(parse_due(when, now, conf))}

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
        told=told,
        via=channel(via, conf) if told else None,
        text=text,
    )


@app.command()
def done(
    id: IdArgument,
    text: Annotated[str | None, typer.Argument(help="What was done.")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The work is finished but the customer is not told yet: the loop stays open.

    Example: loopcloser done 42 "refund issued"
    """
    summary = (
        "#{loop.id} is done but {loop.customer} has not been told:"
        " close it once they know (loopcloser close {loop.id} --via CHANNEL)."
    )
    record(store, id, Kind.DONE, as_json, summary, text=text)


@app.command()
def close(
    id: IdArgument,
    text: Annotated[str | None, typer.Argument(help="What the customer was told.")] = None,
    via: ViaOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The customer has been told the outcome: the loop is closed.

    Example: loopcloser close 42 "told her the refund is on its way" --via phone
    """
    summary = "#{loop.id} closed: {loop.customer} has been told ({flags.outcome})."
    record(store, id, Kind.CLOSED, as_json, summary, text=text, via=channel(via, settings()))


@app.command()
def cancel(
    id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the promise is withdrawn.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a promise, saying why.

    Example: loopcloser cancel 42 --reason "customer withdrew the request"
    """
    record(
        store,
        id,
        Kind.CANCELLED,
        as_json,
        "#{loop.id} cancelled.",
        text=require_text(reason, "--reason"),
    )


@app.command()
def reopen(
    id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the loop is open again.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a done, closed or cancelled loop again, saying why.

    Example: loopcloser reopen 42 --reason "refund bounced"
    """
    record(
        store,
        id,
        Kind.REOPENED,
        as_json,
        "#{loop.id} is open again.",
        text=require_text(reason, "--reason"),
    )


@app.command()
def demo(
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Build the demo here (default: a new temporary folder).",
            readable=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build a sample store of realistic loops and show today's view of it.

    Example: loopcloser demo
    """
    from loopcloser import actions
    from loopcloser.demo import build

    conf = settings()
    now = now_moment()
    if store is None:
        import tempfile

        store = Path(tempfile.mkdtemp(prefix="loopcloser-demo-")) / "loops.json"
    target = open_store(store)
    if target.documents():
        raise BadInput(f"{store} already holds loops", hint="give --store a new file for the demo")
    build(target, now, conf)
    rows = actions.select(target, actions.Query(), now, conf.tz)
    print_rows(rows, now, conf, as_json)
    example = f"{program_name()} show {rows[0][0].id} --store {store}"
    sys.stderr.write(f"\nDemo store: {store}\nTry: {example}\n")


@app.command()
def handoff(
    id: IdArgument,
    to: Annotated[str, typer.Option("--to", help="The colleague who takes the loop over.")],
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
    from loopcloser import actions, team

    conf = settings()
    now = now_moment()
    receiver = to.strip()
    require_text(note, "--note")
    from loopcloser.model import require_words

    require_words("receiver", receiver)
    event = Event(
        kind=Kind.HANDOFF, at=now, by=conf["agent"], text=note, changes={"owner": receiver}
    )
    if conf.team is None or store is not None:
        loop = actions.change(open_store(store, conf), parse_id(id), event)
        summary = f"#{loop.id} is now {receiver}'s."
    else:
        team.recover(conf.team)
        loop, new_id = team.handoff(
            conf.team, conf["agent"], parse_id(id), receiver, event, new_agent=new_agent
        )
        summary = f"#{parse_id(id)} handed off to {receiver}: it is #{new_id} in their store."
    emit_loop(loop, now, conf, as_json, summary)


@app.command()
def customer(
    name: Annotated[str, typer.Argument(help="Part of the customer's name, email or phone.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every loop for a customer, in every state, and one timeline of all of them.

    With a team folder it reads every agent's store, so you see what any
    colleague promised, told or noted.

    Example: loopcloser customer maria.rossi@example.com
    """
    from loopcloser import team
    from loopcloser.render import customer_json, print_customer, to_json

    conf = settings()
    now = now_moment()
    if conf.team is not None and store is None:
        team.recover(conf.team)
        sources = [(agent, open_store(path)) for agent, path in team.team_stores(conf.team)]
    else:
        sources = [(conf["agent"], open_store(store, conf))]
    found = team.customer_loops(sources, name)
    rows = [(agent, loop, derive(loop, now, conf.tz)) for agent, loop in found]
    if as_json:
        out().write(to_json(customer_json(name, rows, team.timeline(found))) + "\n")
    elif found:
        print_customer(rows, team.timeline(found), now, conf.tz, out())
    else:
        sys.stderr.write(f"No loop for a customer matching '{name}'.\n")


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
    from loopcloser import undo as journal
    from loopcloser.render import local_time, plain_table, to_json

    conf = settings()
    now = now_moment()
    target = open_store(store, conf)
    if show_list:
        changes = journal.pending(target)
        if as_json:
            out().write(to_json([change_json(change) for change in changes]) + "\n")
        elif changes:
            rows = [
                [change.what, local_time(change.at, conf.tz, now), change.by, change.blocked or ""]
                for change in changes
            ]
            out().write(plain_table([["CHANGE", "WHEN", "BY", "CANNOT BE UNDONE BECAUSE"], *rows]))
        else:
            sys.stderr.write("Nothing to undo.\n")
        return
    reverted = journal.undo(target)
    if as_json:
        out().write(to_json(change_json(reverted)) + "\n")
    else:
        when = local_time(reverted.at, conf.tz, now)
        out().write(f"Undid: {reverted.what} (by {reverted.by}, {when}).\n")


def change_json(change: Any) -> dict[str, Any]:
    """A journalled change for scripts: what, when, by whom, which loops."""
    from loopcloser.model import to_utc_text

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
    customer: Annotated[str, typer.Argument(help="The customer's exact name or contact.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a customer's name, contact and notes from every loop (right to erasure).

    The loops keep their dates and states for statistics. With a team folder,
    every agent's store is scrubbed. The undo journal is cleared.

    Example: loopcloser forget "maria@example.com" --yes
    """
    from loopcloser.erasure import forget as erase
    from loopcloser.render import to_json

    if not yes:
        raise BadInput(
            f"forget erases every trace of '{customer}' and cannot be undone",
            hint="add --yes to confirm",
        )
    conf = settings()
    stores = [open_store(store, conf)]
    if conf.team is not None:
        from loopcloser.team import team_stores

        stores += [open_store(path) for _, path in team_stores(conf.team)]
    unique = list({str(target.path.resolve()): target for target in stores}.values())
    scrubbed = erase(unique, customer)
    if as_json:
        out().write(to_json({"customer": customer, "scrubbed": scrubbed}) + "\n")
    elif scrubbed:
        out().write(f"Forgot {customer}: {scrubbed} loop{'s' * (scrubbed != 1)} scrubbed.\n")
    else:
        out().write(f"No loop belongs to '{customer}' (the name or contact must match exactly).\n")


# --- config ------------------------------------------------------------------


@config_app.command("get")
def config_get(
    key: Annotated[str, typer.Argument(help="Setting name.")], as_json: JsonOption = False
) -> None:
    """Print one setting.

    Example: loopcloser config get timezone
    """
    from loopcloser.config import known

    known(key)
    print_setting(key, settings()[key], as_json)


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="Setting name.")],
    value: Annotated[str, typer.Argument(help="New value.")],
    as_json: JsonOption = False,
) -> None:
    """Change one setting.

    Example: loopcloser config set timezone Europe/Rome
    """
    from loopcloser.config import save

    stored = save(key, value)
    print_setting(key, stored, as_json, f"{key} = {stored}")


def print_setting(key: str, value: str, as_json: bool, text: str | None = None) -> None:
    """One setting: ``text`` (the bare value by default), or {key: value} under --json."""
    from loopcloser.render import to_json

    out().write((to_json({key: value}) if as_json else text or value) + "\n")


@config_app.command("list")
def config_list(as_json: JsonOption = False) -> None:
    """Every setting with its value and meaning.

    Example: loopcloser config list
    """
    from loopcloser.config import KEYS, config_path
    from loopcloser.render import plain_table, to_json

    values = settings().values
    if as_json:
        out().write(to_json(values) + "\n")
        return
    rows = [[name, values[name] or '""', KEYS[name].help] for name in KEYS]
    out().write(plain_table([["SETTING", "VALUE", "MEANING"], *rows]))
    sys.stderr.write(f"config file: {config_path()}\n")


def main() -> None:
    """Entry point of the ``loopcloser`` executable."""
    app()
