"""The program around the commands: errors to exit codes, output streams, the clock.

Only this module and cli.py know that loopcloser runs as a process; the
commands call the helpers here to read input the way every command reads it.
"""

# Evaluated annotations, as in cli.py: LoopGroup's are read by typer at start.

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import typer
from typer.core import TyperGroup

from loopcloser.core.errors import BadInput, ExitCode, LoopcloserError, StoreError

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings
    from loopcloser.storage.store import Store


class LoopGroup(TyperGroup):
    """Runs a command and turns every failure into one line on stderr and an exit code."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        # "--json" after "--" is text (a note, say), not the option.
        options = argv[: argv.index("--")] if "--" in argv else argv
        as_json = "--json" in options
        try:
            check_encoding(argv)
            extra["standalone_mode"] = False
            result = super().main(argv, *rest, **extra)
            code = result if isinstance(result, int) else ExitCode.OK
        except LoopcloserError as error:
            code = report(error.message, error.hint, error.kind, error.exit_code, as_json)
        except typer.Abort:
            code = report("aborted", None, "aborted", ExitCode.BAD_INPUT, as_json)
        except typer.TyperException as error:
            context = getattr(error, "ctx", None)
            hint = f"see: {context.command_path if context else 'loopcloser'} --help"
            code = report(error.format_message(), hint, "bad_input", ExitCode.BAD_INPUT, as_json)
        except BrokenPipeError:
            # The reader went away (``loopcloser list | head``): stop quietly.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            code = ExitCode.OK
        except OSError as error:
            # Store and config errors arrive as StoreError: a bare OSError is the output.
            message = f"cannot write the output: {error.strerror or error}"
            hint = "any change was saved; check with: loopcloser list"
            code = report(message, hint, "output", ExitCode.INTERNAL, as_json)
        except Exception as error:
            if os.environ.get("LOOPCLOSER_DEBUG"):
                raise
            message = f"unexpected {type(error).__name__}: {error}"
            hint = "this is a bug; rerun with LOOPCLOSER_DEBUG=1 and report the traceback"
            code = report(message, hint, "internal", ExitCode.INTERNAL, as_json)
        sys.exit(int(code))


def check_encoding(argv: Sequence[str]) -> None:
    """Refuse arguments that are not text: bytes that were not UTF-8 arrive as surrogates."""
    for argument in argv:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            shown = argument.encode("utf-8", "backslashreplace").decode("ascii", "replace")
            raise BadInput(
                f"argument '{shown}' is not valid UTF-8 text",
                hint="check the encoding of the terminal or script that sent it",
            ) from None


def report(message: str, hint: str | None, kind: str, code: int, as_json: bool) -> int:
    """Print an error on stderr, one line (JSON under --json), and return its exit code."""
    from loopcloser.render.tables import printable, to_json

    if as_json:
        error = {"error": kind, "message": message, "hint": hint, "exit_code": int(code)}
        sys.stderr.write(to_json(error, compact=True) + "\n")
    else:
        tail = f"; {hint}" if hint else ""
        sys.stderr.write(printable(f"loopcloser: {message.rstrip('.')}{tail}") + "\n")
    return code


def warn(message: str, hint: str, as_json: bool) -> None:
    """A warning on stderr: the command went ahead, but something needs a person's eye."""
    from loopcloser.render.tables import printable, to_json

    if as_json:
        sys.stderr.write(to_json({"warning": message, "hint": hint}, compact=True) + "\n")
    else:
        sys.stderr.write(printable(f"loopcloser: warning: {message}; {hint}") + "\n")


def out() -> TextIO:
    """Standard output, looked up at call time so test runners can capture it."""
    # A script may close stdout (``>&-``); the command still does its work.
    return sys.stdout if sys.stdout is not None else open(os.devnull, "w")


def write_output(data: str | bytes, output: Path | None, what: str) -> None:
    """Print a page or an export, or write it to ``output`` atomically and say so on stderr."""
    if output is None:
        if isinstance(data, bytes):
            out().buffer.write(data)
        else:
            out().write(data)
        return
    import stat

    from loopcloser.storage.atomic import write_atomically

    raw = data if isinstance(data, bytes) else data.encode()
    # Through a symlink to the file it names; a device or a pipe (-o /dev/stdout) is
    # written into, never replaced by a file of the same name.
    target = Path(os.path.realpath(output.expanduser()))
    try:
        mode: int | None = target.stat().st_mode
    except OSError:
        mode = None  # missing: write_atomically creates it or says why it cannot
    if mode is None or stat.S_ISREG(mode):
        write_atomically(target, raw)
    elif stat.S_ISDIR(mode):
        raise BadInput(f"{output} is a folder", hint="give a file name to write to")
    else:
        try:
            with open(target, "wb") as device:
                device.write(raw)
        except OSError as error:
            raise StoreError(
                f"cannot write {output}: {error.strerror or error}", hint="check the path"
            ) from None
    sys.stderr.write(f"Wrote {what} to {output}\n")


