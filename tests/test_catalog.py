"""The Italian catalog holds every text a person reads, and nothing else.

Extract, compare: the texts marked in the code (``_``, ``n_``, ``p_``, ``N_``,
``NP_``) and the help of every command and option must each have an Italian
translation with the same placeholders; an entry nothing uses any more fails
too, so the catalog never drifts from the code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parent.parent / "loopcloser"
CATALOG = PACKAGE / "locale" / "it" / "LC_MESSAGES" / "loopcloser.po"
KEYWORDS = {"_": None, "n_": (1, 2), "p_": ((1, "c"), 2), "N_": None, "NP_": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Key = tuple[str, str | None]  # msgid, context


def italian() -> Catalog:
    with CATALOG.open("rb") as file:
        return read_po(file, abort_invalid=True)


def marked_in_code() -> dict[Key, str]:
    """Every text the code marks for translation, by msgid and context: where it is."""
    found: dict[Key, str] = {}
    for path, line, message, _comments, context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((msgid, context), f"{path}:{line}")
    return found


def help_texts() -> dict[Key, str]:
    """The help of every command, group and option, as the command line holds it."""
    import typer.main

    from loopcloser.cli.main import app

    found: dict[Key, str] = {}

    def walk(command: Any, path: str) -> None:
        for text in (command.help, command.short_help, command.epilog):
            if text:
                found.setdefault((text, None), path)
        for param in command.params:
            if getattr(param, "help", None):
                found.setdefault((param.help, None), f"{path} {param.name}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "loopcloser")
    return found


def framework_texts() -> dict[Key, str]:
    """The command-line framework's own words (help panels, "[required]"), which it
    looks up in gettext's global domain: loopcloser's catalog, once a language is chosen."""
    import typer

    found: dict[Key, str] = {}
    for name in ("core.py", "rich_utils.py"):
        path = Path(typer.__file__).parent / name
        for line, message, _comments, context in extract_from_file(
            "python", str(path), keywords={"_": None}, comment_tags=()
        ):
            found.setdefault((message, context), f"typer/{name}:{line}")
    return found


def wanted() -> dict[Key, str]:
    return {**help_texts(), **framework_texts(), **marked_in_code()}


def test_every_text_a_person_reads_has_an_italian_translation() -> None:
    catalog = italian()
    missing = []
    for (msgid, context), where in wanted().items():
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else ""
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or not all(forms) or entry.fuzzy:
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} texts lack Italian:\n" + "\n".join(sorted(missing))


def test_the_catalog_holds_nothing_the_code_no_longer_says() -> None:
    keys = set(wanted())
    stale = [
        message.id
        for message in italian()
        if message.id
        and ((message.id[0] if message.pluralizable else message.id), message.context) not in keys
    ]
    assert not stale, "entries nothing uses (remove them):\n" + "\n".join(map(repr, stale))


def test_each_translation_keeps_the_placeholders_of_its_english() -> None:
    wrong = []
    for message in italian():
        if not message.id:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        english = {name for text in ids for name in PLACEHOLDER.findall(text)}
        for text in strings:
            if text and set(PLACEHOLDER.findall(text)) - english:
                wrong.append(f"{ids[0]!r} -> {text!r}")
            if text and not message.pluralizable and english != set(PLACEHOLDER.findall(text)):
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_catalog_has_italian_plural_forms() -> None:
    catalog = italian()
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")


# --- texts left unmarked ----------------------------------------------------------

ERRORS = {"LoopcloserError", "BadInput", "NotFound", "InvalidTransition", "StoreError",
          "HubError", "DeliveryFailed", "Refused", "Busy", "BadParameter",
          "UsageError"}  # fmt: skip
"""Error classes whose first argument is a message a person reads."""
SAYING = {"echo", "secho", "say", "warn", "print"}
"""Calls that print their first argument for a person."""


def plain_text(node: ast.AST) -> bool:
    """A literal with words in it: a str constant or an f-string with a letter outside {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and re.search(r"[A-Za-z]{2}", str(part.value))
            for part in node.values
        )
    return False


def unmarked_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        texts = []
        if name in ERRORS or name in SAYING:
            texts += node.args[:1]
        texts += [keyword.value for keyword in node.keywords if keyword.arg in ("hint", "message")]
        for text in texts:
            if plain_text(text):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{text.lineno}")
    return found


MACHINE_TEXT = {"cli/completion_scripts.py"}
"""Modules that print for programs (shell scripts), not for people."""


def test_no_message_or_hint_is_left_unmarked() -> None:
    paths = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in MACHINE_TEXT
    ]
    found = [place for path in paths for place in unmarked_in(path)]
    assert not found, "wrap these in _() or n_():\n" + "\n".join(found)
