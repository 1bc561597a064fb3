"""Where a command's results and errors go: stdout for data, stderr for the rest.

Colours and tables only on a terminal; JSON under ``--json``; one line per error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from loopcloser.core.errors import BadInput, LoopcloserError, StoreError
from loopcloser.core.model import derive
from loopcloser.core.words import N_, _

if TYPE_CHECKING:
    from loopcloser.core.errors import WarningKind
    from loopcloser.core.model import Flags, Loop
    from loopcloser.services.context import Context


def report(message: str, hint: str | None, kind: str, code: int, as_json: bool) -> int:
    """Print an error on stderr, one line (JSON under --json), and return its exit code."""
    from loopcloser.core.text import printable
    from loopcloser.render.tables import to_json

    if as_json:
        error = {"error": kind, "message": message, "hint": hint, "exit_code": int(code)}
        sys.stderr.write(to_json(error, compact=True) + "\n")
    else:
        message = message.rstrip(".")
        tail = ""
        if hint:
            # After a question ("Did you mean 'list'?") the hint is a sentence of its own.
            question = message.endswith("?")
            tail = f" {hint[:1].upper()}{hint[1:]}" if question else f"; {hint}"
        sys.stderr.write(printable(f"loopcloser: {message}{tail}") + "\n")
    return code


# The command that does each next step a lower layer suggests, as the user types it.
NEXT_STEPS = {
    "reopen": N_("reopen it first: {program} reopen {id} --reason TEXT"),
    "close": N_("tell the customer, then: {program} close {id} --via CHANNEL"),
    "show": N_("see its history: {program} show {id}"),
}


def hint_for(error: LoopcloserError) -> str | None:
    """The error's hint, with the command to type when it names a next step."""
    step = error.next_step
    if step is None or step.verb not in NEXT_STEPS:
        return error.hint
    return _(NEXT_STEPS[step.verb]).format(program="loopcloser", id=step.loop_id)


def warn_of_bad_records(runs: Sequence[Context], as_json: bool) -> None:
    """Name what the reads passed over (a malformed loop, an unreadable archive), once."""
    problems = [problem for ctx in runs for problem in ctx.problems()]
    for kind, message, hint in dict.fromkeys(problems):
        warn(message, hint or _("loopcloser doctor says more"), as_json, kind=kind)


def warn(message: str, hint: str, as_json: bool, *, kind: WarningKind) -> None:
    """A warning on stderr: the command went ahead, but something needs a person's eye.

    Under --json, one JSON object a line (docs/schema/warning.schema.json): ``kind``
    for scripts to branch on, ``warning`` (the message) and ``hint`` for people.
    """
    from loopcloser.core.text import printable
    from loopcloser.render.tables import to_json

    if as_json:
        warning = {"warning": message, "kind": kind, "hint": hint}
        sys.stderr.write(to_json(warning, compact=True) + "\n")
    else:
        line = _("loopcloser: warning: {message}; {hint}").format(message=message, hint=hint)
        sys.stderr.write(printable(line) + "\n")


def out() -> TextIO:
    """Standard output, looked up at call time so test runners can capture it."""
    # A script may close stdout (``>&-``); the command still does its work.
    return sys.stdout if sys.stdout is not None else open(os.devnull, "w")


