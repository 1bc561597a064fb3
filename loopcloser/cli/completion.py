"""What the shell offers on TAB: open loops' ids, customers, agents, an option's choices.

typer calls these through ``completes`` in cli/options.py, which imports this module
only when a shell asks for candidates: an ordinary command never pays for it. Whatever
goes wrong (no store yet, a damaged file, broken settings) the shell gets no candidates
and falls back to its own, never an error or a traceback inside the line being typed.

The completion scripts (completion_scripts) hold the commands, options and fixed
values themselves; a shell asks here only for the values in ASKED_AT_TAB.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from loopcloser.core.model import ALLOWED_FROM, Kind
from loopcloser.core.words import _, n_

if TYPE_CHECKING:
    import typer

    from loopcloser.core.settings import Settings
    from loopcloser.storage.store import Store

Candidate = str | tuple[str, str]
"""A value, or a value and the few words zsh and fish show beside it."""

# The event each command records: a command is offered only the loops it may act on
# (resume only waiting loops, done only open or waiting ones). Absent: every open loop.
COMMAND_EVENTS = {
    "wait": Kind.WAITING,
    "resume": Kind.RESUMED,
    "done": Kind.DONE,
    "close": Kind.CLOSED,
    "cancel": Kind.CANCELLED,
    "reopen": Kind.REOPENED,
    "reschedule": Kind.RESCHEDULED,
    "handoff": Kind.HANDOFF,
    "snooze": Kind.SNOOZED,
}
DESCRIPTION_WIDTH = 60
ASKED_AT_TAB = frozenset({"loop_ids", "customers", "agents"})
"""The values that live in the store or the team folder: a script asks for them at TAB."""
ASK = "\x00ask"
"""What those offer while a script is written: the script asks loopcloser instead."""
WRITING_SCRIPT = "loopcloser.writing_script"
"""Set in the context's meta while completion_scripts reads the commands."""


def loop_ids(context: typer.Context, incomplete: str) -> list[Candidate]:
    """The open loops' ids, each described as "customer — promise"."""
    kind = COMMAND_EVENTS.get(context.info_name or "")
    allowed = {state.value for state in ALLOWED_FROM.get(kind, ())} if kind else None
    candidates = []
    for loop_id, document in sorted(open_loops(own_store(context)).items()):
        if allowed is None or document.get("state") in allowed:
            said = (text_of(document, "customer"), text_of(document, "promise"))
            candidates.append((str(loop_id), " — ".join(text for text in said if text)))
    return offer(candidates, incomplete)


def customers(context: typer.Context, incomplete: str) -> list[Candidate]:
    """Customer names, described by how many loops each has.

    ``forget`` needs the exact name of any customer, past ones too, so it reads every
    loop; the others read only the open loops, which the store keeps in a small index.
    ``customer`` and ``forget`` look across a team folder, as the commands do.
    """
    from loopcloser.services.forget import FORGOTTEN

    command = context.info_name
    every_state = command == "forget"
    conf = settings()
    whole_team = command in ("customer", "forget") and context.params.get("store") is None
    if whole_team and conf.team is not None:
        from loopcloser.storage.location import open_team

        stores = [store for _agent, store in open_team(conf.team)]
    else:
        stores = [own_store(context, conf)]
    counts: Counter[str] = Counter()
    for store in stores:
        documents = store.documents() if every_state else open_loops(store)
        names = (document.get("customer") for document in documents.values())
        counts.update(name for name in names if isinstance(name, str) and name.strip())
    counts.pop(FORGOTTEN, None)
    return offer(
        [(name, loops_held(count, every_state)) for name, count in sorted(counts.items())],
        incomplete,
    )


def loops_held(count: int, every_state: bool) -> str:
    """How many loops a customer has: "2 open loops", or "2 loops" in every state."""
    if every_state:
        return n_("{count} loop", "{count} loops", count).format(count=count)
    return n_("{count} open loop", "{count} open loops", count).format(count=count)


