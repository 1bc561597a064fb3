"""Which language a run speaks: the ``language`` setting, else the locale, else English."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from loopcloser.core.words import LANGUAGES, N_, _, from_locale, language, use

DOMAIN = "loopcloser"
LOCALE = Path(__file__).resolve().parent.parent / "locale"
"""Where the compiled catalogs live: locale/it/LC_MESSAGES/loopcloser.mo."""


def choose(setting: str, environ: MutableMapping[str, str], *, for_scripts: bool = False) -> str:
    """Speak the language the setting names (it wins), else the one the locale asks for;
    English ``for_scripts`` (``--json``), the agent's language kept for what they read
    later (the status line a prompt shows). Returns the language spoken.

    A language whose catalog is missing (a build without catalogs) speaks English.
    ``environ`` is the process's environment: the locale is read from it, and the
    command-line framework's own words (help's "Options", "[required]"), which come
    from gettext's global domain, follow the ``LANGUAGE`` set there.
    """
    code = setting or from_locale(environ)
    catalog = None
    if code != "en":
        import gettext

        try:
            catalog = gettext.translation(DOMAIN, LOCALE, languages=[code])
        except OSError:
            code = "en"
        else:
            gettext.bindtextdomain(DOMAIN, str(LOCALE))
            gettext.textdomain(DOMAIN)
    if for_scripts:
        use("en", None, prefer=(code, catalog))
        code = "en"
    else:
        use(code, catalog)
    if code != "en":
        environ["LANGUAGE"] = code
    elif environ.get("LANGUAGE") in LANGUAGES.keys() - {"en"}:
        del environ["LANGUAGE"]  # set by an earlier choice in this process
    return code


def configured(read: Any) -> str:
    """The ``language`` setting from the config file, "" when unset or unreadable:
    a broken config file is reported by the command itself, in English if need be."""
    try:
        value = read().get("language", "")
    except Exception:  # any failure here is the command's to report
        return ""
    return value if isinstance(value, str) else ""


def translate_help(command: Any) -> None:
    """Put the help of ``command``, its options and its subcommands in the language in
    use: the English help is the catalog's key."""
    for name in ("help", "short_help", "epilog"):
        text = getattr(command, name, None)
        if text:
            setattr(command, name, _(text))
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
    made = command.get_help_option

    def help_option(context: Any) -> Any:
        """The --help option the framework makes for each command, its help translated."""
        option = made(context)
        if option is not None:
            option.help = _(HELP_OPTION)
        return option

    command.get_help_option = help_option
    usage = command.get_usage

    def usage_line(context: Any) -> str:
        """The usage line, its "Usage: " in the language in use."""
        line: str = usage(context)
        return line.replace(USAGE, _(USAGE), 1)

    command.get_usage = usage_line
    for sub in getattr(command, "commands", {}).values():
        translate_help(sub)


HELP_OPTION = N_("Show this message and exit.")
USAGE = N_("Usage: ")
"""The help of the --help option, and the start of the usage line, as the framework
words them."""


FRAMEWORK_MESSAGES = (
    (r"Missing argument '(?P<name>[^']*)'\.?", N_("Missing argument '{name}'")),
    (r"Missing option '(?P<name>[^']*)'\.?", N_("Missing option '{name}'")),
    (r"No such option: (?P<name>\S+)", N_("No such option: {name}")),
    (
        r"No such option: (?P<name>\S+) \(Possible options: (?P<options>.*)\)",
        N_("No such option: {name} (possible options: {options})"),
    ),
    (
        r"No such option: (?P<name>\S+) Did you mean (?P<guess>\S+)\?",
        N_("No such option: {name}. Did you mean {guess}?"),
    ),
    (
        r"Option '(?P<name>[^']*)' requires an argument\.?",
        N_("Option '{name}' requires an argument"),
    ),
    (
        r"Option '(?P<name>[^']*)' does not take a value\.?",
        N_("Option '{name}' does not take a value"),
    ),
    (
        r"Invalid value for (?P<name>.+?): '(?P<value>.*)' is not one of (?P<choices>.*?)\.?",
        N_("Invalid value for {name}: '{value}' is not one of {choices}"),
    ),
    (
        r"Invalid value for (?P<name>.+?): '(?P<value>.*)' is not a valid integer\.?",
        N_("Invalid value for {name}: '{value}' is not a whole number"),
    ),
    (
        r"Invalid value for (?P<name>.+?): (?P<message>.*)",
        N_("Invalid value for {name}: {message}"),
    ),
    (
        r"Got unexpected extra argument\(?s?\)? \((?P<arguments>.*)\)",
        N_("Got unexpected extra arguments ({arguments})"),
    ),
    # "No such command" and "Missing command" the framework translates itself (its
    # gettext calls read the same catalog); it adds this part in English after them.
    (r"(?P<message>.*)\. Did you mean (?P<guess>.*)\?", N_("{message}. Did you mean {guess}?")),
)
"""The command-line framework's own error messages, as patterns, and their catalog keys."""


def framework_message(message: str) -> str:
    """One of the framework's error messages in the language in use (unchanged in English,
    or when it is not one it knows)."""
    if language() == "en":
        return message
    import re

    for pattern, key in FRAMEWORK_MESSAGES:
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found is not None:
            return _(key).format(**found.groupdict())
    return message
