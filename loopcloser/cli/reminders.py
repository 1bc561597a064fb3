"""Speaking up: remind, snooze, and a status line for the shell prompt."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loopcloser.cli.app import app
from loopcloser.cli.arguments import parse_due
from loopcloser.cli.changes import record
from loopcloser.cli.context import config_file, config_home, context, schedule_environment
from loopcloser.cli.options import IdArgument, JsonOption, StoreOption, completes
from loopcloser.cli.output import out, warn
from loopcloser.core.errors import BadInput
from loopcloser.core.model import Kind, Loop
from loopcloser.core.words import _, n_

if TYPE_CHECKING:
    from loopcloser.core.reminders import Reminder
    from loopcloser.storage.store import Store


@app.command()
def status(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """One short line for a shell prompt: "3 overdue · 1 untold"; nothing when all is well.

    Example: PS1='$(loopcloser status) \\$ '
    """
    from loopcloser.core.status import status_line
    from loopcloser.render.tables import to_json
    from loopcloser.services.loops import status_counts

    ctx = context(store, as_json)
    counts = status_counts(ctx)
    hub: dict[str, object] = {}
    if ctx.settings.hub is not None:
        from loopcloser.services.sync import standing

        now = standing(ctx.store())
        hub = {"to_sync": now.waiting, "last_sync": now.synced}
    if as_json:
        out().write(to_json({**counts, **hub}) + "\n")
        return
    line = status_line(counts)
    parts = [line] if line else []
    to_sync = hub.get("to_sync")
    if isinstance(to_sync, int) and to_sync:
        parts.append(n_("{count} to sync", "{count} to sync", to_sync).format(count=to_sync))
    if parts:
        out().write(" · ".join(parts) + "\n")


@app.command()
def snooze(
    id: IdArgument,
    until: Annotated[
        str,
        typer.Argument(help="Silence reminders until (2h, tomorrow 9am) or off.", metavar="WHEN"),
    ],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Silence one loop's reminders until then; the customer's due does not move.

    Example: loopcloser snooze 42 "tomorrow 9am"
    """
    from loopcloser.core.model import derive, to_utc_text
    from loopcloser.render.tables import local_time

    ctx = context(store, as_json)
    conf, now = ctx.settings, ctx.now
    lifting = until.strip().lower() in ("off", "now", "none")
    moment = None if lifting else parse_due(until, now, conf, allow_past=None)
    changes = {"snoozed_until": None if moment is None else to_utc_text(moment)}

    def summary(loop: Loop) -> str:
        if moment is None:
            return _("#{id} reminds you again.").format(id=loop.id)
        return _("#{id} is quiet until {moment}; its due stays put.").format(
            id=loop.id, moment=local_time(moment, conf.tz, now)
        )

    loop = record(ctx, id, Kind.SNOOZED, summary, lambda _loop: changes)
    expected = derive(loop, now, conf.tz).expected_due
    if moment is not None and expected < moment:
        warning = _(
            "#{id} is due {due}, inside the snooze: nothing will remind you of it until the"
            " snooze ends"
        ).format(id=loop.id, due=local_time(expected, conf.tz, now))
        hint = _("snooze to an earlier time, or lift it: loopcloser snooze {id} off")
        warn(warning, hint.format(id=loop.id), as_json, kind="due_in_snooze")


