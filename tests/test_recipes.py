"""docs/recipes.md, run as a reader would run it, and docs/scripts/overdue.sh.

Each ``##`` section of the page gets a fresh home: the agent anna in Rome, the demo
store as her default store, now pinned. Its ``sh`` blocks run in order in that home
and must succeed; its ``console`` blocks must print what the page shows. Lines that
would change the real crontab or systemd units, read the keyring or send mail are
left out; the crontab line that mails the digest runs against a local SMTP server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import need
from tests.test_mail import PLAIN_AUTH, Collector, accepting, free_port, parsed

DOCS = Path(__file__).resolve().parent.parent / "docs"
RECIPES = DOCS / "recipes.md"
OVERDUE = DOCS / "scripts" / "overdue.sh"
EXECUTABLE = Path(sys.executable).parent / "loopcloser"
NOW = "2026-11-25T09:00:00Z"
# Lines that reach beyond the test's home: the user's crontab, systemd, keyring, mail.
NOT_RUN = ("--write", "--send", "secret set", "crontab", "systemctl", "journalctl", "loginctl")
# The hub's database on the page, as IT would give it; a database of the tests' in the test.
HUB = "postgresql://admin@db.example/loops?sslmode=verify-full"
# Where the page's example paths land in the test.
PLACES = {"/tmp/demo.json": "demo.json", "/srv/desk/loops": "team"}

needs_jq = pytest.mark.usefixtures("jq")
needs_linux = pytest.mark.skipif(
    sys.platform != "linux", reason="the recipes use Linux paths and GNU tools"
)


@dataclass(frozen=True)
class Block:
    """A fenced block of the page: its section, its language and its text."""

    section: str
    language: str
    text: str


def page_blocks() -> list[Block]:
    blocks, section = [], "introduction"
    for match in re.finditer(
        r"^## (?P<heading>[^\n]+)$|^```(?P<language>\w*)\n(?P<text>.*?)^```$",
        RECIPES.read_text(encoding="utf-8"),
        re.MULTILINE | re.DOTALL,
    ):
        if match["heading"]:
            section = match["heading"]
        else:
            blocks.append(Block(section, match["language"], match["text"]))
    return blocks


def sections_to_run() -> list[str]:
    names = [block.section for block in page_blocks() if block.language in ("sh", "console")]
    return list(dict.fromkeys(names))


def home_for(folder: Path) -> dict[str, str]:
    """A clean environment whose HOME is ``folder``/home, with anna's settings."""
    home = folder / "home"
    config = home / ".config" / "loopcloser" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LOOPCLOSER_", "XDG_")) and name not in ("TZ", "ZDOTDIR")
    }
    return {
        **inherited,
        "HOME": str(home),
        "PATH": f"{EXECUTABLE.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "LOOPCLOSER_NOW": NOW,
        "TZ": "Europe/Rome",
    }


