"""The completion scripts of bash, zsh and fish, written from the command tree itself.

A script holds every command, sub-command and option, and every value that does not
change with the store (channels, states, formats, settings): TAB on those costs the
shell a few of its own commands, never a start of loopcloser. For the values that live
in the store or the team folder (loop ids, customers, agents) it asks loopcloser, as
``completion`` answers. The script is written when it is asked for, from the commands
of the loopcloser that writes it; after an upgrade, install it again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from loopcloser.cli.completion import ASK, WRITING_SCRIPT, one_line
from loopcloser.core.errors import BadInput, StoreError

if TYPE_CHECKING:
    import typer
    from typer._click import Command, Context, Parameter

SHELLS = ("bash", "zsh", "fish")
FILE_TYPES = frozenset({"file", "dir", "directory", "path"})
PROGRAM = "loopcloser"


@dataclass(frozen=True)
class Values:
    """What completes a value: fixed ``choices`` (each with its description), ``ask``
    loopcloser, ``files``, or nothing (free text: a note, a due date)."""

    kind: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass
class Node:
    """One command of the tree, named by its path below ``loopcloser`` ("" for itself)."""

    path: str
    subcommands: list[tuple[str, str]] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    valued: list[str] = field(default_factory=list)
    values: dict[str, Values] = field(default_factory=dict)
    """By option name, and by argument position ("1", "2", ...)."""
    arguments: int = 0
    repeats: bool = False
    """Whether the last argument takes any number of words."""


def tree(root: Command) -> list[Node]:
    """Every command below ``root`` and ``root`` itself, in the order --help lists them."""
    import typer

    settings = dict(root.context_settings)
    context = typer.Context(root, info_name=PROGRAM, resilient_parsing=True, **settings)
    context.meta[WRITING_SCRIPT] = True
    nodes: list[Node] = []

    def walk(command: Command, context: Context, path: str) -> None:
        node = Node(path)
        nodes.append(node)
        for parameter in command.get_params(context):
            if getattr(parameter, "hidden", False):
                continue
            if parameter.param_type_name == "argument":
                node.arguments += 1
                node.values[str(node.arguments)] = values_of(parameter, context)
                node.repeats = parameter.nargs == -1
                continue
            # Long names first: click gives the help option's names in no fixed order.
            names = sorted(
                [*parameter.opts, *parameter.secondary_opts],
                key=lambda name: (not name.startswith("--"), name),
            )
            described = one_line(getattr(parameter, "help", None) or "")
            node.options += [(name, described) for name in names]
            if not (getattr(parameter, "is_flag", False) or getattr(parameter, "count", False)):
                node.valued += names
                node.values.update(dict.fromkeys(names, values_of(parameter, context)))
        for name in getattr(command, "list_commands", lambda _: [])(context):
            sub = command.get_command(context, name)  # type: ignore[attr-defined]
            if sub is None or sub.hidden:
                continue
            node.subcommands.append((name, one_line(sub.get_short_help_str(limit=200))))
            inner = typer.Context(
                sub, parent=context, info_name=name, resilient_parsing=True, **sub.context_settings
            )
            walk(sub, inner, f"{path} {name}".strip())

    walk(root, context, "")
    return nodes


def values_of(parameter: Parameter, context: Context) -> Values:
    """What completes ``parameter``, as its own completion says with nothing typed yet."""
    items = parameter.shell_complete(context, "")
    if any(item.value == ASK for item in items):
        return Values("ask")
    # typer's paths offer nothing, to leave the files to the shell; a text argument
    # may stand for a file too (import's FILE|-).
    kind = getattr(parameter.type, "name", "")
    metavar = str(getattr(parameter, "metavar", None) or "")
    if kind in FILE_TYPES or "FILE" in metavar or any(item.type in FILE_TYPES for item in items):
        return Values("files")
    if not items:
        return Values()
    return Values("choices", tuple((str(item.value), one_line(item.help or "")) for item in items))


def script(root: Command, shell: str) -> str:
    """The completion script of ``shell`` for the commands under ``root``."""
    writers: dict[str, Callable[[list[Node]], str]] = {"bash": bash, "zsh": zsh, "fish": fish}
    if shell not in writers:
        raise BadInput(
            f"no completion for the shell '{shell}'",
            hint="loopcloser completes in bash, zsh and fish",
        )
    return writers[shell](tree(root))


# --- the shells ---------------------------------------------------------------------

HEADER = """\
# {name} completion for loopcloser, written by `loopcloser --show-completion` from
# its commands. Commands, options and their fixed values complete without starting
# loopcloser; loop ids, customers and agents are asked of it, from your store.
"""

# How each shell reads the line, the same way in all three: the words before the one
# being typed name the command (and sub-command), skip the options and the values of
# those that take one, and count the arguments; the word being typed is then an
# option's value, an option, a command or the next argument. The command so far is
# ``node`` ("config set"): never ``path``, which zsh ties to PATH.

BASH = r"""
_loopcloser_completion() {
    local cur=${COMP_WORDS[COMP_CWORD]} node= word expect= ended= position=0 count i REPLY
    [[ $cur == = ]] && cur=  # right after --option=: bash splits the line at "="
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word=${COMP_WORDS[i]}
        [[ $word == = && -n $expect ]] && continue  # --option=value, split at "="
        if [[ -n $expect ]]; then expect=; continue; fi
        if [[ -z $ended && $word == -- ]]; then ended=1; continue; fi
        if [[ -z $ended && $word == -* ]]; then
            _loopcloser_completion_valued "$node"
            [[ " $REPLY " == *" $word "* ]] && expect=$word
            continue
        fi
        _loopcloser_completion_commands "$node"
        if (( position == 0 )) && [[ " $REPLY " == *" $word "* ]]; then
            node=${node:+$node }$word
            continue
        fi
        (( position++ ))
    done
    if [[ -n $expect ]]; then
        _loopcloser_completion_values "$node $expect"
    elif [[ -z $ended && $cur == -* ]]; then
        _loopcloser_completion_options "$node"
        REPLY="choices $REPLY"
    else
        _loopcloser_completion_commands "$node"
        if [[ -n $REPLY ]]; then
            (( position == 0 )) && REPLY="choices $REPLY" || REPLY=
        else
            _loopcloser_completion_arguments "$node"
            count=${REPLY%+}
            (( position++ ))
            [[ $REPLY == *+ ]] && (( position > count )) && position=$count
            _loopcloser_completion_values "$node $position"
        fi
    fi
    COMPREPLY=()
    case $REPLY in
        choices\ *) COMPREPLY=($(compgen -W "${REPLY#choices }" -- "$cur")) ;;
        files) compopt -o default ;;
        ask)
            local line="${COMP_WORDS[*]}" IFS=$'\n'
            COMPREPLY=($(env COMP_WORDS="$line" COMP_CWORD="$COMP_CWORD" \
                _LOOPCLOSER_COMPLETE=complete_bash "$1"))
            ;;
    esac
    return 0
}