@app.command()
def remind(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would fire now; fire nothing.")
    ] = False,
    install: Annotated[
        str | None,
        typer.Option(
            "--install",
            help="Print a cron line or systemd timer to run remind: cron or systemd.",
            metavar="cron|systemd",
            autocompletion=completes("schedulers"),
        ),
    ] = None,
    every: Annotated[
        int, typer.Option("--every", help="With --install: run every N minutes (1-59).")
    ] = 5,
    write: Annotated[
        bool, typer.Option("--write", help="With --install: install it for the current user.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fire the reminders due now, most urgent first; each is delivered, then recorded.

    Run it every few minutes from cron or a systemd timer (see --install): a
    reminder whose moment passed while the machine was off fires once on the
    next run. A reminder counts as fired only once its delivery returned, so a
    run cut short repeats at most the one it was delivering. Where reminders go
    is the delivery setting, and loopcloser config list names the ways it takes.

    Example: loopcloser remind --dry-run
    """
    from loopcloser.cli.sync import sync_after
    from loopcloser.delivery.notify import write_reminders
    from loopcloser.services.remind import AnotherRun, delivery, due_reminders, fire_reminders

    ctx = context(store, as_json)
    conf = ctx.settings
    if install is not None:
        if conf["delivery"] == "terminal":
            message = _("with delivery = terminal, a scheduled remind writes to a log nobody reads")
            hint = _("first: loopcloser config set delivery {ways}").format(ways=elsewhere())
            if write:
                raise BadInput(message, hint=hint)
            warn(message, hint, as_json, kind="unseen_delivery")
        install_schedule(install, every, write, ctx.store())
        return
    if write:
        raise BadInput(
            _("--write goes with --install"), hint=_("e.g. remind --install cron --write")
        )
    now = ctx.now
    target = ctx.store()
    target.leave_status()  # a prompt's counts grow stale by the clock: each run renews them
    rules, calendar = conf.rules(), conf.calendar()
    if dry_run:
        fired = due_reminders(target, now, rules, calendar, bad=ctx.bad)
        if not as_json:
            write_reminders(fired)
    else:
        # systemd and kill stop a run with SIGTERM: turn it into an exception, so that a
        # delivery under way stops with its program and is not recorded: it fires next run.
        import signal

        signal.signal(signal.SIGTERM, stop)
        # Under --json the terminal's lines give way to the JSON of what fired: printing
        # it is their delivery, so it comes before they are recorded.
        printing = as_json and conf["delivery"] == "terminal"
        deliver = print_json if printing else delivery(ctx)
        try:
            fired = fire_reminders(
                target, now, rules, calendar, ctx.agent, deliver, printing, ctx.bad
            )
        except AnotherRun:
            busy = _("Another remind is running for this store; it fires what is due.")
            sys.stderr.write(busy + "\n")
            fired = []
        # With a team hub, every run keeps this replica fresh: the cron timer syncs it.
        sync_after(ctx, _("the reminders were handled"))
        if printing and fired:
            return  # printed already, as their delivery
    if as_json:
        print_json(fired)


def print_json(reminders: "list[Reminder]") -> None:
    """Print the reminders as the JSON array scripts read, and see that it is out."""
    from loopcloser.delivery.notify import as_dict
    from loopcloser.render.tables import to_json

    stream = out()
    stream.write(to_json([as_dict(reminder) for reminder in reminders]) + "\n")
    stream.flush()


def elsewhere() -> str:
    """The ways out beyond the terminal that carry reminders: "desktop (or command, ...)"."""
    from loopcloser.core.ways_out import Cargo, in_words, names

    first, *others = (name for name in names(Cargo.REMINDERS) if name != "terminal")
    if not others:
        return first
    return _("{first} (or {others})").format(first=first, others=in_words(others))


def stop(signal_number: int, frame: object) -> None:
    """Leave like Ctrl-C would, through every finally block."""
    raise SystemExit(128 + signal_number)


def this_program() -> str:
    """The loopcloser executable now running, so the schedule runs this very copy."""
    import os
    import shutil

    running = Path(sys.argv[0]) if sys.argv else Path()
    if running.name == "loopcloser":
        return os.path.abspath(running)
    # ``python -m loopcloser``: the script installed beside this interpreter.
    beside = Path(sys.executable).parent / "loopcloser"
    if beside.exists():
        return str(beside)
    return shutil.which("loopcloser") or os.path.abspath(running)


def install_schedule(kind: str, every: int, write: bool, target: "Store") -> None:
    """Print (and with ``write``, install) what runs ``remind`` every few minutes."""
    import shutil

    from loopcloser.services import schedule

    executable = this_program()
    env = {
        "LOOPCLOSER_STORE": str(target.path.resolve()),
        "LOOPCLOSER_CONFIG": str(config_file().resolve()),
        **schedule_environment(),
    }
    if kind == "cron":
        log = str(target.path.resolve().parent / "remind.log")
        line = schedule.cron_line(executable, every, env, log)
        if write:
            schedule.install_cron(line)
            sys.stderr.write(_("Installed in your crontab.") + "\n")
        out().write(line + "\n")
    elif kind == "systemd":
        units = schedule.systemd_units(executable, every, env)
        if write:
            directory = schedule.systemd_user_dir(config_home())
            for path in schedule.install_systemd(units, directory):
                sys.stderr.write(_("Wrote {path}").format(path=path) + "\n")
            if not shutil.which("systemctl"):
                commands = "; ".join(" ".join(command) for command in schedule.ENABLE_COMMANDS)
                missing = _("systemctl is not on PATH: run {commands}")
                sys.stderr.write(missing.format(commands=commands) + "\n")
        else:
            for name, text in units.items():
                out().write(f"# {name}\n{text}\n")
    else:
        raise BadInput(
            _("cannot install for '{kind}'").format(kind=kind),
            hint=_("use --install cron or --install systemd"),
        )