def default_store(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".local" / "share" / "loopcloser" / "loops.json"


def loopcloser(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(EXECUTABLE), *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, built once."""
    folder = tmp_path_factory.mktemp("demo")
    loopcloser(home_for(folder), "demo", "--store", str(folder / "loops.json"))
    return folder / "loops.json"


@pytest.fixture
def reader(tmp_path: Path, demo: Path) -> tuple[dict[str, str], Path]:
    """A reader's home with the demo store as their own, and the folder they work in."""
    env = home_for(tmp_path)
    default_store(env).parent.mkdir(parents=True)
    shutil.copyfile(demo, default_store(env))
    work = tmp_path / "work"
    (work / "docs").mkdir(parents=True)
    (work / "docs" / "scripts").symlink_to(OVERDUE.parent)
    return env, work


def in_place(text: str, folder: Path) -> str:
    for shown, name in PLACES.items():
        text = text.replace(shown, str(folder / name))
    return text


def bash(script: str, env: dict[str, str], work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{script}"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- the page ----------------------------------------------------------------


@needs_linux
@needs_jq
@pytest.mark.parametrize("section", sections_to_run())
def test_every_recipe_runs_and_prints_what_the_page_shows(
    section: str, reader: tuple[dict[str, str], Path], request: pytest.FixtureRequest
) -> None:
    env, work = reader
    blocks = [block for block in page_blocks() if block.section == section]
    hub = {}
    if any(HUB in block.text for block in blocks):  # a PostgreSQL database of the tests'
        hub = {HUB: request.getfixturevalue("hub_database")}
    for block in blocks:
        if block.language not in ("sh", "console"):
            continue
        text = in_place(block.text, work.parent)
        for shown, real in hub.items():
            text = text.replace(shown, real)
        if block.language == "sh":
            result = bash("\n".join(filter(runs, text.splitlines())), env, work)
            assert result.returncode == 0, f"{block.text}\n{result.stderr}"
        else:
            assert all(map(runs, text.splitlines())), "every line of a console block runs"
            commands = [line[2:] for line in text.splitlines() if line.startswith("$ ")]
            shown = "".join(line + "\n" for line in text.splitlines() if not line.startswith("$ "))
            result = bash("\n".join(commands), env, work)
            assert result.returncode == 0, f"{block.text}\n{result.stderr}"
            assert result.stdout == shown, result.stderr


def test_the_page_leaves_out_only_what_reaches_beyond_the_machine() -> None:
    left_out = [
        command(line)
        for block in page_blocks()
        if block.language == "sh"
        for line in block.text.splitlines()
        if not runs(line)
    ]
    assert left_out == [
        "loopcloser remind --install cron --write",
        "crontab -l | grep 'loopcloser remind'",
        "loopcloser remind --install systemd --write",
        "systemctl --user list-timers loopcloser-remind.timer",
        "journalctl --user -u loopcloser-remind.service --since today",
        "loopcloser secret set smtp_password",
        "loopcloser digest --send email > /dev/null",
        "systemctl --user daemon-reload",
        "systemctl --user enable --now loopcloser-digest.timer",
        "loopcloser remind --install cron --write",
    ]


def command(line: str) -> str:
    """A line of a block without its comment."""
    return line.split(" #", 1)[0].strip()


def runs(line: str) -> bool:
    """Whether the test runs this line: it stays on this machine, in the test's home."""
    return not any(marker in command(line) for marker in NOT_RUN)


def test_the_cron_line_shown_is_what_remind_install_prints(tmp_path: Path) -> None:
    (shown,) = [
        line
        for block in page_blocks()
        if block.language == "text"
        for line in block.text.splitlines()
        if line.endswith("# loopcloser remind")
    ]
    anna = "/home/anna/.local/share/loopcloser"
    printed = subprocess.run(
        [str(EXECUTABLE), "remind", "--install", "cron"],
        env={
            "HOME": str(tmp_path),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "DISPLAY": ":0",
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
            "LOOPCLOSER_CONFIG": "/home/anna/.config/loopcloser/config.toml",
            "LOOPCLOSER_STORE": f"{anna}/loops.json",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.replace(str(EXECUTABLE), "/usr/local/bin/loopcloser") == shown + "\n"


# --- the digest every morning ---------------------------------------------------


def text_line(containing: str) -> str:
    (line,) = [
        line
        for block in page_blocks()
        if block.language == "text"
        for line in block.text.splitlines()
        if containing in line
    ]
    return line


@pytest.fixture
def mail_server() -> Iterator[tuple[Collector, int, list[tuple[str, str]]]]:
    """An SMTP server on 127.0.0.1 that asks for a login and notes each one."""
    logins: list[tuple[str, str]] = []
    handler, port = Collector(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        auth_require_tls=False,
        authenticator=accepting(logins),
    )
    controller.start()
    yield handler, port, logins
    controller.stop()


@needs_linux
@PLAIN_AUTH
def test_the_crontab_line_mails_the_digest_with_the_password_from_smtp_env(
    tmp_path: Path, demo: Path, mail_server: tuple[Collector, int, list[tuple[str, str]]]
) -> None:
    handler, port, logins = mail_server
    env = home_for(tmp_path)
    default_store(env).parent.mkdir(parents=True)
    shutil.copyfile(demo, default_store(env))
    mail = {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(port),
        "smtp_security": "none",
        "smtp_user": "anna@example.com",
        "mail_from": "anna@example.com",
        "mail_to": "anna@example.com",
    }
    for key, value in mail.items():
        loopcloser(env, "config", "set", key, value)
    secrets = Path(env["HOME"]) / ".config" / "loopcloser" / "smtp.env"
    secrets.write_text(text_line("LOOPCLOSER_SMTP_PASSWORD=") + "\n", encoding="utf-8")
    schedule = text_line("digest --send email")
    assert schedule.startswith("30 8 * * 1-5 "), "8:30 on working days"
    command = schedule.split(None, 5)[5].replace("/usr/local/bin/loopcloser", str(EXECUTABLE))
    # cron's own environment: little more than HOME, a short PATH and /bin/sh.
    cron = {"HOME": env["HOME"], "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LOOPCLOSER_NOW": NOW}
    ran = subprocess.run(["/bin/sh", "-c", command], env=cron, capture_output=True, text=True)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")
    assert logins == [("anna@example.com", "the password")]
    (envelope,) = handler.envelopes
    assert parsed(envelope)["Subject"].startswith("loopcloser digest: Wednesday 25 November 2026")
    log = default_store(env).parent / "digest.log"
    assert log.read_text(encoding="utf-8") == "Sent the digest to anna@example.com\n"
    assert log.stat().st_mode & 0o777 == 0o600


def test_the_systemd_units_are_valid(tmp_path: Path) -> None:
    analyze = need("systemd-analyze")
    probe = tmp_path / "probe.service"
    probe.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n", encoding="utf-8")
    verify = [analyze, "verify", "--man=no"]
    if subprocess.run([*verify, str(probe)], capture_output=True, check=False).returncode:
        pytest.skip("systemd-analyze cannot verify units on this machine")
    units = []
    for block in page_blocks():
        first, _, body = block.text.partition("\n")
        if block.language == "ini" and first.startswith("# ~/.config/systemd/user/"):
            unit = tmp_path / first.rsplit("/", 1)[1]
            unit.write_text(body.replace("/usr/local/bin/loopcloser", str(EXECUTABLE)))
            units.append(unit)
    assert sorted(unit.name for unit in units) == [
        "loopcloser-digest.service",
        "loopcloser-digest.timer",
    ]
    checked = subprocess.run(
        [*verify, *map(str, units)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


# --- overdue.sh ----------------------------------------------------------------------


@pytest.fixture
def desk(tmp_path: Path) -> dict[str, str]:
    """A store with loops late by different amounts, one of them luca's, and some not late."""
    env = {**home_for(tmp_path), "LOOPCLOSER_STORE": str(tmp_path / "loops.json")}
    past = ["--allow-past", "--due"]
    loopcloser(env, "add", "Maria Rossi", "call back about the refund", *past, "yesterday 12:00")
    loopcloser(env, "add", "ACME Logistics", "send the credit note", *past, "2026-11-23 09:00")
    loopcloser(env, "add", "Jonas Berg", "confirm the shipment", "--due", "fri 12:00")
    loopcloser(env, "add", "Li Wei", "check the warranty", *past, "today 9:00", "--owner", "luca")
    loopcloser(env, "add", "Oscar Pérez", "call back", *past, "2026-11-23 12:00")
    loopcloser(env, "close", "5", "--via", "phone")
    loopcloser(env, "done", "2")
    return env


def overdue(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OVERDUE), *args], env=env, capture_output=True, text=True, check=False
    )


@needs_linux
@needs_jq
def test_overdue_sh_lists_the_overdue_loops_most_late_first(desk: dict[str, str]) -> None:
    listed = overdue(desk)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout.splitlines() == [
        "#2\tACME Logistics\tsend the credit note\tMon 23 Nov 09:00",
        "#1\tMaria Rossi\tcall back about the refund\tTue 24 Nov 12:00",
        "#4\tLi Wei\tcheck the warranty\tWed 25 Nov 09:00",
    ]


@needs_linux
@needs_jq
def test_overdue_sh_takes_the_options_of_list(desk: dict[str, str]) -> None:
    assert overdue(desk, "--owner", "luca").stdout == (
        "#4\tLi Wei\tcheck the warranty\tWed 25 Nov 09:00\n"
    )


@needs_linux
@needs_jq
def test_overdue_sh_prints_nothing_and_exits_1_when_nothing_is_overdue(
    desk: dict[str, str],
) -> None:
    calm = overdue({**desk, "LOOPCLOSER_NOW": "2026-11-20T09:00:00Z"})
    assert (calm.returncode, calm.stdout, calm.stderr) == (1, "", "")


@needs_linux
@needs_jq
def test_overdue_sh_exits_2_with_loopclosers_reason_when_the_store_is_unreadable(
    desk: dict[str, str],
) -> None:
    Path(desk["LOOPCLOSER_STORE"]).write_text("{not json", encoding="utf-8")
    broken = overdue(desk)
    assert (broken.returncode, broken.stdout) == (2, "")
    error = json.loads(broken.stderr)
    assert (error["exit_code"], error["error"]) == (5, "store")
    assert "is not valid JSON" in error["message"]


@needs_linux
def test_overdue_sh_says_so_when_jq_is_missing(desk: dict[str, str], tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "bash").symlink_to(shutil.which("bash") or "/bin/bash")
    result = overdue({**desk, "PATH": f"{bare}{os.pathsep}{EXECUTABLE.parent}"})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("overdue.sh: jq is not installed")