complete -F _loopcloser_completion loopcloser
"""

ZSH = r"""
_loopcloser_completion() {
  local cur=${words[CURRENT]} node= word expect= ended= count i REPLY
  local -i position=0
  local -a reply
  for (( i = 2; i < CURRENT; i++ )); do
    word=${words[i]}
    if [[ -n $expect ]]; then expect=; continue; fi
    if [[ -z $ended && $word == -- ]]; then ended=1; continue; fi
    if [[ -z $ended && $word == -* ]]; then
      _loopcloser_completion_valued "$node"
      (( ${reply[(Ie)$word]} )) && expect=$word
      continue
    fi
    _loopcloser_completion_commands "$node"
    if (( position == 0 && ${reply[(I)${(b)word}(|:*)]} )); then
      node=${node:+$node }$word
      continue
    fi
    (( position++ ))
  done
  if [[ -z $expect && -z $ended && $cur == -*=* ]]; then
    _loopcloser_completion_valued "$node"
    if (( ${reply[(Ie)${cur%%=*}]} )); then
      expect=${cur%%=*}
      compset -P '*='
    fi
  fi
  if [[ -n $expect ]]; then
    _loopcloser_completion_values "$node $expect"
  elif [[ -z $ended && $cur == -* ]]; then
    _loopcloser_completion_options "$node"
    REPLY=choices
  else
    _loopcloser_completion_commands "$node"
    if (( $#reply )); then
      (( position == 0 )) && REPLY=choices || REPLY=
    else
      _loopcloser_completion_arguments "$node"
      count=${REPLY%+}
      (( position++ ))
      [[ $REPLY == *+ ]] && (( position > count )) && position=$count
      _loopcloser_completion_values "$node $position"
    fi
  fi
  case $REPLY in
    choices) _describe -t values value reply ;;
    files) _files ;;
    ask) eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" \
           _LOOPCLOSER_COMPLETE=complete_zsh $words[1]) ;;
  esac
}