def agents(context: typer.Context, incomplete: str) -> list[Candidate]:
    """The agents with a store in the team folder (for a handoff, but you); none without one."""
    conf = settings()
    if conf.team is None:
        return []
    from loopcloser.storage.team import team_stores

    others = context.info_name == "handoff"
    names = [agent for agent, _store in team_stores(conf.team)]
    return offer([name for name in names if not (others and name == conf["agent"])], incomplete)


def channels(context: typer.Context, incomplete: str) -> list[Candidate]:
    """The channels a promise or a contact can go through."""
    from loopcloser.core.settings import CHANNELS

    return offer(CHANNELS, incomplete)


def export_formats(context: typer.Context, incomplete: str) -> list[Candidate]:
    """What export writes."""
    from loopcloser.render.export import FORMATS

    return offer(FORMATS, incomplete)


def schedulers(context: typer.Context, incomplete: str) -> list[Candidate]:
    """What ``remind --install`` can set up."""
    return offer(["cron", "systemd"], incomplete)


def senders(context: typer.Context, incomplete: str) -> list[Candidate]:
    """The ways out ``--send`` can send a page by, each with what it is."""
    from loopcloser.core.ways_out import Cargo, carrying

    return offer([(way.name, _(way.description)) for way in carrying(Cargo.PAGES)], incomplete)


def setting_names(context: typer.Context, incomplete: str) -> list[Candidate]:
    """The settings, each with what it means."""
    from loopcloser.core.settings import KEYS

    return offer([(name, _(key.help)) for name, key in KEYS.items()], incomplete)


def secret_names(context: typer.Context, incomplete: str) -> list[Candidate]:
    """The secrets loopcloser keeps in the keyring."""
    from loopcloser.delivery.secrets import NAMES

    return offer(NAMES, incomplete)


# --- plumbing ----------------------------------------------------------------


def answer(app: typer.Typer) -> NoReturn:
    """Answer a shell asking for candidates (``_LOOPCLOSER_COMPLETE`` is set), then exit."""
    from typer.main import get_command

    command = get_command(app)
    describe_plainly()
    command()
    raise SystemExit(0)  # command() exits itself; this only tells the type checker


def words_typed(asked: str) -> list[str]:
    """The whole words of the line the shell asks about (``asked`` is ``complete_SHELL``),
    as typer's completion for that shell reads them; none for a shell it does not know."""
    try:
        from typer._click.shell_completion import get_completion_class
        from typer._completion_classes import completion_init
        from typer.core import TyperCommand
    except ImportError:
        return []
    completion_init()
    shell = get_completion_class(asked.partition("_")[2])
    if shell is None:
        return []
    try:
        words = shell(TyperCommand("loopcloser"), {}, "loopcloser", "").get_completion_args()[0]
    except (KeyError, ValueError):  # COMP_WORDS or COMP_CWORD missing or not a number
        return []
    return words


def describe_plainly() -> None:
    """zsh and fish as typer answers them, but with each candidate quoted for zsh and
    without rendering each description through rich.

    typer strips rich markup from every description: ~70 ms of imports and 0.3 ms a
    candidate (a menu of 300 open loops took 0.2 s); loopcloser's descriptions are
    plain text. And typer quotes an apostrophe for zsh as ``''``, which zsh reads as
    nothing: O'Brien was offered as OBrien. Should typer's classes move, its own stand.
    """
    try:
        from typer._click.shell_completion import CompletionItem, add_completion_class
        from typer._completion_classes import FishComplete, ZshComplete, completion_init
    except ImportError:
        return
    # typer's own shells first, as its completion options (not used: see app.py) would.
    completion_init()

    class QuotedZsh(ZshComplete):
        def format_completion(self, item: CompletionItem) -> str:
            word = zsh_item(item.value)
            if item.help:
                word += ":" + zsh_item(" ".join(item.help.split()))
            # typer wraps the items in single quotes, for an eval.
            return word.replace("'", "'\\''")

    class PlainFish(FishComplete):
        def format_completion(self, item: CompletionItem) -> str:
            if not item.help:
                return super().format_completion(item)
            return f"{item.value}\t{' '.join(item.help.split())}"

    add_completion_class(QuotedZsh, "zsh")
    add_completion_class(PlainFish, "fish")


