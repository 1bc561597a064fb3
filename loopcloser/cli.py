"""The ``loopcloser`` command line: parse arguments, call the core, hand results to render."""

# No ``from __future__ import annotations`` here, unlike the rest of the package: typer
# would then evaluate every command's string annotations at each start (~7 ms).

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from loopcloser import __version__
from loopcloser.errors import BadInput, ExitCode, LoopcloserError
from loopcloser.model import Event, Flags, Kind, Loop, State, derive

if TYPE_CHECKING:
    from loopcloser.config import Settings
    from loopcloser.store import Store


class LoopGroup(TyperGroup):
    """Runs a command and turns every failure into one line on stderr and an exit code."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv
        try:
            extra["standalone_mode"] = False
            result = super().main(argv, *rest, **extra)
            code = result if isinstance(result, int) else ExitCode.OK
        except LoopcloserError as error:
            code = report(error.message, error.hint, error.kind, error.exit_code, as_json)
        except typer.Abort:
            code = report("aborted", None, "aborted", ExitCode.BAD_INPUT, as_json)
        except typer.TyperException as error:
            context = getattr(error, "ctx", None)
            command = context.command_path if context else "loopcloser"
            hint = f"see: {command} --help"
            code = report(error.format_message(), hint, "bad_input", ExitCode.BAD_INPUT, as_json)
        except BrokenPipeError:
            # The reader went away (``loopcloser list | head``): stop quietly.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            code = ExitCode.OK
        except Exception as error:
            if os.environ.get("LOOPCLOSER_DEBUG"):
                raise
            message = f"unexpected {type(error).__name__}: {error}"
            hint = "this is a bug; rerun with LOOPCLOSER_DEBUG=1 and report the traceback"
            code = report(message, hint, "internal", ExitCode.INTERNAL, as_json)
        sys.exit(int(code))


def report(message: str, hint: str | None, kind: str, code: int, as_json: bool) -> int:
    """Print an error on stderr (JSON under --json) and return its exit code."""
    if as_json:
        from loopcloser.render import to_json

        error = {"error": kind, "message": message, "hint": hint, "exit_code": int(code)}
        sys.stderr.write(to_json(error, compact=True) + "\n")
    else:
        tail = f"; {hint}" if hint else ""
        sys.stderr.write(f"loopcloser: {message.rstrip('.')}{tail}\n")
    return code


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
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
IdArgument = Annotated[
    str, typer.Argument(help="The loop's id, e.g. 42 or #42.", show_default=False)
]
ViaOption = Annotated[
    str | None,
    typer.Option(
        "--via", help="Channel: phone, email, chat, social, in-person, video, sms, letter."
    ),
]


def now_moment() -> datetime:
    """Now, or the moment pinned by LOOPCLOSER_NOW (ISO-8601) for tests and scripts."""
    pinned = os.environ.get("LOOPCLOSER_NOW")
    if not pinned:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(pinned.strip())
    except ValueError:
        raise BadInput(
            f"LOOPCLOSER_NOW='{pinned}' is not an ISO-8601 moment",
            hint="use e.g. 2026-11-25T09:00:00Z, or unset it",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def settings() -> "Settings":
    """The user's settings (config file over defaults)."""
    from loopcloser import config

    return config.load()


def open_store(path: Path | None) -> "Store":
    """The store at ``path``, else the one in the user's data directory."""
    from loopcloser.store import Store

    if path is None:
        from platformdirs import user_data_path

        path = user_data_path("loopcloser") / "loops.json"
    return Store(path.expanduser())


def parse_id(text: str) -> int:
    """A loop id as typed: ``42`` or ``#42``."""
    digits = text.strip().removeprefix("#")
    if not digits.isdigit() or int(digits) == 0:
        raise BadInput(
            f"'{text}' is not a loop id",
            hint="ids are whole numbers, e.g. 42 (see loopcloser list)",
        )
    return int(digits)


def parse_due(text: str, now: datetime, conf: "Settings", allow_past: bool = False) -> datetime:
    """A due date as agents write it; refused if already past unless allowed."""
    from loopcloser.render import local_time
    from loopcloser.when import parse_when

    due = parse_when(text, now, conf.calendar())
    if due < now and not allow_past:
        raise BadInput(
            f"'{text}' means {local_time(due, conf.tz, now)}, which has passed",
            hint="give a later time, or add --allow-past to log a promise already late",
        )
    return due


def parse_every(text: str | None) -> timedelta | None:
    """An update cadence such as 2d or 36h."""
    from loopcloser.when import parse_duration

    return None if text is None else parse_duration(text)


def channel(text: str | None, conf: "Settings") -> str:
    """A channel name, the configured default when none is given."""
    from loopcloser.config import check_channel

    return conf["default_channel"] if text is None else check_channel(text)