# Autoloaded from fpath (~/.zfunc/_loopcloser) it completes at once; sourced, it registers.
if [[ $funcstack[1] == _loopcloser ]]; then
  _loopcloser_completion "$@"
else
  compdef _loopcloser_completion loopcloser
fi
"""

FISH = r"""
function __loopcloser_completion
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l node ''
    set -l expect ''
    set -l ended ''
    set -l position 0
    for word in $words[2..-1]
        if test -n "$expect"
            set expect ''
            continue
        end
        if test -z "$ended"; and test "$word" = --
            set ended 1
            continue
        end
        if test -z "$ended"; and string match -q -- '-*' $word
            if contains -- $word (__loopcloser_completion_valued $node)
                set expect $word
            end
            continue
        end
        set -l commands (__loopcloser_completion_commands $node | string replace -r '\t.*' '')
        if test $position -eq 0; and contains -- $word $commands
            set node (string trim -- "$node $word")
            continue
        end
        set position (math $position + 1)
    end
    set -l prefix ''
    if test -z "$expect"; and test -z "$ended"; and string match -q -- '-*=*' $cur
        set -l option (string replace -r '=.*' '' -- $cur)
        if contains -- $option (__loopcloser_completion_valued $node)
            set expect $option
            set prefix $option=
            set cur (string replace -r '^[^=]*=' '' -- $cur)
        end
    end
    set -l reply
    if test -n "$expect"
        set reply (__loopcloser_completion_values "$node $expect")
    else if test -z "$ended"; and string match -q -- '-*' $cur
        set reply choices (__loopcloser_completion_options $node)
    else
        set -l commands (__loopcloser_completion_commands $node)
        if test (count $commands) -gt 0
            test $position -eq 0; and set reply choices $commands
        else
            set -l arguments (__loopcloser_completion_arguments $node)
            set -l last (string replace '+' '' -- $arguments)
            set position (math $position + 1)
            if string match -q -- '*+' $arguments; and test $position -gt $last
                set position $last
            end
            set reply (__loopcloser_completion_values "$node $position")
        end
    end
    switch "$reply[1]"
        case choices
            printf "$prefix%s\n" $reply[2..-1]
        case files
            printf "$prefix%s\n" (__fish_complete_path $cur)
        case ask
            env _LOOPCLOSER_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args \
                _TYPER_COMPLETE_ARGS=(commandline -cp) $words[1]
    end
end

