"""The completion scripts, in real shells: commands, options and fixed values complete
without starting loopcloser; loop ids, customers and agents are asked of it.

A fake ``loopcloser`` first on PATH writes down every call (and answers with made-up
ids), so a test sees exactly when the shell started it. bash is driven the way its
completion calls a function (COMP_WORDS, COMP_CWORD), fish by ``complete -C``, zsh by
typing TAB in a terminal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from loopcloser.cli.main import app
from loopcloser.core.settings import CHANNELS
from tests.conftest import need
from tests.test_completion import typed_in

EXECUTABLE = Path(sys.executable).parent / "loopcloser"
# What the fake answers for ids, as each shell's question expects the answer.
FAKE_ANSWERS = {
    "complete_bash": "7\n8\n",
    "complete_fish": "7\tMaria Rossi — call back\n8\tACME — invoice\n",
    "complete_zsh": "_arguments '*: :((7\\:Maria\\ Rossi 8\\:ACME))'\n",
}
FAKE = (
    """#!/bin/sh
printf '%s|%s|%s|%s\\n' "$_LOOPCLOSER_COMPLETE" "$COMP_WORDS" "$COMP_CWORD" \
    "$_TYPER_COMPLETE_ARGS" >> "$LOOPCLOSER_CALLS"
case "$_LOOPCLOSER_COMPLETE" in
"""
    + "".join(
        f"    {instruction}) printf '%s' {shlex.quote(answer)} ;;\n"
        for instruction, answer in FAKE_ANSWERS.items()
    )
    + "esac\n"
)


def needs(shell: str) -> str:
    return need(shell)


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shell's script, as the installed loopcloser prints it."""
    folder = tmp_path_factory.mktemp("scripts")
    made = {}
    for shell in ("bash", "zsh", "fish"):
        printed = subprocess.run(
            [str(EXECUTABLE)],
            env={**os.environ, "_LOOPCLOSER_COMPLETE": f"source_{shell}"},
            capture_output=True,
            text=True,
            check=True,
        )
        made[shell] = folder / f"loopcloser.{shell}"
        made[shell].write_text(printed.stdout, encoding="utf-8")
    return made


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """PATH with the fake loopcloser first (and no other), its calls written to a file."""
    programs = tmp_path / "bin"
    programs.mkdir()
    fake = programs / "loopcloser"
    fake.write_text(FAKE, encoding="utf-8")
    fake.chmod(0o755)
    others = [
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "loopcloser").exists()
    ]
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.pathsep.join([str(programs), *others]),
        "HOME": str(home),
        "LOOPCLOSER_CALLS": str(tmp_path / "calls"),
        "TERM": "dumb",
    }


def calls(env: dict[str, str]) -> list[list[str]]:
    """Each start of loopcloser: its instruction, COMP_WORDS, COMP_CWORD, the line for zsh/fish."""
    log = Path(env["LOOPCLOSER_CALLS"])
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return [line.split("|") for line in text.splitlines()]


# --- bash -----------------------------------------------------------------------------


def bash_words(line: str) -> list[str]:
    """The line as bash gives it to a completion function: words, an option's "=" apart."""
    words: list[str] = []
    for word in line.split(" "):
        if word.startswith("-") and "=" in word:
            option, _, value = word.partition("=")
            words += [option, "=", value] if value else [option, "="]
        else:
            words.append(word)
    return words


