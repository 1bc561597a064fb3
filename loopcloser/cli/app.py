"""The typer app, and the program around every command: a failure is one line and a code.

Only this module and main.py know that loopcloser runs as a process.
"""

# No ``from __future__ import annotations`` in the command modules: typer would then
# evaluate every command's string annotations at each start (~7 ms).

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from loopcloser import __version__
from loopcloser.cli.context import RUNS
from loopcloser.cli.output import hint_for, report, warn_of_bad_records
from loopcloser.core.errors import BadInput, ExitCode, LoopcloserError
from loopcloser.core.words import _


class LoopGroup(TyperGroup):
    """Runs a command and turns every failure into one line on stderr and an exit code."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        # "--json" after "--" is text (a note, say), not the option.
        options = argv[: argv.index("--")] if "--" in argv else argv
        as_json = "--json" in options
        RUNS.clear()
        try:
            speak(self, as_json)
            check_encoding(argv)
            extra["standalone_mode"] = False
            try:
                result = super().main(argv, *rest, **extra)
            finally:
                warn_of_bad_records(RUNS, as_json)
            code = result if isinstance(result, int) else ExitCode.OK
        except LoopcloserError as error:
            code = report(error.message, hint_for(error), error.kind, error.exit_code, as_json)
        except typer.Abort:
            code = report(_("aborted"), None, "aborted", ExitCode.BAD_INPUT, as_json)
        except typer.TyperException as error:
            from loopcloser.cli.language import framework_message

            context = getattr(error, "ctx", None)
            path = context.command_path if context else "loopcloser"
            hint = _("see: {command} --help").format(command=path)
            message = framework_message(error.format_message())
            code = report(message, hint, "bad_input", ExitCode.BAD_INPUT, as_json)
        except BrokenPipeError:
            # The reader went away (``loopcloser list | head``): stop quietly.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            code = ExitCode.OK
        except OSError as error:
            # Store and config errors arrive as StoreError: a bare OSError is the output.
            message = _("cannot write the output: {reason}").format(reason=error.strerror or error)
            hint = _("any change was saved; check with: loopcloser list")
            code = report(message, hint, "output", ExitCode.INTERNAL, as_json)
        except Exception as error:
            if os.environ.get("LOOPCLOSER_DEBUG"):
                raise
            message = _("unexpected {kind}: {error}").format(kind=type(error).__name__, error=error)
            hint = _("this is a bug; rerun with LOOPCLOSER_DEBUG=1 and report the traceback")
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
                _("argument '{argument}' is not valid UTF-8 text").format(argument=shown),
                hint=_("check the encoding of the terminal or script that sent it"),
            ) from None


def speak(group: TyperGroup, as_json: bool) -> None:
    """Choose the run's language (the ``language`` setting, else the locale); in any
    but English, the help of every command there is comes from the catalog too.

    Under ``--json`` a run speaks English, messages and hints included: a script reads
    the same output whatever the language of the agent who runs it.
    """
    from loopcloser.cli.context import config_file
    from loopcloser.cli.language import choose, configured, translate_help
    from loopcloser.storage.config_file import read_file

    setting = configured(lambda: read_file(config_file()))
    if choose(setting, os.environ, for_scripts=as_json) != "en":
        translate_help(group)


app = typer.Typer(
    cls=LoopGroup,
    name="loopcloser",
    help="Track the promises you make to customers until the customer has been told.",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Its own --install-completion and --show-completion (on root): static scripts.
    add_completion=False,
)


config_app = typer.Typer(help="Read and change your settings (name, time zone, working hours).")
app.add_typer(config_app, name="config")


def show_version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        sys.stdout.write(f"loopcloser {__version__}\n")
        raise typer.Exit()


def completion_script(context: typer.Context, parameter: typer.CallbackParam, value: bool) -> None:
    """Install or print the completion script of the user's shell, and stop."""
    if value:
        from loopcloser.cli import completion_scripts

        root = context.find_root().command
        if parameter.name == "install_completion":
            completion_scripts.install(root)
        else:
            completion_scripts.show(root)
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show the version."),
    ] = False,
    install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion",
            callback=completion_script,
            is_eager=True,
            expose_value=False,
            help="Install completion for the current shell.",
        ),
    ] = False,
    show_completion: Annotated[
        bool,
        typer.Option(
            "--show-completion",
            callback=completion_script,
            is_eager=True,
            expose_value=False,
            help="Show completion for the current shell, to copy it or customize the installation.",
        ),
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