complete --command loopcloser --no-files --arguments '(__loopcloser_completion)'
"""


def bash(nodes: list[Node]) -> str:
    """The bash script: the tree as ``case`` functions that set REPLY, then the reader."""

    def assign(words: Iterable[str]) -> str:
        text = " ".join(words)
        return f"REPLY={sh_quote(text)}" if text else "REPLY="

    def values(found: Values) -> str:
        return assign([found.kind, *(value for value, _ in found.choices)])

    functions = [
        sh_function("commands", {n.path: assign(name for name, _ in n.subcommands) for n in nodes}),
        sh_function("options", {n.path: assign(name for name, _ in n.options) for n in nodes}),
        sh_function("valued", {n.path: assign(n.valued) for n in nodes}),
        sh_function("arguments", {n.path: f"REPLY={arguments(n)}" for n in nodes}, "REPLY=0"),
        sh_function("values", every_value(nodes, values)),
    ]
    return HEADER.format(name="bash") + "".join(functions) + BASH


def zsh(nodes: list[Node]) -> str:
    """The zsh script: the tree as functions that set ``reply`` (and REPLY), then the reader."""

    def described(pairs: Iterable[tuple[str, str]]) -> str:
        items = (zsh_escape(value) + (f":{text}" if text else "") for value, text in pairs)
        return "reply=(" + " ".join(sh_quote(item) for item in items) + ")"

    def values(found: Values) -> str:
        return f"REPLY={found.kind}; {described(found.choices)}"

    nothing = "reply=()"
    functions = [
        sh_function("commands", {n.path: described(n.subcommands) for n in nodes}, nothing),
        sh_function("options", {n.path: described(n.options) for n in nodes}, nothing),
        sh_function("valued", {n.path: f"reply=({' '.join(n.valued)})" for n in nodes}, nothing),
        sh_function("arguments", {n.path: f"REPLY={arguments(n)}" for n in nodes}, "REPLY=0"),
        sh_function("values", every_value(nodes, values), "REPLY=; reply=()"),
    ]
    head = "#compdef loopcloser\n\n" + HEADER.format(name="zsh")
    return head + "".join(functions) + ZSH


def fish(nodes: list[Node]) -> str:
    """The fish script: the tree as functions that print their lines, then the reader."""

    def printed(lines: Iterable[str]) -> str:
        quoted = " ".join(fish_quote(line) for line in lines)
        return f"printf '%s\\n' {quoted}" if quoted else ""

    def described(pairs: Iterable[tuple[str, str]]) -> list[str]:
        return [f"{value}\t{text}" if text else value for value, text in pairs]

    def values(found: Values) -> str:
        return printed([found.kind, *described(found.choices)])

    functions = [
        fish_function("commands", {n.path: printed(described(n.subcommands)) for n in nodes}),
        fish_function("options", {n.path: printed(described(n.options)) for n in nodes}),
        fish_function("valued", {n.path: printed(n.valued) for n in nodes}),
        fish_function("arguments", {n.path: f"echo {arguments(n)}" for n in nodes}),
        fish_function("values", every_value(nodes, values)),
    ]
    return HEADER.format(name="fish") + "".join(functions) + FISH


# --- writing it ------------------------------------------------------------------------


def arguments(node: Node) -> str:
    """How many arguments the command takes, ``+`` when the last takes any number."""
    return f"{node.arguments}{'+' * node.repeats}"


def every_value(nodes: list[Node], render: Callable[[Values], str]) -> dict[str, str]:
    """Each option's and argument's values rendered, keyed "PATH NAME" (or "PATH 2")."""
    return {
        f"{node.path} {name}": render(values)
        for node in nodes
        for name, values in node.values.items()
        if values.kind
    }


def sh_function(name: str, cases: dict[str, str], otherwise: str = "REPLY=") -> str:
    """A bash or zsh function of one ``case`` on its argument: ``otherwise`` first, then
    the statement of the case that matches; alike statements share a branch."""
    shared: dict[str, list[str]] = {}
    for key, statement in cases.items():
        if statement != otherwise:
            shared.setdefault(statement, []).append(key)
    branches = "".join(
        f"        {'|'.join(sh_quote(key) for key in keys)})\n            {statement} ;;\n"
        for statement, keys in shared.items()
    )
    return (
        f"\n_loopcloser_completion_{name}() {{\n    {otherwise}\n"
        f'    case "$1" in\n{branches}    esac\n}}\n'
    )


def fish_function(name: str, cases: dict[str, str]) -> str:
    """A fish function of one ``switch`` on its argument; alike answers share a branch."""
    shared: dict[str, list[str]] = {}
    for key, answer in cases.items():
        if answer:
            shared.setdefault(answer, []).append(key)
    branches = "".join(
        f"        case {' '.join(fish_quote(key) for key in keys)}\n            {answer}\n"
        for answer, keys in shared.items()
    )
    head = f'\nfunction __loopcloser_completion_{name}\n    switch "$argv[1]"\n'
    return f"{head}{branches}    end\nend\n"


def sh_quote(text: str) -> str:
    """``text`` in single quotes, for bash and zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def fish_quote(text: str) -> str:
    """``text`` in single quotes, for fish."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def zsh_escape(value: str) -> str:
    """A value as ``_describe`` reads it: a colon in it would end it."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