def in_bash(scripts: dict[str, Path], env: dict[str, str], *lines: str) -> list[list[str]]:
    """COMPREPLY for each line, completed at its end as bash's TAB would."""
    body = [
        f"source {shlex.quote(str(scripts['bash']))}",
        # Outside TAB compopt refuses to run: note what it was asked instead.
        'compopt() { printf "compopt %s\\n" "$*"; }',
    ]
    for line in lines:
        words = bash_words(line)
        current = len(words) - 1
        previous = words[current - 1] if current else ""
        body += [
            "COMP_WORDS=(" + " ".join(shlex.quote(word) for word in words) + ")",
            f"COMP_CWORD={current}",
            f"_loopcloser_completion loopcloser {shlex.quote(words[current])} "
            f"{shlex.quote(previous)}",
            'printf "%s\\n" "${COMPREPLY[@]}" "--"',
        ]
    result = subprocess.run(
        [needs("bash"), "--norc", "--noprofile", "-c", "\n".join(body)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    answers = result.stdout.split("--\n")
    assert answers[-1] == ""
    return [[word for word in answer.splitlines() if word] for answer in answers[:-1]]


CASES = [
    ("loopcloser sho", ["show"]),
    ("loopcloser re", ["reopen", "resume", "reschedule", "restore", "remind", "report"]),
    ("loopcloser add X Y --vi", ["--via"]),
    ("loopcloser add X Y --via ", list(CHANNELS)),
    ("loopcloser add X Y --via=s", ["social", "sms"]),
    ("loopcloser contact 1 told her --via e", ["email"]),
    ("loopcloser config ", ["get", "set", "list"]),
    ("loopcloser config set smtp_", ["smtp_host", "smtp_port", "smtp_security", "smtp_user"]),
    ("loopcloser hub a", ["add-agent", "agents"]),
    ("loopcloser list --state w", ["waiting"]),
    ("loopcloser list -s ", ["open", "waiting", "done", "closed", "cancelled"]),
    ("loopcloser export --format ", ["json", "jsonl", "csv", "ics"]),
    ("loopcloser remind --every 10 --install ", ["cron", "systemd"]),
    ("loopcloser report --send w", ["webhook"]),
    ("loopcloser secret set ", ["smtp_password", "webhook_url", "hub_password"]),
    ("loopcloser --v", ["--version"]),
    (
        "loopcloser --install-completion --",
        ["--version", "--install-completion", "--show-completion", "--help"],
    ),
]


def test_bash_completes_commands_options_and_choices_without_starting_loopcloser(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    answers = in_bash(scripts, env, *(line for line, _ in CASES))
    assert dict(zip([line for line, _ in CASES], answers, strict=True)) == dict(CASES)
    assert calls(env) == []


def test_bash_asks_loopcloser_for_the_loop_ids_and_nothing_else(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    answers = in_bash(scripts, env, "loopcloser show ", "loopcloser note 3 4 ", "loopcloser st")
    assert answers == [["7", "8"], ["7", "8"], ["status"]]
    assert calls(env) == [
        ["complete_bash", "loopcloser show ", "2", ""],
        ["complete_bash", "loopcloser note 3 4 ", "4", ""],
    ]


def test_bash_asks_for_customers_and_agents_too(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    in_bash(
        scripts,
        env,
        "loopcloser customer Ma",
        "loopcloser list --customer A",
        "loopcloser handoff 2 --to l",
        "loopcloser digest --agent ",
    )
    assert [call[1] for call in calls(env)] == [
        "loopcloser customer Ma",
        "loopcloser list --customer A",
        "loopcloser handoff 2 --to l",
        "loopcloser digest --agent ",
    ]


def test_bash_leaves_paths_to_its_own_file_completion(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    lines = ["loopcloser list --store ", "loopcloser import ", "loopcloser export -o "]
    body = f"source {shlex.quote(str(scripts['bash']))}\n" + "\n".join(
        f"COMP_WORDS=({line}''); COMP_CWORD={len(line.split())}; _loopcloser_completion loopcloser"
        for line in lines
    )
    result = subprocess.run(
        [needs("bash"), "--norc", "-c", 'compopt() { echo "compopt $*"; }\n' + body],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.splitlines() == ["compopt -o default"] * 3, result.stderr
    assert calls(env) == []


def test_every_command_completes_its_own_options_in_bash(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    expected: dict[str, list[str]] = {}

    def walk(command: Any, context: typer.Context, path: str) -> None:
        options = [
            name
            for param in command.get_params(context)
            if param.param_type_name == "option" and not getattr(param, "hidden", False)
            for name in (*param.opts, *param.secondary_opts)
        ]
        expected[" ".join(["loopcloser", *path.split(), "-"])] = sorted(options)
        for name, sub in getattr(command, "commands", {}).items():
            inner = typer.Context(sub, parent=context, info_name=name, **sub.context_settings)
            walk(sub, inner, f"{path} {name}")

    root = typer.main.get_command(app)
    walk(root, typer.Context(root, info_name="loopcloser", **root.context_settings), "")
    assert {"loopcloser -", "loopcloser config set -", "loopcloser hub init -"} <= set(expected)
    answers = in_bash(scripts, env, *expected)
    assert dict(zip(expected, map(sorted, answers), strict=True)) == expected
    assert calls(env) == []


# --- fish -------------------------------------------------------------------------------


def in_fish(scripts: dict[str, Path], env: dict[str, str], *lines: str) -> list[list[str]]:
    """The values fish offers at the end of each line (descriptions left aside)."""
    body = [f"source {shlex.quote(str(scripts['fish']))}"]
    for line in lines:
        body += [f"complete -C {shlex.quote(line)}", "echo @@"]
    result = subprocess.run(
        [needs("fish"), "--no-config", "-c", "\n".join(body)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    answers = result.stdout.split("@@\n")
    return [[row.split("\t")[0] for row in answer.splitlines()] for answer in answers[:-1]]


def test_fish_completes_commands_options_and_choices_without_starting_loopcloser(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    lines = [line for line, _ in CASES if "=" not in line]
    answers = in_fish(scripts, env, *lines)
    for line, answer in zip(lines, answers, strict=True):
        assert sorted(answer) == sorted(dict(CASES)[line]), line
    assert in_fish(scripts, env, "loopcloser add X Y --via=s") == [["--via=sms", "--via=social"]]
    assert calls(env) == []


def test_fish_describes_commands_and_asks_loopcloser_for_ids(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    result = subprocess.run(
        [
            needs("fish"),
            "--no-config",
            "-c",
            f"source {scripts['fish']}; complete -C 'loopcloser sh'",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == "show\tEvery field of a loop and its whole history.\n"
    assert in_fish(scripts, env, "loopcloser close ") == [["7", "8"]]
    assert calls(env) == [["complete_fish", "", "", "loopcloser close "]]


# --- zsh, TAB in a terminal ---------------------------------------------------------------


def zsh_with(scripts: dict[str, Path], env: dict[str, str]) -> list[str]:
    """An interactive zsh with the script installed in ~/.zfunc (what --install-completion
    does) and ``loopcloser`` a function that echoes its words: completion still runs the
    fake on PATH, through env."""
    needs("zsh")
    home = Path(env["HOME"])
    (home / ".zfunc").mkdir()
    shutil.copyfile(scripts["zsh"], home / ".zfunc" / "_loopcloser")
    (home / ".zshrc").write_text(
        "fpath+=~/.zfunc; autoload -Uz compinit; compinit -u\nPS1='READY> '\n"
        'loopcloser() { print -r -- "GOT[$*]" }\n',
        encoding="utf-8",
    )
    return ["zsh", "-i"]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")
@pytest.mark.parametrize(
    ("typed", "got"),
    [
        ("loopcloser sho\t", "GOT[show]"),
        ("loopcloser add X Y --vi\t", "GOT[add X Y --via]"),
        ("loopcloser export --format jso\tl", "GOT[export --format jsonl]"),
        ("loopcloser config set time\t", "GOT[config set timezone]"),
    ],
)
def test_zsh_completes_from_the_first_tab_without_starting_loopcloser(
    scripts: dict[str, Path], env: dict[str, str], typed: str, got: str
) -> None:
    printed = typed_in(zsh_with(scripts, env), env, typed + "\n")
    assert got in printed, printed
    assert calls(env) == []


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")
def test_zsh_asks_loopcloser_for_the_loop_ids(
    scripts: dict[str, Path], env: dict[str, str]
) -> None:
    printed = typed_in(zsh_with(scripts, env), env, "loopcloser done 7\t\n")
    assert "GOT[done 7" in printed, printed
    assert [call[0] for call in calls(env)] == ["complete_zsh"]
    assert calls(env)[0][3] == "loopcloser done 7"


# --- the scripts come from the commands ---------------------------------------------------


def test_an_unknown_shell_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [str(EXECUTABLE)],
        env={**os.environ, "_LOOPCLOSER_COMPLETE": "source_powershell"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "loopcloser: no completion for the shell 'powershell';"
        " loopcloser completes in bash, zsh and fish\n"
    )


def test_a_script_is_written_afresh_from_the_commands(scripts: dict[str, Path]) -> None:
    from loopcloser.cli.completion_scripts import script

    root = typer.main.get_command(app)
    for shell, path in scripts.items():
        assert path.read_text(encoding="utf-8") == script(root, shell)


@pytest.mark.parametrize(("shell", "first"), [("zsh", "#compdef loopcloser\n"), ("fish", "# fish")])
def test_show_completion_prints_the_script_of_the_shell_it_runs_in(
    env: dict[str, str], shell: str, first: str
) -> None:
    shown = subprocess.run(
        [needs(shell), "-c", f"{EXECUTABLE} --show-completion; true"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.stdout.startswith(first), shown.stderr
    assert calls(env) == []


def test_an_install_that_cannot_write_is_one_line_and_exit_5(env: dict[str, str]) -> None:
    (Path(env["HOME"]) / ".bashrc").mkdir()
    installed = subprocess.run(
        [needs("bash"), "-c", f"{EXECUTABLE} --install-completion; echo exit=$?"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.stdout == "exit=5\n"
    (line,) = installed.stderr.splitlines()
    assert line.startswith(f"loopcloser: cannot write {env['HOME']}/.bashrc: Is a directory")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")
@pytest.mark.parametrize(
    ("typed", "got"),
    [
        ("loopcloser remi\t--dry\t", "GOT[remind --dry-run]"),
        ("loopcloser import {folder}/cal\t", "GOT[import {folder}/calls.csv]"),
    ],
)
def test_tab_in_a_real_bash_completes_names_and_files_without_starting_loopcloser(
    scripts: dict[str, Path], env: dict[str, str], tmp_path: Path, typed: str, got: str
) -> None:
    needs("bash")
    (tmp_path / "calls.csv").write_text("", encoding="utf-8")
    echo = "loopcloser() { printf 'GOT[%s]\\n' \"$*\"; }\n"
    rc = Path(env["HOME"]) / ".bashrc"
    rc.write_text(f"source {scripts['bash']}\nPS1='READY> '\n{echo}", encoding="utf-8")
    printed = typed_in(["bash", "-i"], env, typed.format(folder=tmp_path) + "\n")
    assert got.format(folder=tmp_path) in printed, printed
    assert calls(env) == []
