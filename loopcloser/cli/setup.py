"""Settings and the demo store: config get|set|list, demo."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from loopcloser.cli.app import app, config_app, help_when_bare
from loopcloser.cli.context import config_file, context, settings
from loopcloser.cli.options import JsonOption, StoreOption, completes
from loopcloser.cli.output import emit, out, page_width, print_rows, program_name
from loopcloser.core.errors import BadInput
from loopcloser.core.words import _


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
    from loopcloser.services.demo import build

    if store is None:
        import tempfile

        store = Path(tempfile.mkdtemp(prefix="loopcloser-demo-")) / "loops.json"
    ctx = context(store, as_json)
    if ctx.store().documents():
        raise BadInput(
            _("{store} already holds loops").format(store=store),
            hint=_("give --store a new file for the demo"),
        )
    rows = build(ctx)
    print_rows(ctx, rows)
    example = f"{program_name()} show {rows[0][0].id} --store {store}"
    where = _("Demo store: {store}").format(store=store)
    sys.stderr.write(f"\n{where}\n" + _("Try: {example}").format(example=example) + "\n")


@config_app.command("get")
def config_get(
    key: Annotated[
        str,
        typer.Argument(
            help="Setting name.", metavar="KEY", autocompletion=completes("setting_names")
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Print one setting.

    Example: loopcloser config get timezone
    """
    from loopcloser.core.settings import known

    known(key)
    print_setting(key, settings()[key], as_json)


@config_app.command("set")
def config_set(
    key: Annotated[
        str,
        typer.Argument(
            help="Setting name.", metavar="KEY", autocompletion=completes("setting_names")
        ),
    ],
    value: Annotated[str, typer.Argument(help="New value.", metavar="VALUE")],
    as_json: JsonOption = False,
) -> None:
    """Change one setting.

    Example: loopcloser config set timezone Europe/Rome
    """
    from loopcloser.storage.config_file import save

    stored = save(key, value, config_file())
    print_setting(key, stored, as_json, f"{key} = {stored}")


def print_setting(key: str, value: str, as_json: bool, text: str | None = None) -> None:
    """One setting: ``text`` (the bare value by default), or {key: value} under --json."""
    from loopcloser.render.tables import to_json

    out().write((to_json({key: value}) if as_json else text or value) + "\n")


@config_app.command("list")
def config_list(as_json: JsonOption = False) -> None:
    """Every setting with its value and meaning.

    Example: loopcloser config list
    """
    from loopcloser.core.settings import KEYS
    from loopcloser.render.tables import plain_table

    values = settings().values

    def show() -> None:
        rows = [[name, values[name] or '""', _(KEYS[name].help)] for name in KEYS]
        out().write(plain_table([[_("SETTING"), _("VALUE"), _("MEANING")], *rows]))
        sys.stderr.write(_("config file: {path}").format(path=config_file()) + "\n")

    emit(as_json, lambda: values, show)


secret_app = typer.Typer(help="Store secrets (the SMTP password, a webhook URL) in the OS keyring.")
app.add_typer(secret_app, name="secret")


@secret_app.callback(invoke_without_command=True)
def secret_root(context: typer.Context) -> None:
    """Store secrets (the SMTP password, a webhook URL) in the OS keyring."""
    help_when_bare(context)


@secret_app.command("set")
def secret_set(
    name: Annotated[
        str,
        typer.Argument(
            help="smtp_password, webhook_url or hub_password.",
            metavar="NAME",
            autocompletion=completes("secret_names"),
        ),
    ],
) -> None:
    """Store a secret in the OS keyring, asked for without echo (or read from stdin).

    It never goes into the config file or the store. On a server without a
    keyring, set LOOPCLOSER_SMTP_PASSWORD or LOOPCLOSER_WEBHOOK_URL instead.

    Example: loopcloser secret set smtp_password
    """
    from loopcloser.delivery.secrets import NAMES, set_secret

    if name not in NAMES:
        raise BadInput(
            _("unknown secret '{name}'").format(name=name),
            hint=_("use one of: {choices}").format(choices=", ".join(NAMES)),
        )
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{name}: ")
    else:
        value = (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")
    set_secret(name, value)
    sys.stderr.write(_("Stored {name} in the keyring.").format(name=name) + "\n")


@app.command()
def doctor(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Check the store, the settings, the keyring and the delivery, with a fix for each problem.

    Example: loopcloser doctor
    """
    from loopcloser.core.errors import LoopcloserError
    from loopcloser.core.text import printable
    from loopcloser.render.columns import Column, fitted_table
    from loopcloser.services.doctor import Check, check_store, exit_code, run_checks

    try:
        conf = settings()
    except LoopcloserError as error:
        # Broken settings are the finding; the store can still be looked at by path.
        checks = [Check("config", False, f"{config_file()}: {error.message}", error.hint)]
        if store is not None:
            checks += check_store(store)
    else:
        checks = run_checks(context(store, as_json, conf).store().path, conf)
    # On a narrow page a check's detail and its fix wrap; neither is ever left out.
    columns = [
        Column(_("CHECK"), [check.label for check in checks]),
        Column("", [_("ok") if check.ok else _("PROBLEM") for check in checks]),
        Column(_("DETAIL"), [printable(check.detail) for check in checks], wraps=True),
        Column(_("FIX"), [check.fix or "" for check in checks], wraps=True),
    ]
    emit(
        as_json,
        lambda: [check.__dict__ for check in checks],
        lambda: out().write("\n".join(fitted_table(columns, page_width())[0]) + "\n"),
    )
    raise typer.Exit(exit_code(checks))