# --- showing and installing ---------------------------------------------------------------


def users_shell() -> str:
    """The shell loopcloser was started from (the nearest shell among its parents)."""
    try:
        import shellingham  # type: ignore[import-untyped]  # typer's, to find the shell

        name, _ = shellingham.detect_shell()
    except Exception:  # not installed, or no shell among the parents
        name = ""
    if name not in SHELLS:
        raise BadInput(
            f"cannot complete in this shell ({name or 'none found'})",
            hint="loopcloser completes in bash, zsh and fish; for one by name:"
            " _LOOPCLOSER_COMPLETE=source_bash loopcloser",
        )
    return str(name)


def print_script(app: typer.Typer, shell: str) -> NoReturn:
    """Print the completion script of ``shell`` (``_LOOPCLOSER_COMPLETE=source_SHELL``),
    then exit; an unknown shell is one line, exit 2."""
    from typer.main import get_command

    from loopcloser.cli.output import report
    from loopcloser.core.errors import LoopcloserError

    try:
        text = script(get_command(app), shell)
    except LoopcloserError as error:
        code = report(error.message, error.hint, error.kind, error.exit_code, False)
        raise SystemExit(code) from None
    sys.stdout.write(text)
    raise SystemExit(0)


def show(root: Command) -> None:
    """Print the completion script of the user's shell."""
    sys.stdout.write(script(root, users_shell()))


def install(root: Command) -> None:
    """Write the completion script of the user's shell where that shell finds it."""
    shell = users_shell()
    home = Path.home()
    text = script(root, shell)
    if shell == "bash":
        target = home / ".bash_completions" / f"{PROGRAM}.sh"
        add_line(home / ".bashrc", f"source '{target}'")
    elif shell == "zsh":
        target = home / ".zfunc" / f"_{PROGRAM}"
        add_line(home / ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit")
    else:
        target = home / ".config" / "fish" / "completions" / f"{PROGRAM}.fish"
    written(target, text)
    sys.stdout.write(
        f"{shell} completion installed in {target}\n"
        "Completion will take effect once you restart the terminal\n"
    )


def add_line(rc: Path, line: str) -> None:
    """Append ``line`` to the shell's start-up file, unless it holds it already."""
    try:
        held = rc.read_text(encoding="utf-8", errors="surrogateescape") if rc.exists() else ""
    except OSError as error:
        raise cannot_write(rc, error) from None
    if line not in held:
        written(rc, f"{held}{'' if held.endswith(chr(10)) or not held else chr(10)}{line}\n")


def written(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, making its folder; a failure is one line, exit 5."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    except OSError as error:
        raise cannot_write(path, error) from None


def cannot_write(path: Path, error: OSError) -> StoreError:
    return StoreError(
        f"cannot write {path}: {error.strerror or error}",
        hint="check its folder's permissions, or print the script: loopcloser --show-completion",
    )