def out() -> Any:
    """Standard output, looked up at call time so test runners can capture it."""
    return sys.stdout


def is_terminal() -> bool:
    """Whether a person is reading: colours and tables only then."""
    return sys.stdout.isatty()


def emit_loop(loop: Loop, now: datetime, conf: "Settings", as_json: bool, summary: str) -> None:
    """After a change: the loop as JSON, or one line saying what happened."""
    if as_json:
        from loopcloser.render import loop_json, to_json

        out().write(to_json(loop_json(loop, derive(loop, now, conf.tz))) + "\n")
    else:
        out().write(summary + "\n")


def record(
    store_path: Path | None, loop_id: str, kind: Kind, as_json: bool, summary: str, **fields: Any
) -> Loop:
    """Apply one event of ``kind`` to a loop and report it; shared by the simple verbs."""
    conf = settings()
    now = now_moment()
    event = Event(kind=kind, at=now, by=conf["agent"], **fields)
    from loopcloser import actions

    loop = actions.change(open_store(store_path), parse_id(loop_id), event)
    flags = derive(loop, now, conf.tz)
    emit_loop(loop, now, conf, as_json, summary.format(loop=loop, flags=flags))
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
        contact=contact,
        prefers=None if prefers is None else channel(prefers, conf),
        via=channel(via, conf),
        remind=[parse_due(text, now, conf, allow_past) for text in remind or ()],
        update_every=parse_every(every),
        tags=tag or (),
        ref=ref,
    )
    loop = actions.add(open_store(store), event)
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
    query = actions.Query(states, customer, tag, owner, overdue, before)
    rows = actions.select(open_store(store), query, now, conf.tz)
    filtered = bool(state or customer or tag or owner or overdue or due_before)
    if not print_rows(rows, now, as_json):
        empty = "No loops match.\n" if filtered else "No open loops: every promise is closed.\n"
        sys.stderr.write(empty)


def print_rows(rows: list[tuple[Loop, Flags]], now: datetime, as_json: bool) -> bool:
    """Loops as a JSON array or a table; False when there was nothing to show a person."""
    from loopcloser.render import loop_json, print_list, to_json

    if as_json:
        out().write(to_json([loop_json(loop, flags) for loop, flags in rows]) + "\n")
        return True
    if rows:
        print_list(rows, now, out(), is_terminal())
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
    loop = actions.fetch(open_store(store), parse_id(id))
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
    """Change a loop's details (its due date has a verb of its own).

    Example: loopcloser edit 42 --contact anna@acme.example --tag vip
    """
    from loopcloser import actions
    from loopcloser.model import encode_field

    target = actions.fetch(open_store(store), parse_id(id))
    changes: dict[str, Any] = {}
    for name, value in (
        ("promise", promise),
        ("customer", customer),
        ("contact", contact),
        ("ref", ref),
    ):
        if value is not None:
            changes[name] = value
    if prefers is not None:
        changes["prefers"] = channel(prefers, settings())
    if tag or untag:
        tags = [
            name
            for name in dict.fromkeys([*target.tags, *(tag or ())])
            if name not in (untag or ())
        ]
        changes["tags"] = tags
    if every is not None:
        changes["update_every"] = (
            None
            if every.strip().lower() in ("off", "none")
            else encode_field("update_every", parse_every(every))
        )
    if not changes:
        raise BadInput(
            "nothing to change", hint="give at least one option, see: loopcloser edit --help"
        )
    for name in ("promise", "customer"):
        if name in changes and not changes[name].strip():
            raise BadInput(f"the {name} cannot be empty")
    record(store, id, Kind.EDITED, as_json, "#{loop.id} updated.", changes=changes)


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
    record(store, id, Kind.NOTE, as_json, "Noted on #{loop.id}.", text=text)


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
        text=text,
        via=channel(via, settings()),
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
    require_text(reason, "--reason")
    record(store, id, Kind.CANCELLED, as_json, "#{loop.id} cancelled.", text=reason)


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
    require_text(reason, "--reason")
    record(store, id, Kind.REOPENED, as_json, "#{loop.id} is open again.", text=reason)


def require_text(text: str, option: str) -> None:
    """Refuse an empty reason: the history must say why."""
    if not text.strip():
        raise BadInput(f"{option} cannot be empty", hint=f"say why in a few words: {option} TEXT")


@app.command()
def demo(
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Build the demo here (default: a new temporary folder)."),
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
    print_rows(rows, now, as_json)
    sys.stderr.write(
        f"\nDemo store: {store}\nTry: loopcloser show {rows[0][0].id} --store {store}\n"
    )


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