def write_output(data: str | bytes | Iterable[bytes], output: Path | None, what: str) -> None:
    """Print a page or an export, or write it to ``output`` atomically and say so on stderr.

    An export comes as pieces of bytes, written as they come: never held whole.
    """
    if output is None:
        if isinstance(data, str):
            out().write(data)
        else:
            out().buffer.writelines([data] if isinstance(data, bytes) else data)
        return
    import stat

    from loopcloser.storage.atomic import write_pieces

    raw = [data.encode()] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    # Through a symlink to the file it names; a device or a pipe (-o /dev/stdout) is
    # written into, never replaced by a file of the same name.
    target = Path(os.path.realpath(output.expanduser()))
    try:
        mode: int | None = target.stat().st_mode
    except OSError:
        mode = None  # missing: write_atomically creates it or says why it cannot
    if mode is None or stat.S_ISREG(mode):
        write_pieces(target, raw)
    elif stat.S_ISDIR(mode):
        raise BadInput(
            _("{path} is a folder").format(path=output), hint=_("give a file name to write to")
        )
    else:
        try:
            with open(target, "wb") as device:
                device.writelines(raw)
        except OSError as error:
            raise StoreError(
                _("cannot write {path}: {reason}").format(
                    path=output, reason=error.strerror or error
                ),
                hint=_("check the path"),
            ) from None
    sys.stderr.write(_("Wrote {what} to {path}").format(what=what, path=output) + "\n")


def is_terminal() -> bool:
    """Whether a person is reading: colours and tables only then."""
    return sys.stdout is not None and sys.stdout.isatty()


def page_width() -> int | None:
    """How wide a table on stdout may be: the terminal's, else COLUMNS, else no limit."""
    from loopcloser.cli.context import page_width as width

    return width(is_terminal())


def program_name() -> str:
    """How the user ran loopcloser (``.venv/bin/loopcloser``), for commands we suggest."""
    invoked = sys.argv[0] if sys.argv else ""
    if Path(invoked).name != "loopcloser":
        return "loopcloser"
    import shutil

    on_path = shutil.which("loopcloser")
    same = on_path is not None and os.path.realpath(on_path) == os.path.realpath(invoked)
    return "loopcloser" if same else invoked


def emit_loop(ctx: Context, loop: Loop, summary: str) -> None:
    """After a change: the loop as JSON, or one line saying what happened."""
    from loopcloser.render.tables import loop_json

    emit(
        ctx.as_json,
        lambda: loop_json(loop, derive(loop, ctx.now, ctx.tz, ctx.cadence)),
        said(summary),
    )


def print_rows(ctx: Context, rows: list[tuple[Loop, Flags]], team: bool = False) -> bool:
    """Loops as a JSON array or a table (with their owners for a team's); False when
    there was nothing to show a person."""
    from loopcloser.render.tables import loop_json, print_list, to_json

    if ctx.as_json:
        out().write(to_json([loop_json(loop, flags) for loop, flags in rows]) + "\n")
        return True
    if rows:
        print_list(rows, ctx.now, ctx.tz, out(), is_terminal(), team, page_width())
    return bool(rows)


def emit(as_json: bool, data: Callable[[], object], show: Callable[[], object]) -> None:
    """A command's result: ``data()`` as JSON for scripts under --json, else ``show()``.

    ``show`` writes the person's view itself (a line, a table); each side is worked
    out only when it is the one asked for.
    """
    if as_json:
        from loopcloser.render.tables import to_json

        out().write(to_json(data()) + "\n")
    else:
        show()


def said(text: str) -> Callable[[], object]:
    """A person's view that is one line of text on stdout, control characters escaped.

    It often echoes what was typed (a customer's name): an escape sequence in it is
    shown, never obeyed by the terminal.
    """
    from loopcloser.core.text import printable

    return lambda: out().write(printable(text) + "\n")


def chosen_format(**flags: bool) -> str:
    """The one output format whose flag is set (``text`` when none is); two are an error."""
    chosen = [name for name, wanted in flags.items() if wanted]
    if len(chosen) > 1:
        *others, last = (f"--{name}" for name in flags)
        raise BadInput(
            _("choose one format"),
            hint=_("one of {options} or {last}").format(options=", ".join(others), last=last),
        )
    return chosen[0] if chosen else "text"


def emit_page(
    renderings: Mapping[str, Callable[[], str]], chosen: str, output: Path | None, what: str
) -> None:
    """One result, in the format chosen, on stdout or into ``output``.

    Every format renders the same result: a command names each rendering once here.
    """
    write_output(renderings[chosen](), output, what)