def zsh_item(text: str) -> str:
    """``text`` as one half of an item in zsh's ``_arguments '*: :((value:description))'``.

    zsh unquotes the items twice (as the spec, then as shell words): every ASCII sign
    gets a backslash, a backslash four, and a colon three, so that _arguments still
    sees an escaped colon and does not take it for the end of the value.
    """
    return "".join(ZSH_ESCAPES.get(char, char) for char in text)


ZSH_ESCAPES = {
    **{chr(code): "\\" + chr(code) for code in range(33, 127) if not chr(code).isalnum()},
    " ": "\\ ",
    "\\": "\\" * 4,
    ":": "\\" * 3 + ":",
}


def quietly(
    complete: Callable[[typer.Context, str], list[Candidate]],
    context: typer.Context,
    incomplete: str,
) -> list[Candidate]:
    """Candidates from ``complete``, or none at all when anything goes wrong."""
    if context.meta.get(WRITING_SCRIPT) and complete.__name__ in ASKED_AT_TAB:
        return [ASK]
    try:
        return complete(context, incomplete)
    # Anything: an error message would land in the middle of the command line being typed.
    except Exception:
        if os.environ.get("LOOPCLOSER_DEBUG"):
            raise
        return []


def settings() -> Settings:
    """The user's settings."""
    from loopcloser.cli.context import settings as load

    return load()


def own_store(context: typer.Context, conf: Settings | None = None) -> Store:
    """The store the command line names so far (--store, LOOPCLOSER_STORE), else the usual one."""
    from pathlib import Path

    from loopcloser.cli.context import open_store

    # While completing, typer leaves the value as typed: text, not yet a Path.
    typed = context.params.get("store")
    return open_store(Path(typed) if typed else None, conf or settings())


def open_loops(store: Store) -> dict[int, dict[str, Any]]:
    """The open loops' documents, from the store's index when it is current."""
    from loopcloser.services.loops import open_documents

    return open_documents(store)


def text_of(document: dict[str, Any], field: str) -> str:
    """A text field of a stored loop, whatever a damaged document holds there."""
    value = document.get(field)
    return value if isinstance(value, str) else ""


@functools.cache
def bash_special() -> re.Pattern[str]:
    """What bash would split or expand in a candidate it inserts as is (zsh and fish quote
    candidates themselves); compiled when bash first asks."""
    return re.compile(r"""[\s"'\\$`!&;|<>()*?\[\]{}#~^]""")


def offer(candidates: Iterable[Candidate], incomplete: str) -> list[Candidate]:
    """The candidates that start with what is typed, in the form the asking shell needs.

    bash shows no descriptions and inserts a candidate as it is, so it gets bare values
    with spaces and quotes escaped; zsh and fish get each description on one short line.
    """
    bash = os.environ.get("_LOOPCLOSER_COMPLETE") == "complete_bash"
    offered: list[Candidate] = []
    for candidate in candidates:
        value, description = (candidate, "") if isinstance(candidate, str) else candidate
        if not value.startswith(incomplete):
            continue
        if bash:
            offered.append(bash_special().sub(r"\\\g<0>", value))
        elif description:
            offered.append((value, one_line(description)))
        else:
            offered.append(value)
    return offered


def one_line(text: str) -> str:
    """``text`` on one line of at most DESCRIPTION_WIDTH characters."""
    flat = " ".join(text.split())
    if len(flat) > DESCRIPTION_WIDTH:
        flat = flat[: DESCRIPTION_WIDTH - 1].rstrip() + "…"
    return flat