def is_terminal() -> bool:
    """Whether a person is reading: colours and tables only then."""
    return sys.stdout is not None and sys.stdout.isatty()


def program_name() -> str:
    """How the user ran loopcloser (``.venv/bin/loopcloser``), for commands we suggest."""
    invoked = sys.argv[0] if sys.argv else ""
    if Path(invoked).name != "loopcloser":
        return "loopcloser"
    import shutil

    on_path = shutil.which("loopcloser")
    same = on_path is not None and os.path.realpath(on_path) == os.path.realpath(invoked)
    return "loopcloser" if same else invoked


EARLIEST, LATEST = 1900, 9000


def now_moment() -> datetime:
    """Now, or the moment pinned by LOOPCLOSER_NOW (ISO-8601) for tests and scripts."""
    pinned = os.environ.get("LOOPCLOSER_NOW")
    if not pinned:
        return datetime.now(UTC)
    hint = "use e.g. 2026-11-25T09:00:00Z, or unset it"
    try:
        moment = datetime.fromisoformat(pinned.strip())
    except ValueError:
        raise BadInput(f"LOOPCLOSER_NOW='{pinned}' is not an ISO-8601 moment", hint) from None
    if not EARLIEST <= moment.year <= LATEST:
        raise BadInput(f"LOOPCLOSER_NOW must fall between {EARLIEST} and {LATEST}", hint)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def settings() -> "Settings":
    """The user's settings (config file over defaults)."""
    from loopcloser.core import settings as config

    return config.load()


def open_store(path: Path | None, conf: "Settings | None" = None) -> "Store":
    """The store at ``path``; else the agent's own in the team folder; else the user's own."""
    from loopcloser.storage.store import Store

    conf = conf or settings()
    if conf.team is not None:
        from loopcloser.storage.team import recover, store_path

        if not is_folder(conf.team):
            raise StoreError(
                f"the team folder {conf.team} does not exist",
                hint="create it, or fix the team setting (or LOOPCLOSER_TEAM)",
            )
        # Finish a handoff a crash interrupted before anyone reads a half-moved loop
        # (one directory listing when there is none).
        recover(conf.team)
        path = path or store_path(conf.team, conf["agent"])
    elif path is None:
        from platformdirs import user_data_path

        path = user_data_path("loopcloser") / "loops.json"
    path = path.expanduser()
    if interrupted_handoffs(path.parent):
        from loopcloser.storage.team import recover

        recover(path.parent)  # a store of a team folder opened without the team setting
    from loopcloser.services.loops import is_open, sweep_terms

    after = conf.archive_after
    sweep = None if after is None else sweep_terms(now_moment(), after, conf.tz)
    return Store(path, hot=is_open, sweep=sweep)


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder; a name the file system refuses (too long) is not one."""
    try:
        return path.is_dir()
    except OSError:
        return False


def interrupted_handoffs(folder: Path) -> bool:
    """Whether ``folder`` holds the intent of a handoff that did not finish."""
    try:
        return any(name.startswith(".handoff-") for name in os.listdir(folder))
    except OSError:
        return False  # a missing folder holds nothing; the store reports the rest


def parse_id(text: str) -> int:
    """A loop id as typed: ``42`` or ``#42``."""
    digits = text.strip().removeprefix("#")
    # ASCII digits only: str.isdigit() also takes "²" and "٣", which int() refuses or reads.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18 and int(digits) > 0):
        raise BadInput(
            f"'{text}' is not a loop id",
            hint="ids are whole numbers, e.g. 42 (see loopcloser list)",
        )
    return int(digits)


def parse_due(
    text: str, now: datetime, conf: "Settings", allow_past: bool | None = False
) -> datetime:
    """A due date as agents write it; refused if already past unless allowed.

    ``allow_past`` None means the command has no --allow-past to suggest.
    """
    from loopcloser.core.when import parse_when
    from loopcloser.render.tables import local_time

    due = parse_when(text, now, conf.calendar())
    if due < now and not allow_past:
        hint = "give a later time (with the year, for a date next year)"
        if allow_past is not None:
            hint += ", or add --allow-past to log a promise already late"
        raise BadInput(f"'{text}' means {local_time(due, conf.tz, now)}, which has passed", hint)
    return due


def parse_every(text: str | None) -> timedelta | None:
    """An update cadence such as 2d or 36h."""
    from loopcloser.core.when import parse_duration

    return None if text is None else parse_duration(text)


def channel(text: str | None, conf: "Settings") -> str:
    """A channel name, the configured default when none is given."""
    from loopcloser.core.settings import check_channel

    return conf["default_channel"] if text is None else check_channel(text)


def require_text(text: str, what: str) -> str:
    """Refuse empty text where the history needs words (a reason, a note)."""
    if not text.strip():
        raise BadInput(f"{what} cannot be empty", hint=f"say it in a few words: {what} TEXT")
    return text
